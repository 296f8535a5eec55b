import { ADMIN } from "../registry/caller.js";
import type { Accounts } from "./index.js";

/**
 * Safe first start: until a person can sign in as an admin, each start issues a fresh invitation
 * for the first admin account (earlier links stop working) and returns its link for the operator's
 * terminal. Once someone accepted it, nothing is issued again. The bootstrap admin token stays for
 * automation; it cannot sign in to the dashboard.
 */
export async function issueFirstAdminInvitation(
  accounts: Pick<Accounts, "listAccounts" | "invite" | "reinvite">,
  opts: { email: string; publicHttpUrl: string },
): Promise<{ email: string; inviteUrl: string } | null> {
  const admins = (await accounts.listAccounts(ADMIN)).filter((a) => a.role === "admin" && a.email !== null);
  if (admins.some((a) => a.status === "active" || a.status === "disabled")) return null;
  const waiting = admins.find((a) => a.status === "invited" && a.email === opts.email.toLowerCase());
  const invited = waiting
    ? await accounts.reinvite(ADMIN, waiting.id)
    : await accounts.invite(ADMIN, { email: opts.email, name: "First admin", role: "admin" });
  return {
    email: invited.account.email ?? opts.email,
    inviteUrl: `${opts.publicHttpUrl}/invite#${invited.inviteToken}`,
  };
}
