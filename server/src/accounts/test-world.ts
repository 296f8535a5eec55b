/**
 * A real accounts module for tests: a temporary SQLite file with the server's migrations, the
 * real registries and audit log, and an injected clock. Not used by the server.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../db/open.js";
import { createAudit } from "../registry/audit.js";
import { createBatches } from "../registry/batches.js";
import { ADMIN, type Caller } from "../registry/caller.js";
import { createProbes } from "../registry/probes.js";
import { createUnits } from "../registry/units.js";
import { PROFILE_IDS } from "../rules/index.js";
import { callerOf } from "./directory.js";
import { createAccounts, type Role } from "./index.js";
import { createSignInThrottle } from "./throttle.js";

/** 3 May 2026, 12:00 UTC. */
export const T0 = Date.UTC(2026, 4, 3, 12, 0, 0);
export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
export const PASSWORD = "correct horse battery staple";

export function createAccountsWorld() {
  const dir = mkdtempSync(join(tmpdir(), "coldtrail-accounts-"));
  const db = openDatabase(dir);
  const audit = createAudit(db);
  let nowMs = T0;
  const now = () => nowMs;
  const throttle = createSignInThrottle({ now });
  const accounts = createAccounts({ db, audit, now, throttle });
  const units = createUnits(db, audit, () => new Set<string>(PROFILE_IDS));
  const probes = createProbes(db, audit);
  const batches = createBatches(db, audit);
  return {
    dir,
    db,
    audit,
    accounts,
    throttle,
    units,
    probes,
    batches,
    now,
    setNow(ms: number) {
      nowMs = ms;
    },
    advance(ms: number) {
      nowMs += ms;
    },
    /** A site made by the bootstrap admin. */
    site(name: string): string {
      return accounts.createSite(ADMIN, name).id;
    },
    /**
     * An invited account acting as a caller, without setting a password (no scrypt): for tests
     * of who sees what. `by` is who invites (the bootstrap admin by default).
     */
    member(role: Role, siteId: string | null, name: string, by: Caller = ADMIN): Caller {
      const { account } = accounts.invite(by, {
        email: `${name.toLowerCase().replace(/\W+/g, ".")}@example.org`,
        name,
        role,
        siteId,
      });
      return callerOf(account);
    },
    /** Invites, accepts with PASSWORD, and returns the email to sign in with. */
    async activeMember(
      role: Role,
      siteId: string | null,
      name: string,
    ): Promise<{ email: string; caller: Caller }> {
      const email = `${name.toLowerCase().replace(/\W+/g, ".")}@example.org`;
      const { inviteToken } = accounts.invite(ADMIN, { email, name, role, siteId });
      const accepted = await accounts.acceptInvitation(inviteToken, PASSWORD);
      if (!accepted.ok) throw new Error(accepted.message);
      return { email, caller: callerOf(accepted.account) };
    },
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type AccountsWorld = ReturnType<typeof createAccountsWorld>;
