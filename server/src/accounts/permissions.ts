import type { Caller } from "../registry/caller.js";

export type Role = "admin" | "staff" | "donor";
export const ROLES: readonly Role[] = ["admin", "staff", "donor"];

/** What the permission rules need to know about an account. */
export interface AccountRef {
  id: string;
  role: Role;
  siteId: string | null;
  deleted: boolean;
}

export type Decision =
  | { ok: true }
  | { ok: false; status: "not-found"; id: string; message: string }
  | { ok: false; status: "forbidden" | "invalid"; message: string };

const allow: Decision = { ok: true };
const deny = (status: "forbidden" | "invalid", message: string): Decision => ({ ok: false, status, message });

/**
 * Whether `caller` may see `target` at all. Not seeing answers 404, exactly like an account that
 * does not exist (DESIGN.md: another tenant's rows are indistinguishable from missing ones).
 * admin: everyone; staff: the accounts of their site and themselves; donor: herself.
 */
export function canSee(caller: Caller, target: AccountRef): boolean {
  if (caller.accountId === target.id) return true;
  if (caller.role === "admin") return true;
  if (caller.role === "staff") return !!caller.siteId && target.siteId === caller.siteId;
  return false;
}

/** Staff and donors belong to a site; admins to none. */
export function siteRule(role: Role, siteId: string | null): Decision {
  if (role === "admin" && siteId !== null) {
    return deny("invalid", `an admin belongs to no site; leave siteId out (got "${siteId}")`);
  }
  if (role !== "admin" && siteId === null) {
    return deny("invalid", `a ${role} belongs to a site: give siteId (an admin creates sites)`);
  }
  return allow;
}

/** Admin invites any role; staff invite donors of their own site; donors invite nobody. */
export function canInvite(caller: Caller, role: Role, siteId: string | null): Decision {
  if (caller.role === "admin") return siteRule(role, siteId);
  if (caller.role === "staff") {
    if (role !== "donor") {
      return deny("forbidden", `staff may invite donors only, not a ${role}; ask an admin`);
    }
    if (!caller.siteId || siteId !== caller.siteId) {
      return deny(
        "forbidden",
        `staff may invite donors to their own site ("${caller.siteId ?? "none"}") only, not to "${siteId ?? "none"}"`,
      );
    }
    return allow;
  }
  return deny("forbidden", "donors cannot invite people; ask the staff of your milk bank");
}

/**
 * Whether `caller` may change, disable or delete `target` (name changes of one's own account are
 * checked separately). admin: anyone but the bootstrap admin; staff: the donors of their site;
 * donor: nobody else. Deleted accounts are tombstones and cannot be managed.
 */
export function canManage(caller: Caller, target: AccountRef): Decision {
  if (!canSee(caller, target))
    return {
      ok: false,
      status: "not-found",
      id: target.id,
      message: `account "${target.id}" does not exist (or is not yours)`,
    };
  if (target.deleted)
    return deny("invalid", `account "${target.id}" was deleted; nothing about it can change`);
  if (caller.role === "admin") {
    return target.id === "admin"
      ? deny(
          "forbidden",
          'the bootstrap admin "admin" cannot be changed or deleted; it backs the admin token',
        )
      : allow;
  }
  if (caller.role === "staff" && target.role === "donor" && target.siteId === caller.siteId) return allow;
  return deny(
    "forbidden",
    caller.role === "staff"
      ? `staff manage the donors of their own site only; "${target.id}" is a ${target.role}`
      : "a donor manages only her own account (export or delete it)",
  );
}
