/**
 * Who is asking. Every registry query takes a caller and goes through `ownedBy`, so per-tenant
 * access is decided in one place. The bootstrap admin token acts as the bootstrap admin account.
 */
export interface Caller {
  accountId: string;
  role: "admin" | "staff" | "donor";
  /**
   * The site (milk bank, household group) a staff member or donor belongs to; null for admins.
   * Optional so that callers built before accounts existed keep compiling: absent = no site.
   */
  siteId?: string | null;
  /** Display name for audit entries and logs that name the person. */
  name?: string;
}

export const ADMIN: Caller = { accountId: "admin", role: "admin", siteId: null, name: "bootstrap admin" };

/**
 * The one place that decides which rows a caller may see: SQL condition and its parameters.
 * - admin: every row;
 * - staff: rows owned by any account of their site (its donors, its staff, and so the site's own
 *   units), and their own rows; a staff caller without a site sees only their own;
 * - donor: only her own rows.
 * The condition is parenthesised so callers can join it with AND.
 */
export function ownedBy(caller: Caller, column = "owner_id"): { sql: string; params: string[] } {
  if (caller.role === "admin") return { sql: "1 = 1", params: [] };
  if (caller.role === "staff" && caller.siteId) {
    return {
      sql: `(${column} = ? OR ${column} IN (SELECT id FROM account WHERE site_id = ?))`,
      params: [caller.accountId, caller.siteId],
    };
  }
  return { sql: `${column} = ?`, params: [caller.accountId] };
}
