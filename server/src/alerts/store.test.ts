import { randomBytes } from "node:crypto";
/**
 * The alert store's contract on both backends (SQLite and a real PostgreSQL): a change, its audit
 * entry, its event and its outbox rows commit in one transaction (or not at all, when its guard
 * says no); delivery ids are fixed when the change commits; the SSE cursor never skips an event.
 */
import { beforeEach, expect, it } from "vitest";
import { describeBackends } from "../../test/backends.js";
import { type AccountsWorld, openAccountsWorld, T0 } from "../accounts/test-world.js";
import type { SqlClient } from "../db/sql/client.js";
import { ADMIN, type Caller } from "../registry/caller.js";
import { type ChannelStore, createChannelStore } from "./channel-store.js";
import { createSecretBox } from "./secret-box.js";
import { resolveAlertSettings } from "./settings.js";
import { type AlertStore, createAlertStore } from "./store.js";
import { type AlertIntent, subjectText } from "./types.js";

const box = createSecretBox(randomBytes(32));

const settingsOf = () => {
  const r = resolveAlertSettings({});
  if (!r.ok) throw new Error(r.reason);
  return r.settings;
};
const storeOn = (sql: SqlClient, channels: ChannelStore): AlertStore =>
  createAlertStore(sql, { channels, settings: settingsOf(), publicUrl: () => "https://coldtrail.example" });

function raise(owner: Caller, unitId: string, atMs: number): AlertIntent {
  const subject = { type: "unit" as const, unitId };
  return {
    op: "raise",
    key: { kind: "probe-offline", subject },
    kind: "probe-offline",
    subject: subjectText(subject),
    ownerId: owner.accountId,
    unitId,
    unitName: `Freezer ${unitId}`,
    probeId: null,
    batchIds: [],
    severity: "warning",
    title: "Freezer silent",
    message: "no readings for 20 min",
    details: {},
    startedMs: atMs,
    atMs,
  };
}
function clear(unitId: string, atMs: number): AlertIntent {
  const subject = { type: "unit" as const, unitId };
  return {
    op: "clear",
    key: { kind: "probe-offline", subject },
    kind: "probe-offline",
    subject: subjectText(subject),
    atMs,
    message: "heard again",
    details: {},
  };
}

describeBackends("alert store", (open) => {
  let w: AccountsWorld;
  let channels: ChannelStore;
  let store: AlertStore;
  let donor: Caller;
  let hookId: string;
  beforeEach(async () => {
    w = await openAccountsWorld(await open());
    channels = createChannelStore(w.sql, box);
    store = storeOn(w.sql, channels);
    donor = await w.member("donor", await w.site("Bank"), "Dora");
    hookId = (await channels.create(donor, { kind: "webhook", target: "https://h.example.org/dora" }, T0))
      .channel.id;
  });
  const count = async (table: string) =>
    Number((await w.sql.get<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))?.n);

  it("writes the alert, its audit entry, its event and one outbox row per channel; the delivery id is fixed then", async () => {
    const [opened] = await store.apply([raise(donor, "u1", T0)]);
    const alertId = opened?.alert.id as string;
    expect(opened?.event).toMatchObject({ alertId, type: "opened", ownerId: donor.accountId, unitId: "u1" });
    expect(JSON.parse(opened?.event.body as string)).toMatchObject({
      event: "opened",
      eventId: opened?.event.id,
    });
    const rows = await w.sql.query<{ delivery_id: string; status: string; event_id: number }>(
      "SELECT delivery_id, status, event_id FROM alert_outbox",
    );
    expect(rows).toEqual([
      {
        delivery_id: `${alertId}.${opened?.event.id}.${hookId}`,
        status: "pending",
        event_id: opened?.event.id,
      },
    ]);
    expect((await store.deliveriesOf(alertId)).map((d) => [d.channelKind, d.status])).toEqual([
      ["webhook", "pending"],
    ]);
    const [resolved] = await store.apply([clear("u1", T0 + 60_000)]);
    expect(resolved?.alert).toMatchObject({
      state: "resolved",
      resolvedBy: "system",
      resolvedMs: T0 + 60_000,
    });
    expect((await w.auditOf("alert", alertId)).map((e) => e.action)).toEqual([
      "alert.opened",
      "alert.resolved",
    ]);
    expect(await store.openCountOf("u1")).toBe(0);
    expect(await store.apply([clear("u1", T0 + 120_000)])).toEqual([]);
  });

  it("writes nothing of a change whose guard says no, and names the reason", async () => {
    await expect(
      store.applyOne(raise(donor, "u1", T0), async () => ({
        ok: false,
        reason: "the unit lease of u1 moved on",
      })),
    ).rejects.toThrow("alert change not written: the unit lease of u1 moved on");
    expect([await count("alert"), await count("alert_event"), await count("alert_outbox")]).toEqual([
      0, 0, 0,
    ]);
    expect(await w.sql.get("SELECT 1 AS one FROM audit WHERE action LIKE 'alert.%'")).toBeUndefined();
    const [ok] = await store.applyOne(raise(donor, "u1", T0), async (tx) => {
      // The guard runs inside the change's own transaction.
      expect(await tx.get("SELECT 1 AS one FROM alert")).toBeUndefined();
      return { ok: true };
    });
    expect(ok?.alert.state).toBe("open");
  });

  it("a raise of the open alert's own episode changes nothing: no event, no occurrence, no delivery", async () => {
    const first = raise(donor, "u1", T0);
    const [opened] = await store.apply([first]);
    const id = opened?.alert.id as string;
    const before = [await count("alert_event"), await count("alert_outbox"), await count("audit")];
    // The same raise again (a new lease holder re-applying it), and the same condition seen later
    // by another instance's shadow monitor (its start no later than the episode's opening).
    expect(await store.apply([first, { ...first, atMs: T0 + 60_000, message: "still silent" }])).toEqual([]);
    expect([await count("alert_event"), await count("alert_outbox"), await count("audit")]).toEqual(before);
    expect(await store.get(ADMIN, id)).toMatchObject({
      occurrences: 1,
      message: "no readings for 20 min",
      updatedMs: T0,
    });
  });

  it("a raise of an episode that has already ended changes nothing; a later one reopens", async () => {
    const first = raise(donor, "u1", T0);
    await store.apply([first, clear("u1", T0 + 60_000)]);
    const events = await count("alert_event");
    // A new lease holder re-applying the raise and the clear the old holder both committed.
    expect(await store.apply([{ ...first, atMs: T0 + 90_000 }, clear("u1", T0 + 90_000)])).toEqual([]);
    expect([await count("alert_event"), await count("alert_outbox")]).toEqual([events, 2]);
    const [again] = await store.apply([raise(donor, "u1", T0 + 120_000)]);
    expect(again?.event.type).toBe("reopened");
  });

  it("a raise whose condition started after the open alert's episode still counts a recurrence", async () => {
    const [opened] = await store.apply([raise(donor, "u1", T0)]);
    const id = opened?.alert.id as string;
    const [again] = await store.apply([raise(donor, "u1", T0 + 60_000)]);
    expect(again?.event.type).toBe("recurred");
    expect(again?.alert).toMatchObject({ id, occurrences: 2, updatedMs: T0 + 60_000 });
    // Not notified: the outbox holds the opening's row only.
    expect(await count("alert_outbox")).toBe(1);
  });

  it("a reopened alert's own raise, applied again, changes nothing", async () => {
    await store.apply([raise(donor, "u1", T0), clear("u1", T0 + 60_000)]);
    const reraise = raise(donor, "u1", T0 + 120_000);
    const [reopened] = await store.apply([reraise]);
    expect(reopened?.event.type).toBe("reopened");
    const events = await count("alert_event");
    expect(await store.apply([reraise])).toEqual([]);
    expect(await count("alert_event")).toBe(events);
    expect((await store.get(ADMIN, reopened?.alert.id as string)).occurrences).toBe(2);
  });

  it("acknowledges once, only what the caller may see, and reports it once committed", async () => {
    const [opened] = await store.apply([raise(donor, "u1", T0)]);
    const id = opened?.alert.id as string;
    const stranger = await w.member("donor", await w.site("Elsewhere"), "Olga");
    await expect(store.acknowledge(stranger, id, null, T0 + 1)).rejects.toThrow(
      `alert "${id}" does not exist`,
    );
    const [acked] = await store.acknowledge(donor, id, "on it", T0 + 2);
    expect(acked?.event.type).toBe("acknowledged");
    // Committed: another connection sees it.
    const other = storeOn(w.sql, channels);
    expect(await other.get(ADMIN, id)).toMatchObject({
      state: "acknowledged",
      acknowledgedBy: donor.accountId,
    });
    expect(await store.countsOf("u1")).toEqual({ open: 0, acknowledged: 1 });
    await expect(store.acknowledge(donor, id, null, T0 + 3)).rejects.toThrow("already acknowledged");
    expect(await store.nameOf(donor.accountId)).toBe("Dora");
    expect(await store.ownerVisibleTo(donor, donor.accountId)).toBe(true);
    expect(await store.ownerVisibleTo(stranger, donor.accountId)).toBe(false);
  });
});

describeBackends("alert store: the SSE cursor across instances", (open) => {
  it("never skips an event: ids commit in order even when two instances change alerts at once", async () => {
    const database = await open();
    const w = await openAccountsWorld(database);
    const second = await database.connect();
    const donor = await w.member("donor", await w.site("Bank"), "Dora");
    const a = storeOn(w.sql, createChannelStore(w.sql, box));
    const b = storeOn(second, createChannelStore(second, box));
    const seen: number[] = [];
    let cursor = 0;
    let writing = true;
    const reader = (async () => {
      for (;;) {
        // Whether the writers had finished is read BEFORE the query: a read that began while the
        // last change was committing can come back without it after the writers finished, and
        // must not end the reading (a loaded machine once ended it at 79 of 80 that way).
        const finished = !writing;
        const page = await a.eventsAfter(ADMIN, cursor, 1000);
        for (const e of page) seen.push(e.id);
        cursor = page.at(-1)?.id ?? cursor;
        if (finished && page.length === 0) break;
      }
    })();
    const instance = async (store: AlertStore, prefix: string) => {
      for (let i = 0; i < 20; i++) {
        await store.apply([raise(donor, `${prefix}${i}`, T0 + i)]);
        await store.apply([clear(`${prefix}${i}`, T0 + i + 1)]);
      }
    };
    await Promise.all([instance(a, "a"), instance(b, "b")]);
    writing = false;
    await reader;
    const all = (await w.sql.query<{ id: number }>("SELECT id FROM alert_event ORDER BY id")).map((r) =>
      Number(r.id),
    );
    expect(all).toHaveLength(80);
    expect(seen).toEqual(all);
    expect(await a.lastEventId()).toBe(all.at(-1));
  });
});
