/**
 * The outbox on both backends (test/backends.ts): delivery order, retries with the same delivery
 * id, depth and pruning; and several workers (each with its own SQL client, as instances have) on
 * one database: each row delivered once, and a claim left by a worker that died taken over once
 * it expires.
 */
import { randomBytes } from "node:crypto";
import { expect, it } from "vitest";
import { describeBackends } from "../../test/backends.js";
import type { SqlClient } from "../db/sql/client.js";
import { migrateSql } from "../db/sql/migrate.js";
import { createLogger } from "../logger.js";
import type { AlertChannel, OutgoingDelivery, SendResult } from "./channels/types.js";
import { claimRows, createOutbox, type Outbox } from "./outbox.js";
import { createSecretBox, type SecretBox } from "./secret-box.js";

const T0 = Date.UTC(2026, 4, 3, 12, 0, 0);
const log = createLogger("silent");

/** An alert with one event, and `n` outbox rows to each channel (created a second apart). */
async function seed(client: SqlClient, channels: readonly string[], n: number): Promise<void> {
  await client.run(
    `INSERT INTO alert (id, kind, subject, state, severity, owner_id, title, message, started_ms, opened_ms, episode_ms, updated_ms)
     VALUES ('al-1', 'excursion', 'unit:u-1', 'open', 'critical', 'admin', 'Too warm', '-10 °C', ?, ?, ?, ?)`,
    [T0, T0, T0, T0],
  );
  await client.run(
    "INSERT INTO alert_event (alert_id, type, at_ms, owner_id, body) VALUES ('al-1', 'opened', ?, 'admin', '{}')",
    [T0],
  );
  const event = await client.get<{ id: number }>("SELECT id FROM alert_event");
  for (const c of channels)
    await client.run(
      "INSERT INTO alert_channel (id, owner_id, kind, target, created_ms) VALUES (?, 'admin', 'webhook', ?, ?)",
      [c, `http://127.0.0.1:9/${c}`, T0],
    );
  for (let i = 0; i < n; i++)
    for (const c of channels)
      await client.run(
        `INSERT INTO alert_outbox (delivery_id, event_id, event_type, alert_id, channel_id, status, next_attempt_ms, created_ms)
         VALUES (?, ?, 'opened', 'al-1', ?, 'pending', ?, ?)`,
        [`${c}-d${String(i).padStart(3, "0")}`, Number(event?.id), c, T0, T0 + i * 1000],
      );
}

interface Sent {
  worker: string;
  deliveryId: string;
  channelId: string;
  attempt: number;
}

/** A webhook medium that records what it was given; `answer` decides each outcome (default ok). */
function recordingMedium(
  worker: string,
  sent: Sent[],
  answer: (d: OutgoingDelivery) => Promise<SendResult> = async () => ({ ok: true }),
): AlertChannel {
  return {
    kind: "webhook",
    async send(_alert, d) {
      sent.push({ worker, deliveryId: d.deliveryId, channelId: d.channel.id, attempt: d.attempt });
      return answer(d);
    },
  };
}

function outbox(
  client: SqlClient,
  medium: AlertChannel,
  o: { instanceId: string; now: () => number; secretBox?: SecretBox },
): Outbox {
  return createOutbox(client, {
    media: new Map([["webhook", medium]]),
    secretBox: o.secretBox ?? createSecretBox(randomBytes(32)),
    log,
    now: o.now,
    minBackoffMs: 1000,
    maxBackoffMs: 60_000,
    instanceId: o.instanceId,
    claimMs: 30_000,
    // Claims on SQLite too (a server there has the file to itself and does without).
    claims: true,
    // Two workers on one SQLite file too (the server releases leftover claims at start there).
    releaseClaimsAtStart: false,
  });
}

const statusOf = async (client: SqlClient) =>
  client.query<{ delivery_id: string; status: string; attempts: number; claimed_by: string | null }>(
    "SELECT delivery_id, status, attempts, claimed_by FROM alert_outbox ORDER BY id",
  );

describeBackends("alert outbox", (open) => {
  it("hands the medium the channel's secret opened; one sealed with another key fails the delivery, saying so", async () => {
    const { client } = await open();
    await migrateSql(client);
    await seed(client, ["c-1", "c-2"], 1);
    const key = createSecretBox(randomBytes(32));
    const otherKey = createSecretBox(randomBytes(32));
    await client.run("UPDATE alert_channel SET secret = ? WHERE id = 'c-1'", [
      key.seal("c-1's secret 0123456789"),
    ]);
    await client.run("UPDATE alert_channel SET secret = ? WHERE id = 'c-2'", [otherKey.seal("c-2's secret")]);
    const given: Record<string, string | null> = {};
    const box = outbox(
      client,
      recordingMedium("a", [], async (d) => {
        given[d.channel.id] = d.channel.secret;
        return { ok: true };
      }),
      { instanceId: "a", now: () => T0, secretBox: key },
    );
    box.start();
    try {
      await box.lookedOnce();
      expect(given).toEqual({ "c-1": "c-1's secret 0123456789" });
      const rows = await client.query<{ delivery_id: string; status: string; last_error: string | null }>(
        "SELECT delivery_id, status, last_error FROM alert_outbox ORDER BY id",
      );
      expect(rows.map((r) => [r.delivery_id, r.status])).toEqual([
        ["c-1-d000", "delivered"],
        ["c-2-d000", "failed"],
      ]);
      expect(rows[1]?.last_error).toMatch(
        /does not open with this server's secret key.*COLDTRAIL_SECRET_KEY/,
      );
    } finally {
      await box.stop();
    }
  });

  it("delivers each channel's rows in order, retries a failure with the same delivery id, then prunes", async () => {
    const { client } = await open();
    await migrateSql(client);
    await seed(client, ["c-1", "c-2"], 3);
    let nowMs = T0;
    const sent: Sent[] = [];
    let refuse = true;
    const box = outbox(
      client,
      recordingMedium("a", sent, async (d) =>
        refuse && d.deliveryId === "c-1-d001" ? { ok: false, reason: "HTTP 503" } : { ok: true },
      ),
      { instanceId: "a", now: () => nowMs },
    );
    box.start();
    try {
      expect(await box.depth()).toBe(6);
      // c-1's second row fails: c-1's third waits behind it; c-2 goes on.
      await box.lookedOnce();
      await box.lookedOnce();
      const rows = await statusOf(client);
      expect(rows.map((r) => [r.delivery_id, r.status])).toEqual([
        ["c-1-d000", "delivered"],
        ["c-2-d000", "delivered"],
        ["c-1-d001", "failed"],
        ["c-2-d001", "delivered"],
        ["c-1-d002", "pending"],
        ["c-2-d002", "delivered"],
      ]);
      expect(rows.every((r) => r.claimed_by === null)).toBe(true);
      expect(await box.depth()).toBe(2);
      refuse = false;
      nowMs += 1000; // the retry is due
      await box.drain();
      const c1 = sent.filter((s) => s.channelId === "c-1");
      expect(c1.map((s) => `${s.deliveryId}#${s.attempt}`)).toEqual([
        "c-1-d000#1",
        "c-1-d001#1",
        "c-1-d001#2",
        "c-1-d002#1",
      ]);
      expect(sent.filter((s) => s.channelId === "c-2").map((s) => s.deliveryId)).toEqual([
        "c-2-d000",
        "c-2-d001",
        "c-2-d002",
      ]);
      // Delivered at T0 (four rows) and at T0 + 1 s (two): a chunk at a time, the older first.
      expect(await box.prune(T0 + 1, 3)).toBe(3);
      expect(await box.prune(T0 + 1, 3)).toBe(1);
      expect(await box.prune(T0 + 1, 3)).toBe(0);
      expect((await statusOf(client)).map((r) => r.delivery_id)).toEqual(["c-1-d001", "c-1-d002"]);
    } finally {
      await box.stop();
    }
  });

  it("two workers on one database deliver every row exactly once, each channel in order", async () => {
    const { client, connect } = await open();
    await migrateSql(client);
    const channels = ["c-1", "c-2", "c-3", "c-4"];
    await seed(client, channels, 15);
    const sent: Sent[] = [];
    const now = () => T0 + 60_000;
    const a = outbox(client, recordingMedium("a", sent), { instanceId: "a", now });
    const b = outbox(await connect(), recordingMedium("b", sent), { instanceId: "b", now });
    a.start();
    b.start();
    try {
      await Promise.all([a.drain(30_000), b.drain(30_000)]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    const ids = sent.map((s) => s.deliveryId);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    for (const c of channels) {
      const ofChannel = sent.filter((s) => s.channelId === c).map((s) => s.deliveryId);
      expect(ofChannel).toEqual([...ofChannel].sort());
    }
    const rows = await statusOf(client);
    expect(rows.every((r) => r.status === "delivered" && r.attempts === 1 && r.claimed_by === null)).toBe(
      true,
    );
  });

  it("a row claimed by a worker that died waits for the claim to expire, then the other delivers it once, with its delivery id", async () => {
    const { client, connect } = await open();
    await migrateSql(client);
    await seed(client, ["c-1"], 2);
    const first = await client.get<{ id: number }>(
      "SELECT id FROM alert_outbox WHERE delivery_id = 'c-1-d000'",
    );
    // The dead worker claimed the lane's head (until T0 + 30 s) and never came back.
    const claimed = await client.transaction((tx) =>
      claimRows(tx, [Number(first?.id)], { instanceId: "dead", untilMs: T0 + 30_000, nowMs: T0 }),
    );
    expect(claimed).toEqual([Number(first?.id)]);
    let nowMs = T0 + 10_000;
    const sent: Sent[] = [];
    const b = outbox(await connect(), recordingMedium("b", sent), { instanceId: "b", now: () => nowMs });
    b.start();
    try {
      await b.lookedOnce();
      // Still the dead worker's: neither its row nor the one behind it (order) goes.
      expect(sent).toEqual([]);
      expect((await statusOf(client)).map((r) => [r.status, r.claimed_by])).toEqual([
        ["pending", "dead"],
        ["pending", null],
      ]);
      nowMs = T0 + 30_000;
      await b.drain();
    } finally {
      await b.stop();
    }
    expect(sent).toEqual([
      { worker: "b", deliveryId: "c-1-d000", channelId: "c-1", attempt: 1 },
      { worker: "b", deliveryId: "c-1-d001", channelId: "c-1", attempt: 1 },
    ]);
    expect((await statusOf(client)).map((r) => [r.status, r.claimed_by])).toEqual([
      ["delivered", null],
      ["delivered", null],
    ]);
  });
});
