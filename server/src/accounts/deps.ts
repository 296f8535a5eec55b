import type { Db } from "../db/open.js";
import type { SqlClient } from "../db/sql/client.js";

/**
 * What the accounts module is built from: the SQL client (SQLite or PostgreSQL, db/sql/) and a
 * clock. Audit rows go through the same client, in the change's own transaction.
 */
export interface AccountsDeps {
  sql: SqlClient;
  now: () => number;
}

/** What account erasure needs beside the SQL client (erasure.ts). */
export interface ErasureOptions {
  /**
   * This instance's own SQLite file: the deleted probes' readings and journal backlog are
   * deleted there after the shared rows. Without it they stay (a test on PostgreSQL alone).
   */
  local?: { db: Db };
  /** The batches erasure deleted, after it committed (the custody index forgets them). */
  onBatchesDeleted?: (batchIds: readonly string[]) => void;
  /**
   * The units and probes erasure deleted or changed, after it committed: this instance's registry
   * index reads them again (the other instances hear them on the registry's NOTIFY channel).
   */
  onRegistryChanged?: (changed: { units: readonly string[]; probes: readonly string[] }) => Promise<void>;
}
