/**
 * The lease keeper (issue #13): keeps this instance's share of the unit leases (ha/unit-leases.ts)
 * and says which units it gained and lost, so that one instance at a time judges a unit and raises
 * its alerts.
 *
 * Every renewal period (a third of the lease's time to live) a tick:
 * 1. renews every lease this instance holds, and its presence row; a unit whose lease did not
 *    renew (it expired, or another instance took it) is reported lost with the reason;
 * 2. reads every lease row and the unit ids (`unitIds`: units come and go) and decides:
 *    - alive instances = holders of a live presence row (`~instance/<holder>` in unit_lease), and
 *      this one; the fair share is ceil(units / alive instances);
 *    - an orphaned unit (its last holder is no longer alive: it died or stopped) is taken at once,
 *      whatever the share, so a dead instance's units move within ttl + one renewal period;
 *    - a free unit (never held, or let go by an instance still alive) is taken only while this
 *      instance holds fewer than its share;
 *    - when it holds more than its share and others are alive, it lets go of the excess (highest
 *      unit ids first) for the others to take on their next tick: instances started one after the
 *      other end up balanced; the unit is unjudged for at most one renewal period meanwhile.
 *    Taking is atomic in the database (UnitLeases.acquire), so two instances never both get a unit.
 * 3. when the database cannot be reached, the leases are kept until they would have expired,
 *    counted on this machine's clock from the moment each renewal was sent, less a margin (a tenth
 *    of the ttl, at most a second), so before the database's own expiry; then reported lost: a separate timer does it, so a query that
 *    hangs cannot keep a lease alive here after another instance may have taken it.
 * `stop` ends the timers, lets every lease go (another instance takes them at once) and reports
 * them lost.
 *
 * Callbacks run in the order events happen; one that throws is logged and does not stop the keeper.
 * Guard writes with `UnitLeases.withLease(lease, …)`: the lease's epoch fences off a holder that has
 * lost a unit and not yet heard.
 */
import type { Logger } from "../logger.js";
import type { Lease, LeaseState, UnitLeases } from "./unit-leases.js";

/** Unit ids of presence rows start with this; a registry unit id never does (they start u_). */
export const PRESENCE_PREFIX = "~instance/";
/** Presence rows of instances gone this long are deleted (unit rows never are). */
const FORGET_PRESENCE_AFTER_MS = 24 * 3_600_000;

export interface LeaseKeeperOptions {
  leases: UnitLeases;
  /** How long the leases live (the same ttlMs `leases` was made with). */
  ttlMs: number;
  /** The units to share: called every tick. */
  unitIds: () => readonly string[] | Promise<readonly string[]>;
  onGained: (unitId: string, lease: Lease) => void;
  onLost: (unitId: string, reason: string) => void;
  /** Default a third of `ttlMs`. */
  renewEveryMs?: number;
  /** This machine's clock, for leases the database could not renew. Default Date.now. */
  now?: () => number;
  log?: Pick<Logger, "warn">;
}

export interface LeaseKeeper {
  /**
   * Ticks now, then every renewal period until `stop`. Given `after`, the first tick (the first
   * lease asked for) waits until it resolves: an instance takes units only once it can judge them
   * (docs/high-availability.md item 6: its monitors loaded from alert_monitor). If it rejects, the
   * keeper never asks (the failure is logged): the other instances keep the units.
   */
  start(after?: PromiseLike<unknown>): void;
  /** One tick now (after any tick in progress); what `start` runs on its timer. */
  tick(): Promise<void>;
  /** The leases held now, by unit id. */
  held(): ReadonlyMap<string, Lease>;
  /** Stops ticking, lets every lease go and reports each lost. */
  stop(): Promise<void>;
}

interface Held {
  lease: Lease;
  /** On this machine's clock: when the lease may have expired, unless renewed before. */
  deadlineMs: number;
}

export function createLeaseKeeper(options: LeaseKeeperOptions): LeaseKeeper {
  const { leases, ttlMs, unitIds, log } = options;
  const renewEveryMs = options.renewEveryMs ?? Math.floor(ttlMs / 3);
  if (!Number.isSafeInteger(renewEveryMs) || renewEveryMs <= 0 || renewEveryMs >= ttlMs) {
    throw new RangeError(
      `lease keeper: renewEveryMs must be a whole number of milliseconds above 0 and below ttlMs (${ttlMs}), got ${renewEveryMs}`,
    );
  }
  const now = options.now ?? Date.now;
  /** A lease is given up this long before it may expire, so it is never judged here and taken there at once. */
  const marginMs = Math.min(1000, Math.floor(ttlMs / 10));
  const deadlineFrom = (sentMs: number) => sentMs + ttlMs - marginMs;
  const presenceId = `${PRESENCE_PREFIX}${leases.holder}`;
  const mine = new Map<string, Held>();
  let presence: Held | undefined;
  let running = false;
  let stopped = false;
  let tickTimer: ReturnType<typeof setTimeout> | undefined;
  let deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  let chain: Promise<void> = Promise.resolve();

  const call = (what: "onGained" | "onLost", fn: () => void, unitId: string) => {
    try {
      fn();
    } catch (error) {
      log?.warn({ err: (error as Error).message, unitId }, `lease_keeper.${what}_failed`);
    }
  };
  const gained = (lease: Lease, sentMs: number) => {
    const known = mine.get(lease.unitId);
    mine.set(lease.unitId, { lease, deadlineMs: deadlineFrom(sentMs) });
    if (known === undefined || known.lease.epoch !== lease.epoch) {
      call("onGained", () => options.onGained(lease.unitId, lease), lease.unitId);
    }
  };
  const lost = (unitId: string, reason: string) => {
    if (!mine.delete(unitId)) return;
    call("onLost", () => options.onLost(unitId, reason), unitId);
  };

  /** Reports lost every lease whose deadline has passed on this machine's clock; re-arms the timer. */
  function expireOverdue(): void {
    if (deadlineTimer !== undefined) clearTimeout(deadlineTimer);
    deadlineTimer = undefined;
    const at = now();
    for (const [unitId, held] of [...mine]) {
      if (held.deadlineMs <= at) {
        lost(
          unitId,
          `the lease on unit ${JSON.stringify(unitId)} (epoch ${held.lease.epoch}) could not be renewed before ${new Date(held.deadlineMs).toISOString()} (database unreachable?): stop judging this unit`,
        );
      }
    }
    if (presence !== undefined && presence.deadlineMs <= at) presence = undefined;
    if (stopped || mine.size === 0) return;
    const next = Math.min(...[...mine.values()].map((h) => h.deadlineMs));
    deadlineTimer = setTimeout(expireOverdue, Math.max(0, next - at));
    deadlineTimer.unref?.();
  }

  async function renew(): Promise<void> {
    const sentMs = now();
    const renewed = await leases.renewAll();
    const returned = new Map(renewed.map((l) => [l.unitId, l]));
    presence = undefined;
    for (const lease of renewed) {
      if (lease.unitId === presenceId) presence = { lease, deadlineMs: deadlineFrom(sentMs) };
      else if (deadlineFrom(sentMs) > now()) gained(lease, sentMs);
    }
    for (const [unitId, held] of [...mine]) {
      if (returned.has(unitId)) continue;
      const again = await leases.renew(held.lease);
      if (again.ok) gained(again.lease, sentMs);
      else lost(unitId, again.reason);
    }
    if (presence === undefined) {
      const taken = await leases.acquire(presenceId);
      if (taken.ok) presence = { lease: taken.lease, deadlineMs: deadlineFrom(sentMs) };
    }
  }

  async function share(): Promise<void> {
    const units = [...new Set(await unitIds())].filter((id) => !id.startsWith(PRESENCE_PREFIX)).sort();
    const listed = new Set(units);
    for (const [unitId, held] of [...mine]) {
      if (listed.has(unitId)) continue;
      lost(unitId, `unit ${JSON.stringify(unitId)} is no longer in the registry: nothing left to judge`);
      await leases.release(held.lease);
    }
    const rows = await leases.list();
    const alive = new Set<string>([leases.holder]);
    for (const row of rows) {
      if (row.live && row.unitId.startsWith(PRESENCE_PREFIX)) alive.add(row.holder);
    }
    const fair = Math.ceil(units.length / alive.size);
    const byUnit = new Map<string, LeaseState>(rows.map((r) => [r.unitId, r]));

    if (alive.size > 1 && mine.size > fair) {
      const excess = [...mine.keys()].sort().slice(fair);
      for (const unitId of excess) {
        const held = mine.get(unitId);
        if (held === undefined) continue;
        lost(
          unitId,
          `unit ${JSON.stringify(unitId)} was let go for another instance: ${alive.size} instances share ${units.length} units, at most ${fair} each`,
        );
        await leases.release(held.lease);
      }
      return;
    }
    for (const unitId of units) {
      if (mine.has(unitId)) continue;
      const row = byUnit.get(unitId);
      if (row?.live) continue;
      const orphaned = row !== undefined && !alive.has(row.holder);
      if (!orphaned && mine.size >= fair) continue;
      const sentMs = now();
      const taken = await leases.acquire(unitId);
      if (taken.ok) gained(taken.lease, sentMs);
    }
  }

  async function tickOnce(): Promise<void> {
    if (stopped) return;
    expireOverdue();
    try {
      await renew();
    } catch (error) {
      log?.warn({ err: (error as Error).message, held: mine.size }, "lease_keeper.renew_failed");
      expireOverdue();
      return;
    }
    try {
      await share();
      await leases.forgetExpired(PRESENCE_PREFIX, FORGET_PRESENCE_AFTER_MS);
    } catch (error) {
      log?.warn({ err: (error as Error).message }, "lease_keeper.share_failed");
    }
    expireOverdue();
  }

  function tick(): Promise<void> {
    chain = chain.then(tickOnce, tickOnce);
    return chain;
  }

  function schedule(): void {
    if (stopped) return;
    tickTimer = setTimeout(() => {
      tickTimer = undefined;
      void tick().finally(schedule);
    }, renewEveryMs);
    tickTimer.unref?.();
  }

  return {
    start(after) {
      if (running || stopped) return;
      running = true;
      Promise.resolve(after).then(
        () => {
          if (!stopped) void tick().finally(schedule);
        },
        (error: Error) => log?.warn({ err: error?.message }, "lease_keeper.not_started"),
      );
    },
    tick,
    held: () => new Map([...mine].map(([unitId, held]) => [unitId, held.lease])),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (tickTimer !== undefined) clearTimeout(tickTimer);
      if (deadlineTimer !== undefined) clearTimeout(deadlineTimer);
      await chain.catch(() => {});
      // Judging stops first (onLost), then the leases go: nobody else judges a unit meanwhile.
      const letGo = [...mine.values(), ...(presence ? [presence] : [])].map((h) => h.lease);
      presence = undefined;
      for (const unitId of [...mine.keys()]) {
        lost(unitId, "this instance is stopping: another instance takes the unit");
      }
      for (const lease of letGo) {
        await leases.release(lease).catch((error: Error) => {
          log?.warn({ err: error.message, unitId: lease.unitId }, "lease_keeper.release_failed");
        });
      }
    },
  };
}
