import type { Db } from "../db/open.js";
import type { Audit } from "../registry/audit.js";

/** What every part of the accounts module is built from: the database, the audit log, a clock. */
export interface AccountsDeps {
  db: Db;
  audit: Audit;
  now: () => number;
}
