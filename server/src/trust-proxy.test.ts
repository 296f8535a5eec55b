import { describe, expect, it } from "vitest";
import { parseTrustProxy } from "./trust-proxy.js";

describe("parseTrustProxy", () => {
  it.each([
    ["", false],
    ["  ", false],
    ["1", 1],
    ["127.0.0.1", ["127.0.0.1"]],
    ["127.0.0.1, 10.0.0.0/8,::1,fd00::/8", ["127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"]],
  ])("%j → %j", (raw, value) => {
    expect(parseTrustProxy(raw)).toEqual({ ok: true, value });
  });

  it.each([
    ["true", /"true" is not an IP address or CIDR/],
    ["0", /hop count must be 1 to 10, got 0/],
    ["11", /hop count must be 1 to 10, got 11/],
    ["10.0.0.0/33", /"10.0.0.0\/33" is not an IP address or CIDR/],
    ["proxy.internal", /"proxy.internal" is not an IP address/],
    ["10.0.0.1,", /"" is not an IP address/],
    ["10.0.0.0/8/1", /"10.0.0.0\/8\/1" is not/],
  ])("%j is refused, saying what to write", (raw, reason) => {
    const r = parseTrustProxy(raw);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toMatch(reason);
    }
  });
});
