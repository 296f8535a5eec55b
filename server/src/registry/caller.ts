/**
 * Who is asking. Every registry query takes a caller and goes through `ownedBy`, so per-tenant
 * access needs no rewrite once real accounts exist. The bootstrap admin token acts as an admin.
 */
export interface Caller {
  accountId: string;
  role: "admin" | "staff" | "donor";
}

export const ADMIN: Caller = { accountId: "admin", role: "admin" };

/** The one place that decides which rows a caller may see: SQL condition and its parameters. */
export function ownedBy(caller: Caller, column = "owner_id"): { sql: string; params: string[] } {
  if (caller.role === "admin") return { sql: "1 = 1", params: [] };
  return { sql: `${column} = ?`, params: [caller.accountId] };
}
