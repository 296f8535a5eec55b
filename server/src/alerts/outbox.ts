import { randomUUID } from "node:crypto";
import { channel as diagnosticsChannel } from "node:diagnostics_channel";
import { hostname } from "node:os";
import type { SqlClient, SqlQueries } from "../db/sql/client.js";
import type { Logger } from "../logger.js";
import { toChannel } from "./channel-store.js";
import { createLaneChain, type LaneOrder } from "./channels/lane-chain.js";
import { type AlertChannel, type GroupedDelivery, type SendResult, sendInOrder } from "./channels/types.js";
import type { SecretBox } from "./secret-box.js";
import type { Channel, ChannelKind } from "./types.js";
import type { AlertPayload } from "./view.js";

export interface OutboxOptions {
  media: ReadonlyMap<ChannelKind, AlertChannel>;
  /** Opens channel secrets for the medium (they are stored sealed). */
  secretBox: SecretBox;
  log: Logger;
  now(): number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Deliveries to one channel created within this long of each other go as one message, where the medium groups. 0 = never. */
  groupWindowMs?: number;
  /** At most this many deliveries in one grouped message, or handed to a medium in one run. */
  groupMax?: number;
  /** Deliveries in flight at once across all lanes. */
  concurrency?: number;
  /** Who claims rows (several instances on one PostgreSQL). Default `outbox/{host}/{pid}/{random}`. */
  instanceId?: string;
  /**
   * A claim lasts this long and is renewed every third of it while its rows are in flight; one
   * left by an instance that died is taken over this long after its last renewal. Default 60 s.
   */
  claimMs?: number;
  /**
   * Claim rows before sending them (several instances on one database). Default: on PostgreSQL
   * only; on SQLite one server uses the file, so every row is trivially its own and the claim's
   * commit before each look would be an fsync for nothing.
   */
  claims?: boolean;
  /**
   * At start, release every claim (they were left by this server before a crash): true on SQLite,
   * where one server uses the file. Default: true on SQLite, false on PostgreSQL.
   */
  releaseClaimsAtStart?: boolean;
}

/** Back-off before attempt n+1 after n failures: doubles from min, capped at max. */
export function backoffMs(failures: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.max(0, Math.min(failures - 1, 30)));
}

interface Row {
  id: number;
  delivery_id: string;
  event_id: number;
  channel_id: string;
  attempts: number;
  next_attempt_ms: number;
  created_ms: number;
  body: string | null;
  kind: string | null;
  target: string | null;
}

/** A head row: with its claim and its channel's columns (all null when the channel row is missing). */
interface HeadRow extends Row {
  claimed_by: string | null;
  claim_until_ms: number | null;
  c_id: string | null;
  c_owner_id: string | null;
  c_secret: string | null;
  c_unit_ids: string | null;
  c_alert_kinds: string | null;
  c_min_escalation: number | null;
  c_created_ms: number | null;
  c_deleted_ms: number | null;
}

/** The channel a head row goes to, from the columns the heads query joined; null if it is gone. */
function channelOfHead(r: HeadRow): Channel | null {
  if (r.c_id === null) return null;
  return toChannel({
    id: r.c_id,
    owner_id: r.c_owner_id,
    kind: r.kind,
    target: r.target,
    secret: r.c_secret,
    unit_ids: r.c_unit_ids,
    alert_kinds: r.c_alert_kinds,
    min_escalation: r.c_min_escalation,
    created_ms: r.c_created_ms,
    deleted_ms: r.c_deleted_ms,
  });
}

/**
 * The head row and the rows queued right behind it that may share its message: same channel,
 * next in id order with nothing skipped, due, each created within `windowMs` of the one before
 * (alerts of one burst, however long it lasts), at most `max` in all. Pure, so the grouping rule
 * is tested without a database.
 */
export function groupBehind<R extends Pick<Row, "created_ms" | "next_attempt_ms" | "body">>(
  head: R,
  next: readonly R[],
  o: { windowMs: number; max: number; nowMs: number },
): R[] {
  const group = [head];
  if (o.windowMs <= 0) return group;
  for (const r of next) {
    if (group.length >= o.max) break;
    const prev = group[group.length - 1] as R;
    if (r.created_ms - prev.created_ms > o.windowMs || r.next_attempt_ms > o.nowMs || r.body === null) break;
    group.push(r);
  }
  return group;
}

/**
 * What each delivery went through, published on the diagnostics channel `coldtrail:alert-delivery`
 * when someone subscribes (the alert bench does): epoch ms of each stage, for finding where the
 * time goes. Nothing is computed when nobody listens.
 */
export interface DeliveryTrace {
  kind: string | null;
  /** The rows attempted, in order, and when each was committed (with its alert change). */
  deliveries: { deliveryId: string; createdMs: number }[];
  ok: boolean[];
  /** The pump found the head due and its lane idle. */
  pickedMs: number;
  /** Handed to the medium (the delivery thread, for webhook, email and web push). */
  sendMs: number;
  /** The medium answered (the receiver accepted or refused, or the attempt failed). */
  doneMs: number;
  /** The outcome was committed to the outbox. */
  markedMs: number;
}
export const DELIVERY_TRACE = "coldtrail:alert-delivery";
const trace = diagnosticsChannel(DELIVERY_TRACE);

/**
 * The oldest undelivered row of each channel, with its body and destination. Seeks the undelivered
 * rows through the index alert_outbox_heads (status, channel_id, id) (EXPLAIN QUERY PLAN checked in
 * outbox.test.ts), so it costs the same after a year of delivered rows as on the first day.
 */
export const HEADS_SQL = `SELECT o.id, o.delivery_id, o.event_id, o.channel_id, o.attempts, o.next_attempt_ms, o.created_ms, e.body,
            o.claimed_by, o.claim_until_ms,
            c.kind, c.target, c.id AS c_id, c.owner_id AS c_owner_id, c.secret AS c_secret, c.unit_ids AS c_unit_ids,
            c.alert_kinds AS c_alert_kinds, c.min_escalation AS c_min_escalation, c.created_ms AS c_created_ms,
            c.deleted_ms AS c_deleted_ms
       FROM alert_outbox o LEFT JOIN alert_event e ON e.id = o.event_id LEFT JOIN alert_channel c ON c.id = o.channel_id
      WHERE o.id IN (SELECT min(id) FROM alert_outbox WHERE status IN ('pending', 'failed') GROUP BY channel_id)
      ORDER BY o.id`;

/**
 * Up to `limit` delivered or cancelled rows finished before a time (delivered then, or created then
 * if cancelled). Undelivered rows are never pruned, however old: they are still owed.
 */
export const PRUNE_SQL = `DELETE FROM alert_outbox WHERE id IN (
       SELECT id FROM alert_outbox
        WHERE status IN ('delivered', 'cancelled') AND coalesce(delivered_ms, created_ms) < ?
        LIMIT ?)`;

const BEHIND_SQL = `SELECT o.id, o.delivery_id, o.event_id, o.channel_id, o.attempts, o.next_attempt_ms, o.created_ms, e.body,
            NULL AS kind, NULL AS target
       FROM alert_outbox o LEFT JOIN alert_event e ON e.id = o.event_id
      WHERE o.channel_id = ? AND o.status IN ('pending', 'failed') AND o.id > ?
      ORDER BY o.id LIMIT ?`;
const DELIVERED_SQL = `UPDATE alert_outbox SET status = 'delivered', attempts = attempts + 1, delivered_ms = ?, last_error = NULL,
            claimed_by = NULL, claim_until_ms = NULL
      WHERE id = ? AND status != 'delivered'`;
/** Only while the row is still this instance's (or nobody's): one that another took over is that one's to mark. */
const FAILED_SQL = `UPDATE alert_outbox SET status = 'failed', attempts = attempts + 1, next_attempt_ms = ?, last_error = ?,
            claimed_by = NULL, claim_until_ms = NULL
      WHERE id = ? AND status IN ('pending', 'failed') AND (claimed_by IS NULL OR claimed_by = ?)`;
const RELEASE_SQL =
  "UPDATE alert_outbox SET claimed_by = NULL, claim_until_ms = NULL WHERE id = ? AND claimed_by = ?";
const RENEW_SQL =
  "UPDATE alert_outbox SET claim_until_ms = ? WHERE claimed_by = ? AND status IN ('pending', 'failed')";
const RELEASE_ALL_SQL =
  "UPDATE alert_outbox SET claimed_by = NULL, claim_until_ms = NULL WHERE claimed_by IS NOT NULL AND status IN ('pending', 'failed')";
const PENDING_SQL = "SELECT count(*) AS n FROM alert_outbox WHERE status IN ('pending', 'failed')";

/**
 * Claims undelivered rows of one channel for `instanceId` until `untilMs`, in order: the first row
 * alone first (whoever claims a lane's head owns the lane, so two instances never lock the rest of
 * a lane in opposite orders), then the rest. Claimable: unclaimed, already this instance's, or
 * claimed by anyone until a time not after `nowMs` (that instance died or gave up). Returns the ids
 * claimed: the leading run of `ids` this instance now holds (empty if the first was not claimed).
 */
export async function claimRows(
  tx: SqlQueries,
  ids: readonly number[],
  o: { instanceId: string; untilMs: number; nowMs: number },
): Promise<number[]> {
  const claim = async (some: readonly number[]) =>
    (
      await tx.query<{ id: number }>(
        `UPDATE alert_outbox SET claimed_by = ?, claim_until_ms = ?
          WHERE id IN (${some.map(() => "?").join(", ")}) AND status IN ('pending', 'failed')
            AND (claimed_by IS NULL OR claimed_by = ? OR claim_until_ms <= ?)
          RETURNING id`,
        [o.instanceId, o.untilMs, ...some, o.instanceId, o.nowMs],
      )
    ).map((r) => Number(r.id));
  const [first, ...rest] = ids;
  if (first === undefined || (await claim([first])).length === 0) return [];
  const got = new Set(rest.length > 0 ? await claim(rest) : []);
  const out = [first];
  for (const id of rest) {
    if (!got.has(id)) break;
    out.push(id);
  }
  return out;
}

/**
 * Delivers the outbox. Rows are delivered in lanes, one lane per destination (channel kind and
 * target: one recipient, one webhook URL): within a lane the oldest undelivered row first and one
 * at a time, so a receiver that was down gets alerts in order once it is back; lanes run in
 * parallel, at most `concurrency` at once. A medium that groups (email) gets the rows queued right
 * behind the head, created within `groupWindowMs` of it, as one message; each row keeps its own
 * status; other media get those rows as a run, sent one by one in order, stopping at the first
 * failure. A busy lane of a medium that does not group (webhook, web push) is handed its next rows
 * at once, ordered after what it has in flight (channels/lane-chain.ts, kept by the delivery
 * thread), so its backlog never waits for each answer to come back through this event loop; an
 * email lane's backlog waits and goes as one message. A failure is retried with exponential back-off for
 * as long as it takes; nothing is dropped. Rows were written in the same transaction as their alert change, and the server pokes
 * the outbox when that commits, so a new alert starts out at once; a crash between commit and send
 * only delays them.
 *
 * Several instances may deliver one outbox (PostgreSQL): an instance claims the rows it hands over
 * (`claimRows`, in one short transaction per look, never held open while sending), renews its
 * claims while they are in flight, and clears the claim when it writes the outcome. A lane whose
 * head another instance claims is left alone until that claim ends; a claim that expired (its
 * instance died mid-send) is taken by any instance, which sends the row with its delivery id.
 */
export function createOutbox(sql: SqlClient, opts: OutboxOptions) {
  const windowMs = opts.groupWindowMs ?? 0;
  const groupMax = opts.groupMax ?? 50;
  const concurrency = opts.concurrency ?? 16;
  const instanceId = opts.instanceId ?? `outbox/${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const claimMs = opts.claimMs ?? 60_000;
  const claims = opts.claims ?? sql.backend === "postgres";
  let releaseAtStart = opts.releaseClaimsAtStart ?? sql.backend === "sqlite";
  interface Mark {
    /** The rows attempted, each with its outcome. */
    rows: readonly Row[];
    results: readonly SendResult[];
    /** Rows handed over and claimed but not attempted: their claims are released. */
    unsent: readonly Row[];
    doneMs: number;
    retryAtMs: number;
  }
  const writeMarks = (batch: readonly Mark[]) =>
    sql.transaction(async (tx) => {
      for (const m of batch) {
        for (const [i, r] of m.rows.entries()) {
          const result = m.results[i] as SendResult;
          if (result.ok) await tx.run(DELIVERED_SQL, [m.doneMs, r.id]);
          else await tx.run(FAILED_SQL, [m.retryAtMs, result.reason, r.id, instanceId]);
        }
        if (claims) for (const r of m.unsent) await tx.run(RELEASE_SQL, [r.id, instanceId]);
      }
    });
  // Outcomes that finish in the same turn of the event loop are written in one transaction: in a
  // burst, one commit for many deliveries instead of one each. A lane stays busy until its outcome
  // is written.
  let marks: { mark: Mark; written: () => void }[] = [];
  function markLater(mark: Mark): Promise<void> {
    return new Promise((written) => {
      marks.push({ mark, written });
      if (marks.length > 1) return;
      setImmediate(() => {
        const batch = marks;
        marks = [];
        writeMarks(batch.map((b) => b.mark))
          .catch((e: Error) => {
            // The rows stay undelivered and claimed by this instance, which sends them again
            // (at least once, never lost).
            opts.log.error({ err: e.message, deliveries: batch.length }, "alert.outbox_mark_failed");
          })
          .finally(() => {
            for (const b of batch) b.written();
          });
      });
    });
  }
  const pendingCount = async (): Promise<number> =>
    Number((await sql.get<{ n: number }>(PENDING_SQL))?.n ?? 0);

  /** A destination with deliveries handed over and not yet answered. */
  interface Lane {
    channelId: string;
    /** The last row handed over: the next hand-over starts after it. */
    lastRowId: number;
    lastHandOver: number;
    open: number;
    /** A hand-over did not deliver everything: hand over nothing more until the lane is idle. */
    failed: boolean;
    /**
     * The medium groups (email): what queues up while a message is in flight waits and goes as one
     * message after it, instead of one message each in a chain that a slow SMTP server could not
     * keep up with in a burst.
     */
    grouping: boolean;
  }
  const lanes = new Map<string, Lane>();
  const inFlight = new Set<Promise<void>>();
  const ownOrder = createLaneChain();
  let handOvers = 0;
  let timer: NodeJS.Timeout | null = null;
  let renewer: NodeJS.Timeout | null = null;
  let running = false;
  let scheduled = false;
  /** A look (pass) is running; lanes that finish meanwhile are settled after it (see `settle`). */
  let pumping = false;
  let again = false;
  const deferred: (() => void)[] = [];
  const passWaiters: (() => void)[] = [];

  const laneOf = (r: Row): string =>
    r.kind !== null && r.target !== null ? `${r.kind}\u0000${r.target}` : `channel\u0000${r.channel_id}`;

  /**
   * One outcome per row attempted: a group shares one; a run has one each and stops at the first
   * failure (the rows after it were not tried); none if the lane's order said not to send.
   */
  async function sendRows(
    rows: readonly Row[],
    channel: Channel | null,
    medium: AlertChannel | undefined,
    grouped: boolean,
    order: LaneOrder,
  ): Promise<SendResult[]> {
    const head = rows[0] as Row;
    if (!channel) return [{ ok: false, reason: "channel not found" }];
    if (head.body === null) return [{ ok: false, reason: "event body missing" }];
    if (!medium) return [{ ok: false, reason: `no ${channel.kind} sender configured on this server` }];
    let opened: Channel;
    try {
      opened =
        channel.secret === null ? channel : { ...channel, secret: opts.secretBox.open(channel.secret) };
    } catch (e) {
      return [{ ok: false, reason: (e as Error).message }];
    }
    const items: GroupedDelivery[] = rows.map((r) => ({
      alert: JSON.parse(r.body as string) as AlertPayload,
      delivery: {
        deliveryId: r.delivery_id,
        attempt: r.attempts + 1,
        body: r.body as string,
        channel: opened,
      },
    }));
    const threw = (e: Error) => ({ ok: false as const, reason: `send threw: ${e.message}` });
    const group = grouped && items.length > 1 && medium.sendGroup ? medium.sendGroup.bind(medium) : null;
    const send = async (o?: LaneOrder): Promise<SendResult[]> => {
      if (group) {
        const result = await group(items, o).catch(threw);
        return rows.map(() => result);
      }
      if (medium.sendRun) return medium.sendRun(items, o).catch((e: Error) => [threw(e)]);
      return sendInOrder(medium, items);
    };
    // The medium keeps the lane's order itself (the delivery thread), or this side does.
    const results = medium.ordersLanes
      ? await send(order)
      : await ownOrder.run(order, group ? 1 : items.length, () => send());
    return results.slice(0, rows.length);
  }

  /** Sends rows handed over in one go and writes their outcomes; true if all were delivered. */
  async function deliver(
    rows: readonly Row[],
    channel: Channel | null,
    medium: AlertChannel | undefined,
    grouped: boolean,
    order: LaneOrder,
    pickedMs: number,
  ): Promise<boolean> {
    const sendMs = opts.now();
    const results = await sendRows(rows, channel, medium, grouped, order);
    const attempted = rows.slice(0, results.length);
    // stop() waits for this delivery and its mark, so the database is still open until then.
    const doneMs = opts.now();
    const attempt = Math.max(0, ...attempted.map((r) => r.attempts)) + 1;
    const waitMs = backoffMs(attempt, opts.minBackoffMs, opts.maxBackoffMs);
    const unsent = rows.slice(results.length);
    await markLater({ rows: attempted, results, unsent, doneMs, retryAtMs: doneMs + waitMs });
    if (attempted.length === 0) return false;
    if (trace.hasSubscribers)
      trace.publish({
        kind: channel?.kind ?? null,
        deliveries: attempted.map((r) => ({ deliveryId: r.delivery_id, createdMs: r.created_ms })),
        ok: results.map((r) => r.ok),
        pickedMs,
        sendMs,
        doneMs,
        markedMs: opts.now(),
      } satisfies DeliveryTrace);
    for (const [i, r] of attempted.entries()) {
      const result = results[i] as SendResult;
      const fields = {
        deliveryId: r.delivery_id,
        channelId: r.channel_id,
        attempt: r.attempts + 1,
        ...(grouped && attempted.length > 1 && { groupedWith: attempted.length - 1 }),
      };
      if (result.ok) opts.log.info(fields, "alert.delivered");
      else opts.log.warn({ ...fields, retryInMs: waitMs, reason: result.reason }, "alert.delivery_failed");
    }
    return unsent.length === 0 && results.every((r) => r.ok);
  }

  /** Lane bookkeeping waits while a look is running, so each look sees the lanes as they were. */
  function settle(fn: () => void): void {
    if (pumping) deferred.push(fn);
    else fn();
  }

  /** What one look decided to hand over: claimed before it goes. */
  interface Plan {
    rows: Row[];
    key: string;
    busy: Lane | undefined;
    channel: Channel | null;
    medium: AlertChannel | undefined;
    grouped: boolean;
  }

  /** `first` and the due rows queued right behind it: one message where the medium groups, within the window; else a run. */
  function plan(
    first: Row,
    queued: readonly Row[],
    key: string,
    busy: Lane | undefined,
    nowMs: number,
    channel: Channel | null,
  ): Plan {
    const medium = channel ? opts.media.get(channel.kind) : undefined;
    const grouped = Boolean(medium?.sendGroup) && windowMs > 0;
    const rows = groupBehind(first, medium ? queued : [], {
      windowMs: grouped ? windowMs : Number.POSITIVE_INFINITY,
      max: groupMax,
      nowMs,
    });
    return { rows, key, busy, channel, medium, grouped };
  }

  /** Hands over claimed rows after whatever the lane has in flight. */
  function handOver(p: Plan, rows: readonly Row[], nowMs: number): void {
    const first = rows[0] as Row;
    const { key, busy } = p;
    const lane: Lane = busy ?? {
      channelId: first.channel_id,
      lastRowId: 0,
      lastHandOver: 0,
      open: 0,
      failed: false,
      grouping: p.grouped,
    };
    const order: LaneOrder = { lane: key, id: ++handOvers, after: busy ? lane.lastHandOver : null };
    lane.lastRowId = (rows[rows.length - 1] as Row).id;
    lane.lastHandOver = order.id;
    lane.open += 1;
    lanes.set(key, lane);
    let allOk = false;
    const d: Promise<void> = deliver(rows, p.channel, p.medium, p.grouped, order, nowMs)
      .then((ok) => {
        allOk = ok;
      })
      .catch((e: Error) => {
        opts.log.error({ err: e.message, channelId: first.channel_id }, "alert.outbox_error");
      })
      .finally(() => {
        inFlight.delete(d);
        settle(() => {
          if (!allOk) lane.failed = true;
          lane.open -= 1;
          if (lane.open > 0) return;
          lanes.delete(key);
          // At once, not on the next turn of the event loop: under load a turn can take a second,
          // and a lane's next delivery would wait that long for each one before it.
          poke();
        });
      });
    inFlight.add(d);
  }

  /**
   * One look: starts every due head whose lane is idle (and not another instance's), oldest first,
   * up to `concurrency` lanes; hands a busy lane the rows queued behind what it has in flight (its
   * order kept by lane-chain.ts); claims all of it in one transaction, then hands it over. Returns
   * when to look next (ms from now).
   */
  async function pass(): Promise<number> {
    if (releaseAtStart) {
      await sql.run(RELEASE_ALL_SQL);
      releaseAtStart = false;
    }
    const nowMs = opts.now();
    let nextMs = Number.POSITIVE_INFINITY;
    // Lanes already looked at: younger heads of the same lane (another channel to the same
    // address) wait behind the oldest.
    const held = new Set<string>();
    const plans: Plan[] = [];
    let starting = 0;
    for (const row of await sql.query<HeadRow>(HEADS_SQL)) {
      const key = laneOf(row);
      if (held.has(key)) continue;
      held.add(key);
      const busy = lanes.get(key);
      if (busy) {
        if (busy.failed || busy.grouping || busy.channelId !== row.channel_id) continue;
        const [first, ...queued] = await sql.query<Row>(BEHIND_SQL, [
          row.channel_id,
          busy.lastRowId,
          groupMax,
        ]);
        if (first && first.next_attempt_ms <= nowMs && first.body !== null)
          plans.push(plan(first, queued, key, busy, nowMs, channelOfHead(row)));
        continue;
      }
      const claimUntil = row.claim_until_ms ?? 0;
      if (row.claimed_by !== null && row.claimed_by !== instanceId && claimUntil > nowMs) {
        // Another instance is sending this lane's head: look again when its claim would end.
        nextMs = Math.min(nextMs, claimUntil);
        continue;
      }
      if (row.next_attempt_ms > nowMs) {
        nextMs = Math.min(nextMs, row.next_attempt_ms);
        continue;
      }
      if (lanes.size + starting >= concurrency) break; // poked again when one finishes
      const queued =
        groupMax > 1 ? await sql.query<Row>(BEHIND_SQL, [row.channel_id, row.id, groupMax - 1]) : [];
      plans.push(plan(row, queued, key, undefined, nowMs, channelOfHead(row)));
      starting += 1;
    }
    if (plans.length > 0 && !claims) for (const p of plans) handOver(p, p.rows, nowMs);
    else if (plans.length > 0) {
      const claimed = await sql.transaction(async (tx) => {
        const out: number[][] = [];
        for (const p of plans)
          out.push(
            await claimRows(
              tx,
              p.rows.map((r) => r.id),
              { instanceId, untilMs: nowMs + claimMs, nowMs },
            ),
          );
        return out;
      });
      for (const [i, p] of plans.entries()) {
        const ids = claimed[i] as number[];
        if (ids.length > 0) handOver(p, p.rows.slice(0, ids.length), nowMs);
      }
    }
    // Look now and then as well: rows are added by other instances, and claims run out.
    return Number.isFinite(nextMs) ? Math.min(nextMs - nowMs, 5000) : 5000;
  }

  function schedule(delayMs: number): void {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(
      () => {
        timer = null;
        pump();
      },
      Math.max(0, delayMs),
    );
    timer.unref();
  }

  function pump(): void {
    scheduled = false;
    // A pump queued before stop() may run after it: the database may be closed by then.
    if (!running) return;
    if (pumping) {
      again = true;
      return;
    }
    pumping = true;
    let nextLookMs = 5000;
    pass()
      .then(
        (ms) => {
          nextLookMs = ms;
        },
        (e: Error) => opts.log.error({ err: e.message }, "alert.outbox_error"),
      )
      .finally(() => {
        pumping = false;
        for (const fn of deferred.splice(0)) fn();
        for (const w of passWaiters.splice(0)) w();
        schedule(nextLookMs);
        if (again) {
          again = false;
          poke();
        }
      });
  }

  /** Keeps this instance's claims alive while it has deliveries in flight. */
  function renew(): void {
    if (!running || !claims || inFlight.size === 0) return;
    sql
      .run(RENEW_SQL, [opts.now() + claimMs, instanceId])
      .catch((e: Error) => opts.log.error({ err: e.message }, "alert.outbox_claim_renew_failed"));
  }

  /**
   * New rows were committed: look as soon as the code that committed them returns (a microtask),
   * not a whole turn of the event loop later, which under ingest load is hundreds of milliseconds.
   */
  function poke(): void {
    if (!running || scheduled) return;
    scheduled = true;
    queueMicrotask(pump);
  }

  return {
    /** Who this outbox's claims name. */
    instanceId,
    start(): void {
      if (running) return;
      running = true;
      renewer = setInterval(renew, Math.max(1000, Math.floor(claimMs / 3)));
      renewer.unref();
      poke();
    },
    /** New rows were committed. */
    poke,
    /**
     * Resolves after one whole look that began after this call, once the deliveries in flight
     * then have written their outcomes (tests: what one look did, or that it did nothing).
     */
    async lookedOnce(): Promise<void> {
      await new Promise<void>((resolve) => {
        const wait = () => {
          passWaiters.push(resolve);
          poke();
        };
        if (pumping) passWaiters.push(wait);
        else wait();
      });
      await Promise.all([...inFlight]);
    },
    async stop(): Promise<void> {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      if (renewer) clearInterval(renewer);
      renewer = null;
      // A look in progress may still hand rows over: wait for it, then for what it started.
      if (pumping) await new Promise<void>((resolve) => passWaiters.push(resolve));
      await Promise.all([...inFlight]);
    },
    /**
     * Deletes delivered and cancelled rows finished before `beforeMs`, at most `limit` of them (so
     * one call never holds the database for long); returns how many went. Call again while it
     * returns `limit`.
     */
    async prune(beforeMs: number, limit = 5000): Promise<number> {
      return (await sql.run(PRUNE_SQL, [beforeMs, limit])).changes;
    },
    /** Undelivered rows (pending or failed, waiting for a retry). */
    depth: pendingCount,
    /** Resolves once nothing is undelivered, or rejects after timeoutMs. */
    async drain(timeoutMs = 10_000): Promise<void> {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const left = await pendingCount();
        if (left === 0 && inFlight.size === 0) return;
        if (Date.now() > until)
          throw new Error(`alert outbox not drained after ${timeoutMs} ms (${left} undelivered)`);
        poke();
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}
export type Outbox = ReturnType<typeof createOutbox>;
