/**
 * A real accounts module for tests, with an injected clock. Not used by the server.
 * - `openAccountsWorld(database)`: on a test database of either backend (server/test/backends.ts'
 *   `describeBackends`), migrated with the server's migrations; the accounts module only.
 * - `createAccountsWorld()`: a temporary SQLite file as the server opens it, with the real
 *   registries (units and probes still on the synchronous connection and audit writer).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../db/open.js";
import type { SqlClient } from "../db/sql/client.js";
import { migrateSql } from "../db/sql/migrate.js";
import { createSqliteClient } from "../db/sql/sqlite.js";
import { auditEntriesFor, createAudit } from "../registry/audit.js";
import { createBatches } from "../registry/batches.js";
import { ADMIN, type Caller } from "../registry/caller.js";
import { createProbes } from "../registry/probes.js";
import { createRegistryIndex } from "../registry/registry-index.js";
import { createUnits } from "../registry/units.js";
import { PROFILE_IDS } from "../rules/index.js";
import type { ErasureOptions } from "./deps.js";
import { callerOf } from "./directory.js";
import { createAccounts, type Role } from "./index.js";
import { createSignInThrottle } from "./throttle.js";

/** 3 May 2026, 12:00 UTC. */
export const T0 = Date.UTC(2026, 4, 3, 12, 0, 0);
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
export const PASSWORD = "correct horse battery staple";

function worldOn(sql: SqlClient, erasure?: ErasureOptions) {
  let nowMs = T0;
  const now = () => nowMs;
  const throttle = createSignInThrottle({ now });
  const accounts = createAccounts({ sql, now, throttle, ...(erasure ? { erasure } : {}) });
  const emailOf = (name: string) => `${name.toLowerCase().replace(/\W+/g, ".")}@example.org`;
  return {
    sql,
    accounts,
    throttle,
    now,
    setNow(ms: number) {
      nowMs = ms;
    },
    advance(ms: number) {
      nowMs += ms;
    },
    /** The audit entries of one entity, oldest first. */
    auditOf(entity: string, entityId: string) {
      return auditEntriesFor(sql, entity, entityId);
    },
    /** A site made by the bootstrap admin. */
    async site(name: string): Promise<string> {
      return (await accounts.createSite(ADMIN, name)).id;
    },
    /**
     * An invited account acting as a caller, without setting a password (no scrypt): for tests
     * of who sees what. `by` is who invites (the bootstrap admin by default).
     */
    async member(role: Role, siteId: string | null, name: string, by: Caller = ADMIN): Promise<Caller> {
      const { account } = await accounts.invite(by, { email: emailOf(name), name, role, siteId });
      return callerOf(account);
    },
    /** Invites, accepts with PASSWORD, and returns the email to sign in with. */
    async activeMember(
      role: Role,
      siteId: string | null,
      name: string,
    ): Promise<{ email: string; caller: Caller }> {
      const email = emailOf(name);
      const { inviteToken } = await accounts.invite(ADMIN, { email, name, role, siteId });
      const accepted = await accounts.acceptInvitation(inviteToken, PASSWORD);
      if (!accepted.ok) throw new Error(accepted.message);
      return { email, caller: callerOf(accepted.account) };
    },
  };
}
export type AccountsWorld = ReturnType<typeof worldOn>;

/** The accounts module on a test database of either backend; `describeBackends` closes it. */
export async function openAccountsWorld(
  database: { client: SqlClient },
  erasure?: ErasureOptions,
): Promise<AccountsWorld> {
  await migrateSql(database.client);
  return worldOn(database.client, erasure);
}

/** The accounts module and the registries on a temporary SQLite file; `close()` removes it. */
export function createAccountsWorld() {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-accounts-"));
  const db = openDatabase(dir);
  const audit = createAudit(db);
  const sql = createSqliteClient(db);
  const batches = createBatches(sql);
  // A new database: the registry's index starts empty and follows the writes made here (and
  // erasures, as in app.ts).
  const index = createRegistryIndex();
  const world = worldOn(sql, {
    local: { db },
    onBatchesDeleted: (ids) => {
      for (const id of ids) batches.index.removed(id);
    },
    onRegistryChanged: (changed) => index.reloadSome(sql, changed),
  });
  const units = createUnits(sql, index, () => new Set<string>(PROFILE_IDS));
  const probes = createProbes(sql, index);
  return {
    ...world,
    dir,
    db,
    audit,
    units,
    probes,
    batches,
    async close() {
      await sql.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type SqliteAccountsWorld = ReturnType<typeof createAccountsWorld>;
