import type { Db } from "../db/open.js";
import type { Registry } from "../registry/registry.js";
import { createAccounts } from "./index.js";
import type { SignInThrottle } from "./throttle.js";

/**
 * The accounts module on the registry's SQL client, as the server runs it: erasing an account also
 * deletes its probes' readings and journal rows from this instance's own SQLite file (`db`), drops
 * its batches from the custody index, and reads its units and probes into the registry's index
 * again (only those: the other instances hear them through NOTIFY).
 */
export function accountsBesideRegistry(
  registry: Registry,
  db: Db,
  opts: { now: () => number; throttle?: SignInThrottle },
) {
  const { sql, batches, index } = registry;
  return createAccounts({
    sql,
    now: opts.now,
    ...(opts.throttle && { throttle: opts.throttle }),
    erasure: {
      local: { db },
      onBatchesDeleted: (ids) => {
        for (const id of ids) batches.index.removed(id);
      },
      onRegistryChanged: (changed) => index.reloadSome(sql, changed),
    },
  });
}
