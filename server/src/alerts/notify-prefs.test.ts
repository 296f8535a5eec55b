import { randomBytes } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { describeBackends } from "../../test/backends.js";
import { type AccountsWorld, openAccountsWorld } from "../accounts/test-world.js";
import type { Caller } from "../registry/caller.js";
import { type ChannelStore, createChannelStore } from "./channel-store.js";
import { createNotifyPrefs, type NotifyPrefs } from "./notify-prefs.js";
import { createSecretBox, SEALED_PREFIX } from "./secret-box.js";
import { ALERT_KINDS } from "./types.js";

const box = createSecretBox(randomBytes(32));

const KEYS = {
  p256dh: Buffer.alloc(65, 4).toString("base64url"),
  auth: Buffer.alloc(16, 1).toString("base64url"),
};
/** The staff level of the default escalation ladder (donor 0, staff on duty 1, bank lead 2). */
const STAFF_LEVEL = 1;

describeBackends("how each person is told", (open) => {
  let w: AccountsWorld;
  let channels: ChannelStore;
  let prefs: NotifyPrefs;
  let donor: Caller;
  let staff: Caller;
  const created: string[] = [];
  beforeEach(async () => {
    w = await openAccountsWorld(await open());
    created.length = 0;
    channels = createChannelStore(w.sql, box, (kind) => void created.push(kind));
    prefs = createNotifyPrefs(w.sql, channels, {
      minEscalationOf: (role) => (role === "donor" ? 0 : STAFF_LEVEL),
    });
    const site = await w.site("Bank");
    donor = await w.member("donor", site, "Dora");
    staff = await w.member("staff", site, "Sam");
  });

  it("copies the chosen kinds onto her email channel and onto browsers subscribed later; all kinds = no filter", async () => {
    await prefs.set(donor, { email: true, alertKinds: ["excursion", "excursion", "probable-thaw"] }, w.now());
    const { channel: phone } = await prefs.subscribe(
      donor,
      { endpoint: "https://push.example.org/dora", keys: KEYS },
      w.now(),
    );
    expect(created).toEqual(["email", "webpush"]);
    const own = await prefs.ownChannels(donor);
    expect(own.map((c) => [c.kind, c.target, c.alertKinds, c.minEscalation])).toEqual([
      ["email", "dora@example.org", ["excursion", "probable-thaw"], 0],
      ["webpush", "https://push.example.org/dora", ["excursion", "probable-thaw"], 0],
    ]);
    await prefs.set(donor, { email: false, alertKinds: [...ALERT_KINDS] }, w.now());
    expect((await prefs.ownChannels(donor)).map((c) => [c.kind, c.alertKinds])).toEqual([["webpush", null]]);
    expect((await channels.get(phone.id))?.deletedMs).toBeNull();
    expect(await prefs.get(donor)).toEqual({ email: false, alertKinds: [...ALERT_KINDS], pushDevices: 1 });
    expect(
      (await w.auditOf("channel", own[0]?.id as string)).map((e) => [e.actor, e.action, e.details]),
    ).toEqual([
      [
        donor.accountId,
        "channel.created",
        { kind: "email", unitIds: null, alertKinds: null, minEscalation: 0 },
      ],
      [donor.accountId, "channel.deleted", null],
    ]);
  });

  it("staff hear from the staff escalation level; a browser that moves to another account leaves the first", async () => {
    const endpoint = "https://push.example.org/shared-tablet";
    const first = await prefs.subscribe(donor, { endpoint, keys: KEYS }, w.now());
    expect(first.created).toBe(true);
    expect((await prefs.subscribe(donor, { endpoint, keys: KEYS }, w.now())).created).toBe(false);
    const { channel, created: isNew } = await prefs.subscribe(staff, { endpoint, keys: KEYS }, w.now());
    expect(isNew).toBe(true);
    expect(channel.minEscalation).toBe(STAFF_LEVEL);
    expect((await prefs.ownChannels(donor)).map((c) => c.target)).not.toContain(endpoint);
    expect((await w.auditOf("channel", first.channel.id)).at(-1)).toMatchObject({
      actor: "system",
      action: "channel.deleted",
      details: { why: "the browser subscribed for another account" },
    });
    expect(await prefs.unsubscribe(donor, endpoint, w.now())).toBe(false);
    expect(await prefs.unsubscribe(staff, endpoint, w.now())).toBe(true);
    expect(await prefs.ownChannels(staff)).toEqual([]);
  });

  describe("channels", () => {
    it("list in creation order (by time made), owned like units; deleting one cancels its undelivered rows and keeps the delivered", async () => {
      const a = (
        await channels.create(donor, { kind: "webhook", target: "https://h.example.org/1" }, w.now())
      ).channel;
      // Made a millisecond apart: within one millisecond PostgreSQL orders them by id (no rowid).
      w.advance(1);
      const b = (await channels.create(donor, { kind: "mqtt", target: "alerts/dora" }, w.now())).channel;
      expect((await channels.list(donor)).map((c) => c.id)).toEqual([a.id, b.id]);
      expect(await channels.list(staff)).toHaveLength(2);
      expect(await channels.hasAny("mqtt")).toBe(true);
      expect(await channels.hasAny("email")).toBe(false);
      for (const [n, status] of [
        [1, "pending"],
        [2, "failed"],
        [3, "delivered"],
      ] as const) {
        await w.sql.run(
          `INSERT INTO alert_outbox (delivery_id, event_id, event_type, alert_id, channel_id, status, next_attempt_ms, created_ms)
           VALUES (?, ?, 'opened', 'a_x', ?, ?, 0, 0)`,
          [`d${n}`, n, a.id, status],
        );
      }
      const other = await w.member("donor", await w.site("Elsewhere"), "Olga");
      await expect(channels.delete(other, a.id, w.now())).rejects.toThrow(`channel "${a.id}"`);
      await channels.delete(donor, a.id, w.now());
      await expect(channels.delete(donor, a.id, w.now())).rejects.toThrow(`channel "${a.id}"`);
      const rows = await w.sql.query<{ delivery_id: string; status: string }>(
        "SELECT delivery_id, status FROM alert_outbox ORDER BY delivery_id",
      );
      expect(rows.map((r) => [r.delivery_id, r.status])).toEqual([
        ["d1", "cancelled"],
        ["d2", "cancelled"],
        ["d3", "delivered"],
      ]);
      expect((await channels.list(donor)).map((c) => c.id)).toEqual([b.id]);
      expect(await channels.remove(a.id, w.now(), "again")).toBe(false);
    });

    it("a webhook without a secret gets one, returned once", async () => {
      const made = await channels.create(
        donor,
        { kind: "webhook", target: "https://h.example.org/1" },
        w.now(),
      );
      expect(made.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // Stored sealed; it opens to the secret shown.
      const stored = (await channels.get(made.channel.id))?.secret ?? "";
      expect(stored.startsWith(SEALED_PREFIX)).toBe(true);
      expect(box.open(stored)).toBe(made.secret);
      const given = await channels.create(
        donor,
        { kind: "webhook", target: "https://h.example.org/2", secret: "s3cret-s3cret-s3cret" },
        w.now(),
      );
      expect(given.secret).toBeNull();
    });
  });
});
