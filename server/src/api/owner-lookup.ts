import type { Accounts } from "../accounts/index.js";
import type { Caller } from "../registry/caller.js";

/** Who owns a row, as the caller may see it: the account's name and its site (milk bank, household group). */
export interface OwnerFacts {
  name: string;
  site: { id: string; name: string } | null;
}

/**
 * A per-request lookup of owners (a units list names the same few donors many times). Only what
 * the caller may see: an account or site out of their reach reads as null, never as an error.
 */
export function ownerLookup(
  accounts: Pick<Accounts, "getAccount" | "listSites">,
  caller: Caller,
): (ownerId: string) => OwnerFacts | null {
  const sites = new Map(accounts.listSites(caller).map((s) => [s.id, s.name]));
  const seen = new Map<string, OwnerFacts | null>();
  return (ownerId) => {
    if (seen.has(ownerId)) return seen.get(ownerId) ?? null;
    let facts: OwnerFacts | null = null;
    try {
      const a = accounts.getAccount(caller, ownerId);
      const siteName = a.siteId ? sites.get(a.siteId) : undefined;
      facts = {
        name: a.name,
        site: a.siteId && siteName !== undefined ? { id: a.siteId, name: siteName } : null,
      };
    } catch {
      facts = null;
    }
    seen.set(ownerId, facts);
    return facts;
  };
}
