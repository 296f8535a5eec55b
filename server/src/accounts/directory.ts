import type { SqlQueries } from "../db/sql/client.js";
import { conflict, forbidden, invalidInput, notFound } from "../errors.js";
import { recordAudit } from "../registry/audit.js";
import type { Caller } from "../registry/caller.js";
import { newAccountsId } from "./account-ids.js";
import type { AccountsDeps } from "./deps.js";
import {
  type AccountRef,
  canManage,
  canSee,
  type Decision,
  ROLES,
  type Role,
  siteRule,
} from "./permissions.js";

/**
 * invited: has an email but no password yet; active: may sign in (the bootstrap admin, with no
 * email, is active through the admin token); disabled; deleted: an anonymous tombstone.
 */
export type AccountStatus = "invited" | "active" | "disabled" | "deleted";

/** An account as the API shows it: never its password hash. */
export interface Account {
  id: string;
  email: string | null;
  name: string;
  role: Role;
  siteId: string | null;
  status: AccountStatus;
  createdMs: number;
  disabledMs: number | null;
  deletedMs: number | null;
}

export interface Site {
  id: string;
  name: string;
  createdMs: number;
}

/** Display names: trimmed, 1..200 characters (a label in lists, not a legal name). */
export const NAME_MAX_CHARS = 200;
/** RFC 5321 4.5.3.1.3: a forward path is at most 256 octets including the brackets, so 254. */
export const EMAIL_MAX_CHARS = 254;

export const toAccount = (r: Record<string, unknown>): Account => ({
  id: r.id as string,
  email: (r.email as string | null) ?? null,
  name: r.name as string,
  role: r.role as Role,
  siteId: (r.site_id as string | null) ?? null,
  status:
    r.deleted_ms !== null
      ? "deleted"
      : r.disabled_ms !== null
        ? "disabled"
        : r.password_hash === null && r.email !== null
          ? "invited"
          : "active",
  createdMs: r.created_ms as number,
  disabledMs: (r.disabled_ms as number | null) ?? null,
  deletedMs: (r.deleted_ms as number | null) ?? null,
});

export const refOf = (a: Account): AccountRef => ({
  id: a.id,
  role: a.role,
  siteId: a.siteId,
  deleted: a.status === "deleted",
});

/** The caller an account acts as once it has signed in or presented a token. */
export const callerOf = (a: Account): Caller => ({
  accountId: a.id,
  role: a.role,
  siteId: a.siteId,
  name: a.name,
});

/** Throws the catalogue error matching a refused decision; a route turns it into a response. */
export function enforce(d: Decision): void {
  if (d.ok) return;
  if (d.status === "not-found") throw notFound("account", d.id);
  if (d.status === "forbidden") throw forbidden(d.message);
  throw invalidInput(d.message);
}

/** Emails compare case-insensitively: stored trimmed and lower-cased. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

export function checkEmail(email: string): string {
  const e = normaliseEmail(email);
  if (e.length > EMAIL_MAX_CHARS || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e)) {
    throw invalidInput(
      `email must look like name@example.org (at most ${EMAIL_MAX_CHARS} characters), got "${email.slice(0, 80)}"`,
    );
  }
  return e;
}

export function checkName(name: string, what = "name"): string {
  const n = name.trim();
  if (n.length === 0 || n.length > NAME_MAX_CHARS) {
    throw invalidInput(`${what} must be 1 to ${NAME_MAX_CHARS} characters, got ${n.length}`);
  }
  return n;
}

export function checkRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw invalidInput(`role must be one of ${ROLES.join(", ")}, got "${role.slice(0, 40)}"`);
  }
  return role as Role;
}

const ACCOUNT_BY_ID = "SELECT * FROM account WHERE id = ?";
const SITE_BY_ID = "SELECT id, name, created_ms FROM site WHERE id = ?";

const toSite = (r: Record<string, unknown>): Site => ({
  id: r.id as string,
  name: r.name as string,
  createdMs: r.created_ms as number,
});

export function createDirectory({ sql, now }: AccountsDeps) {
  /** Any account by id, whoever asks: for the module's own use, never for a route's answer. */
  async function find(id: string, q: SqlQueries = sql): Promise<Account | null> {
    const r = await q.get<Record<string, unknown>>(ACCOUNT_BY_ID, [id]);
    return r ? toAccount(r) : null;
  }

  async function site(id: string): Promise<Site | null> {
    const r = await sql.get<Record<string, unknown>>(SITE_BY_ID, [id]);
    return r ? toSite(r) : null;
  }

  async function requireSite(id: string | null): Promise<void> {
    if (id !== null && !(await site(id))) throw notFound("site", id);
  }

  /** An account the caller may see, or 404. */
  async function get(caller: Caller, id: string): Promise<Account> {
    const a = await find(id);
    if (!a || !canSee(caller, refOf(a))) throw notFound("account", id);
    return a;
  }

  return {
    find,
    site,
    requireSite,
    get,

    /** admin: every account; staff: their site's accounts and themselves; donor: herself. */
    async list(caller: Caller): Promise<Account[]> {
      const rows =
        caller.role === "admin"
          ? await sql.query<Record<string, unknown>>("SELECT * FROM account ORDER BY created_ms, id")
          : caller.role === "staff" && caller.siteId
            ? await sql.query<Record<string, unknown>>(
                "SELECT * FROM account WHERE site_id = ? OR id = ? ORDER BY created_ms, id",
                [caller.siteId, caller.accountId],
              )
            : await sql.query<Record<string, unknown>>(ACCOUNT_BY_ID, [caller.accountId]);
      return rows.map(toAccount);
    },

    /**
     * Changes name, role, site or disabled. Anyone may rename herself; admins change anyone but the
     * bootstrap admin, staff the donors of their site (name and disabled only). Nobody changes
     * their own role or disables themselves (so an admin cannot lock everyone out). Disabling ends
     * the account's sessions; its API tokens stop resolving while it is disabled.
     */
    async update(
      caller: Caller,
      id: string,
      change: {
        name?: string | undefined;
        role?: Role | undefined;
        siteId?: string | null | undefined;
        disabled?: boolean | undefined;
      },
    ): Promise<Account> {
      const before = await get(caller, id);
      const self = caller.accountId === id;
      const onlyName =
        change.role === undefined && change.siteId === undefined && change.disabled === undefined;
      if (self && !onlyName) {
        throw forbidden("you cannot change your own role, site or disabled state; ask an admin");
      }
      if (!(self && onlyName && before.status !== "deleted")) enforce(canManage(caller, refOf(before)));
      if (caller.role !== "admin" && (change.role !== undefined || change.siteId !== undefined)) {
        if (
          (change.role ?? before.role) !== before.role ||
          (change.siteId ?? before.siteId) !== before.siteId
        ) {
          throw forbidden("only an admin changes an account's role or site");
        }
      }
      const role = change.role === undefined ? before.role : checkRole(change.role);
      const siteId = change.siteId !== undefined ? change.siteId : role === "admin" ? null : before.siteId;
      enforce(siteRule(role, siteId));
      await requireSite(siteId);
      const nowMs = now();
      const disabledMs =
        change.disabled === undefined
          ? before.disabledMs
          : change.disabled
            ? (before.disabledMs ?? nowMs)
            : null;
      const name = change.name === undefined ? before.name : checkName(change.name);
      return sql.transaction(async (tx) => {
        await tx.run("UPDATE account SET name = ?, role = ?, site_id = ?, disabled_ms = ? WHERE id = ?", [
          name,
          role,
          siteId,
          disabledMs,
          id,
        ]);
        if (disabledMs !== null && before.disabledMs === null) {
          await tx.run("DELETE FROM session WHERE account_id = ?", [id]);
        }
        // Names and emails stay out of the audit log, so deleting an account leaves none behind.
        await recordAudit(tx, nowMs, caller.accountId, "account.updated", "account", id, {
          before: { role: before.role, siteId: before.siteId, disabled: before.disabledMs !== null },
          after: { role, siteId, disabled: disabledMs !== null },
          nameChanged: name !== before.name,
        });
        return (await find(id, tx)) as Account;
      });
    },

    /** Sites (a milk bank, a household group) are created by admins. */
    async createSite(caller: Caller, name: string): Promise<Site> {
      if (caller.role !== "admin") throw forbidden("only an admin creates sites");
      const n = checkName(name, "site name");
      // Site names are unique whatever their case: the index is on lower(name) (SQLite: COLLATE NOCASE).
      const existing = await sql.get<{ id: string }>("SELECT id FROM site WHERE lower(name) = lower(?)", [n]);
      if (existing) {
        throw conflict(`a site named "${n}" exists already ("${existing.id}"); choose another name`);
      }
      const s: Site = { id: newAccountsId("site"), name: n, createdMs: now() };
      await sql.transaction(async (tx) => {
        await tx.run("INSERT INTO site (id, name, created_ms) VALUES (?, ?, ?)", [s.id, s.name, s.createdMs]);
        await recordAudit(tx, s.createdMs, caller.accountId, "site.created", "site", s.id, { name: n });
      });
      return s;
    },

    /** admin: every site; others: their own. */
    async listSites(caller: Caller): Promise<Site[]> {
      if (caller.role === "admin") {
        return (
          await sql.query<Record<string, unknown>>(
            "SELECT id, name, created_ms FROM site ORDER BY lower(name), id",
          )
        ).map(toSite);
      }
      const own = caller.siteId ? await site(caller.siteId) : null;
      return own ? [own] : [];
    },
  };
}
export type Directory = ReturnType<typeof createDirectory>;
