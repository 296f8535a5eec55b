import { ConflictError } from "../errors.js";
import { ADMIN } from "../registry/caller.js";
import type { Accounts } from "./index.js";

export type FirstAdminSetup =
  /** A new invitation: its link goes to the operator's terminal, never the log. */
  | { kind: "issued"; email: string; inviteUrl: string }
  /** Another instance's invitation is still open: nothing was issued, and there is no secret here. */
  | { kind: "pending"; email: string; accountId: string; expiresAtMs: number };

/**
 * Safe first start: until a person can sign in as an admin, a start issues an invitation for the
 * first admin account and returns its link for the operator's terminal. Once someone accepted it,
 * nothing is issued again. The bootstrap admin token stays for automation; it cannot sign in to
 * the dashboard.
 *
 * - `once: false` (one instance, SQLite): each start issues a fresh one (earlier links stop
 *   working), so a restart is how an operator who lost the link gets a new one.
 * - `once: true` (instances sharing accounts on PostgreSQL): the first instance to start issues
 *   it; while it is open, the others (and later starts) report it pending without issuing, so no
 *   instance breaks the link another printed. Instances starting at once issue one between them.
 */
export async function issueFirstAdminInvitation(
  accounts: Pick<Accounts, "listAccounts" | "invite" | "reinvite" | "reinviteUnlessOpen">,
  opts: { email: string; publicHttpUrl: string; once: boolean },
): Promise<FirstAdminSetup | null> {
  const email = opts.email.toLowerCase();
  const waitingAdmin = async () => {
    const admins = (await accounts.listAccounts(ADMIN)).filter((a) => a.role === "admin" && a.email !== null);
    if (admins.some((a) => a.status === "active" || a.status === "disabled")) return "done" as const;
    return admins.find((a) => a.status === "invited" && a.email === email) ?? null;
  };
  const issued = (invited: { account: { email: string | null }; inviteToken: string }): FirstAdminSetup => ({
    kind: "issued",
    email: invited.account.email ?? opts.email,
    inviteUrl: `${opts.publicHttpUrl}/invite#${invited.inviteToken}`,
  });

  let waiting = await waitingAdmin();
  if (waiting === "done") return null;
  if (!waiting) {
    try {
      return issued(await accounts.invite(ADMIN, { email: opts.email, name: "First admin", role: "admin" }));
    } catch (error) {
      // Another instance created the account a moment ago: carry on with its invitation.
      if (!(opts.once && error instanceof ConflictError)) throw error;
      waiting = await waitingAdmin();
      if (waiting === "done") return null;
      if (!waiting) throw error;
    }
  }
  if (!opts.once) return issued(await accounts.reinvite(ADMIN, waiting.id));
  let outcome: Awaited<ReturnType<typeof accounts.reinviteUnlessOpen>>;
  try {
    outcome = await accounts.reinviteUnlessOpen(ADMIN, waiting.id);
  } catch (error) {
    // Accepted on another instance a moment ago.
    if (error instanceof ConflictError && (await waitingAdmin()) === "done") return null;
    throw error;
  }
  if ("issued" in outcome) return issued(outcome.issued);
  return {
    kind: "pending",
    email: waiting.email ?? opts.email,
    accountId: waiting.id,
    expiresAtMs: outcome.open.expiresAtMs,
  };
}
