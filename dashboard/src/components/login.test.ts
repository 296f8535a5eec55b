import { describe, expect, it } from "vitest";
import { signInProblem } from "./login.js";

const refused = (status: number, extra: { retryAfterS?: number; message?: string } = {}) => ({
  ok: false as const,
  status,
  code: "X",
  message: extra.message ?? "server words",
  ...(extra.retryAfterS !== undefined && { retryAfterS: extra.retryAfterS }),
});

describe("sign-in refusals in plain words", () => {
  it("says what happened and what to do, without codes", () => {
    expect(signInProblem(refused(401))).toBe(
      "That email and password do not match. Check both and try again.",
    );
    expect(signInProblem(refused(403))).toBe(
      "This account is switched off. Ask the staff of your milk bank.",
    );
    expect(signInProblem(refused(0))).toBe("Cannot reach coldtrail. Check your connection and try again.");
    expect(signInProblem(refused(500, { message: "internal error; see the server log" }))).toBe(
      "Signing in did not work: internal error; see the server log",
    );
  });

  it("a throttled sign-in says how long to wait, from Retry-After, in whole minutes", () => {
    expect(signInProblem(refused(429, { retryAfterS: 600 }))).toBe(
      "Too many attempts, so signing in is paused for safety. Try again in 10 minutes.",
    );
    expect(signInProblem(refused(429, { retryAfterS: 30 }))).toMatch(/Try again in 1 minute\.$/);
    // No Retry-After: the server's lock time (15 min) is the honest guess.
    expect(signInProblem(refused(429))).toMatch(/Try again in 15 minutes\.$/);
  });
});
