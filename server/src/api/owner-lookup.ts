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
): (ownerId: string) => Promise<OwnerFacts | null> {
  let sites: Promise<Map<string, string>> | undefined;
  const seen = new Map<string, Promise<OwnerFacts | null>>();
  const lookUp = async (ownerId: string): Promise<OwnerFacts | null> => {
    sites ??= accounts.listSites(caller).then((list) => new Map(list.map((s) => [s.id, s.name])));
    try {
      const a = await accounts.getAccount(caller, ownerId);
      const siteName = a.siteId ? (await sites).get(a.siteId) : undefined;
      return {
        name: a.name,
        site: a.siteId && siteName !== undefined ? { id: a.siteId, name: siteName } : null,
      };
    } catch {
      return null;
    }
  };
  return (ownerId) => {
    let facts = seen.get(ownerId);
    if (!facts) {
      facts = lookUp(ownerId);
      seen.set(ownerId, facts);
    }
    return facts;
  };
}
