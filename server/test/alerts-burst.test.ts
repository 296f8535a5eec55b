/**
 * Issue 12: a burst of alerts (a power cut warms many freezers at once). Email goes out over a
 * pool of SMTP connections, one message at a time per recipient, simultaneous alerts grouped;
 * webhooks go to different targets at once, in order per target. Real smtp-server and HTTP
 * receivers; "at once" is shown by receivers that hold their answer until the others have a
 * request in progress (a serial outbox would never get there, and drain would time out).
 */
import { createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../test/processes.js";
import { call, createTestWorld, type TestWorld } from "../src/alerts/test-world.js";
import { ADMIN } from "../src/registry/caller.js";
import { parseMail } from "./mail.js";
import { startSmtpInbox } from "./smtp-inbox.js";

const FAST = { minBackoffMs: 20, maxBackoffMs: 200, timeoutMs: 5000 };

let w: TestWorld;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await w?.close();
});

interface Mail {
  to: string;
  subject: string;
  body: string;
  deliveryIds: string[];
  messageId: string;
}

/**
 * A real SMTP server. `answer(n)` says, for the n-th message (1-based), whether to accept it or
 * refuse it with a temporary error; `hold` delays each answer until it resolves.
 */
async function startSmtp(
  port: number,
  opts: { answer?: (n: number) => "accept" | "refuse"; hold?: () => Promise<void> } = {},
) {
  const mails: Mail[] = [];
  const smtp = await startSmtpInbox({
    port,
    async onMail(mail) {
      await opts.hold?.();
      if ((opts.answer?.(mail.n) ?? "accept") === "refuse") return "refuse";
      const m = parseMail(mail.raw);
      mails.push({
        to: mail.to.join(","),
        subject: m.subject,
        body: m.body,
        deliveryIds: (m.headers["x-coldtrail-delivery"] ?? "").split(", "),
        messageId: m.headers["message-id"] ?? "",
      });
    },
  });
  closers.push(smtp.close);
  return mails;
}

/** Resolves once `count` callers are waiting at once (then lets every later caller through). */
function barrier(count: number) {
  let waiting = 0;
  let open: () => void = () => {};
  const opened = new Promise<void>((r) => {
    open = r;
  });
  let max = 0;
  return {
    async wait(): Promise<void> {
      waiting++;
      max = Math.max(max, waiting);
      if (waiting >= count) open();
      await opened;
      waiting--;
    },
    get max() {
      return max;
    },
  };
}

const until = async (fn: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
};

const rowsOf = (channelId: string) =>
  w.db
    .prepare(
      "SELECT delivery_id, alert_id, event_type, status FROM alert_outbox WHERE channel_id = ? ORDER BY id",
    )
    .all(channelId) as { delivery_id: string; alert_id: string; event_type: string; status: string }[];

describe("email in a burst", () => {
  it("20 alerts to 3 recipients at once: recipients in parallel, each one's mail in order, simultaneous alerts in one message naming each, nothing missing", async () => {
    const port = await freePort();
    // The first message to each of the 3 recipients is held until all 3 are in progress at once.
    const together = barrier(3);
    const mails = await startSmtp(port, { hold: () => together.wait() });
    w = createTestWorld({
      realClock: true,
      settings: { delivery: FAST },
      smtpUrl: `smtp://127.0.0.1:${port}`,
    });
    const base = await w.listen();
    await w.alerting.start();

    const units: { unitId: string; probeId: string }[] = [];
    for (let i = 0; i < 20; i++) units.push(await w.unitWithProbe(`Freezer ${i + 1}`));
    const unitIds = units.map((u) => u.unitId);
    const channel = async (target: string, only?: string[]) =>
      (
        await call<{ id: string }>(base, "POST", "/api/v1/channels", {
          kind: "email",
          target,
          ...(only && { unitIds: only }),
        })
      ).body.id;
    const all = await channel("lead@bank.example");
    const first = await channel("donors@bank.example", unitIds.slice(0, 10));
    const last = await channel("night@bank.example", unitIds.slice(5));

    // A power cut: 20 probes report a low battery in one go.
    for (const u of units) w.alerting.onProbeLive(u.probeId, { batteryPct: 5 });
    await w.alerting.settled();
    expect(await w.active()).toHaveLength(20);
    await w.alerting.outbox.drain(30_000);
    expect(together.max).toBeGreaterThanOrEqual(3);

    // Then staff acknowledge three of them: a second message to whoever heard of each.
    const active = await w.active();
    const acked = [units[0], units[7], units[12]].map(
      (u) => active.find((a) => a.unitId === u?.unitId)?.id as string,
    );
    for (const id of acked) await w.alerting.store.acknowledge(ADMIN, id, "on it", Date.now());
    w.alerting.outbox.poke();
    await w.alerting.outbox.drain(30_000);

    const expected = { [all]: 20 + 3, [first]: 10 + 2, [last]: 15 + 2 };
    const targets = {
      [all]: "lead@bank.example",
      [first]: "donors@bank.example",
      [last]: "night@bank.example",
    };
    for (const [channelId, count] of Object.entries(expected)) {
      const rows = rowsOf(channelId);
      expect(rows).toHaveLength(count);
      expect(rows.every((r) => r.status === "delivered")).toBe(true);
      const got = mails.filter((m) => m.to === targets[channelId]);
      // In order, each delivery exactly once, across all of this recipient's messages.
      expect(got.flatMap((m) => m.deliveryIds)).toEqual(rows.map((r) => r.delivery_id));
      // The burst is one message naming every alert; the acknowledgements are a second one.
      expect(got).toHaveLength(2);
      const [burst, acks] = got as [Mail, Mail];
      const opened = rows.filter((r) => r.event_type === "opened");
      expect(burst.subject).toMatch(new RegExp(`^${opened.length} alerts: Battery low`));
      for (const r of opened) expect(burst.body).toContain(`Alert ${r.alert_id}:`);
      expect(acks.subject).toMatch(/^\d alerts: Acknowledged: Battery low/);
      for (const r of rows.filter((r) => r.event_type === "acknowledged"))
        expect(acks.body).toContain(`Alert ${r.alert_id}:`);
    }
  });

  it("SMTP refusing mid-burst and a server restart: the rest arrive after it, exactly once per delivery id, in order", async () => {
    const port = await freePort();
    let refusing = false;
    let answered = 0;
    const mails = await startSmtp(port, {
      answer: () => {
        answered++;
        // The first 2 messages get through; then the mail server has trouble.
        if (answered > 2) refusing = true;
        return refusing ? "refuse" : "accept";
      },
    });
    const settings = { delivery: { ...FAST, groupMax: 4 } };
    w = createTestWorld({ realClock: true, settings, smtpUrl: `smtp://127.0.0.1:${port}` });
    const base = await w.listen();
    await w.alerting.start();
    const ch = await call<{ id: string }>(base, "POST", "/api/v1/channels", {
      kind: "email",
      target: "staff@bank.example",
    });
    const units: { unitId: string; probeId: string }[] = [];
    for (let i = 0; i < 20; i++) units.push(await w.unitWithProbe(`Freezer ${i + 1}`));
    for (const u of units) w.alerting.onProbeLive(u.probeId, { batteryPct: 5 });
    await w.alerting.settled();

    await until(
      () =>
        (w.db
          .prepare("SELECT count(*) FROM alert_outbox WHERE status = 'failed' AND attempts >= 2")
          .pluck()
          .get() as number) > 0,
    );
    expect(mails).toHaveLength(2);
    await w.restart();
    refusing = false;
    answered = Number.NEGATIVE_INFINITY; // accept everything from now on
    await w.alerting.outbox.drain(30_000);

    const rows = rowsOf(ch.body.id);
    expect(rows).toHaveLength(20);
    expect(rows.every((r) => r.status === "delivered")).toBe(true);
    const ids = mails.flatMap((m) => m.deliveryIds);
    expect(ids).toEqual(rows.map((r) => r.delivery_id));
    expect(new Set(ids).size).toBe(20);
    // At most 4 to a message (groupMax): 5 messages, the first 2 before the trouble.
    expect(mails.map((m) => m.deliveryIds.length)).toEqual([4, 4, 4, 4, 4]);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(5);
  });
});

describe("webhooks in a burst", () => {
  it("delivers to different targets at once, one at a time and in order per target", async () => {
    const together = barrier(2);
    const receivers = await Promise.all(
      ["a", "b"].map(async () => {
        const got: string[] = [];
        let inProgress = 0;
        let maxInProgress = 0;
        const server = createServer((req, res) => {
          inProgress++;
          maxInProgress = Math.max(maxInProgress, inProgress);
          req.resume();
          req.on("end", async () => {
            got.push(String(req.headers["x-coldtrail-delivery"]));
            await together.wait();
            inProgress--;
            res.writeHead(204).end();
          });
        });
        const port = await freePort();
        await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
        closers.push(() => new Promise<void>((r) => server.close(() => r())));
        return { url: `http://127.0.0.1:${port}/hook`, got, maxInProgress: () => maxInProgress };
      }),
    );
    w = createTestWorld({ realClock: true, settings: { delivery: FAST } });
    const base = await w.listen();
    await w.alerting.start();
    const channelIds: string[] = [];
    for (const r of receivers)
      channelIds.push(
        (await call<{ id: string }>(base, "POST", "/api/v1/channels", { kind: "webhook", target: r.url }))
          .body.id,
      );
    const units: { unitId: string; probeId: string }[] = [];
    for (let i = 0; i < 12; i++) units.push(await w.unitWithProbe(`Freezer ${i + 1}`));
    for (const u of units) w.alerting.onProbeLive(u.probeId, { batteryPct: 5 });
    await w.alerting.settled();
    await w.alerting.outbox.drain(30_000);

    expect(together.max).toBeGreaterThanOrEqual(2);
    for (const [i, r] of receivers.entries()) {
      const rows = rowsOf(channelIds[i] as string);
      expect(rows).toHaveLength(12);
      expect(r.got).toEqual(rows.map((row) => row.delivery_id));
      expect(r.maxInProgress()).toBe(1);
    }
  });
});
