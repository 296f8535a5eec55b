/**
 * Who may write alerts on this instance (issue #13, docs/high-availability.md item 3): on
 * PostgreSQL every instance judges every unit, but an alert change commits only on the instance
 * holding the unit's lease, checked inside the change's own transaction (`UnitLeases.check`), so a
 * holder that lost the unit and has not heard yet cannot commit.
 *
 * Changes with no unit (a probe's offline, battery or rejected-message alerts, a batch's storage
 * limit) are guarded by one more lease, on `GLOBAL_LEASE`: the keeper shares it like a unit, so
 * exactly one instance at a time writes them, and it moves like any unit when its holder dies.
 * (The holder of the probe's current unit was the other choice; a probe can have no unit, and a
 * batch alert has no probe.)
 */

import type { ChangeGuard } from "../alerts/store.js";
import type { SqlClient } from "../db/sql/client.js";
import type { Logger } from "../logger.js";
import { createLeaseKeeper, type LeaseKeeper } from "./lease-keeper.js";
import { createUnitLeases, type Lease } from "./unit-leases.js";

/** The lease guarding alert changes that belong to no unit. Registry unit ids start with u_. */
export const GLOBAL_LEASE = "~global";

export interface AlertLeasesOptions {
  sql: SqlClient;
  /** This instance's holder name (config.ha.instanceId). */
  instanceId: string;
  ttlMs: number;
  /** The registry's unit ids, read on every keeper tick. */
  unitIds: () => readonly string[];
  log: Pick<Logger, "info" | "warn">;
  /**
   * This instance now writes the alerts of `unitId` (null: the alerts of no unit, GLOBAL_LEASE),
   * called after the lease is held (alerting's `reapply`, docs/high-availability.md item 4).
   */
  onGained?: (unitId: string | null) => void;
}

export interface AlertLeases {
  keeper: LeaseKeeper;
  /** For AlertingDeps.changeGuard: refuses unless this instance holds the unit's (or the global) lease. */
  changeGuard(unitId: string | null): ChangeGuard;
}

export function createAlertLeases(options: AlertLeasesOptions): AlertLeases {
  const { sql, log } = options;
  const leases = createUnitLeases(sql, { holder: options.instanceId, ttlMs: options.ttlMs });
  const held = new Map<string, Lease>();
  const keeper = createLeaseKeeper({
    leases,
    ttlMs: options.ttlMs,
    unitIds: () => [...options.unitIds(), GLOBAL_LEASE],
    onGained: (unitId, lease) => {
      held.set(unitId, lease);
      log.info({ unitId, epoch: lease.epoch }, "ha.lease_gained");
      options.onGained?.(unitId === GLOBAL_LEASE ? null : unitId);
    },
    onLost: (unitId, reason) => {
      held.delete(unitId);
      log.info({ unitId, reason }, "ha.lease_lost");
    },
    log,
  });
  return {
    keeper,
    changeGuard(unitId) {
      const leaseId = unitId ?? GLOBAL_LEASE;
      return async (tx) => {
        const lease = held.get(leaseId);
        if (lease === undefined) {
          return {
            ok: false,
            reason: `instance ${JSON.stringify(leases.holder)} does not hold the lease on ${JSON.stringify(leaseId)}: its holder writes this change`,
          };
        }
        const checked = await leases.check(tx, lease);
        return checked.ok ? { ok: true } : checked;
      };
    },
  };
}
