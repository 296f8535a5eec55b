import { randomCode } from "../registry/ids.js";

/** Ids of the accounts module's rows: a prefix naming the kind, then 80 random bits. */
export const newAccountsId = (prefix: "acct" | "site" | "inv" | "ses" | "tok"): string =>
  `${prefix}_${randomCode(80).toLowerCase()}`;
