import { describe, expect, it } from "vitest";
import { clientIdBelongsTo, clientIdForRecord } from "./client-id.js";

describe("clientIdBelongsTo", () => {
  it("is the probe id, or the probe id, a colon and a suffix", () => {
    expect(clientIdBelongsTo("freezer-1", "freezer-1")).toBe(true);
    expect(clientIdBelongsTo("freezer-1:gw", "freezer-1")).toBe(true);
    expect(clientIdBelongsTo("freezer-1:", "freezer-1")).toBe(true);
  });

  it("never lets one probe use another's client id, even when one id starts with the other", () => {
    expect(clientIdBelongsTo("freezer-12", "freezer-1")).toBe(false);
    expect(clientIdBelongsTo("freezer-1-x", "freezer-1")).toBe(false);
    expect(clientIdBelongsTo("freezer-1", "freezer-12")).toBe(false);
    expect(clientIdBelongsTo("coldtrail-sim-freezer-1", "freezer-1")).toBe(false);
    expect(clientIdBelongsTo("", "freezer-1")).toBe(false);
  });
});

describe("clientIdForRecord", () => {
  it("keeps ids up to 128 characters and cuts longer ones, saying how long they were", () => {
    expect(clientIdForRecord(null)).toBeNull();
    expect(clientIdForRecord("a".repeat(128))).toBe("a".repeat(128));
    const cut = clientIdForRecord("b".repeat(65_000));
    expect(cut).toBe(`${"b".repeat(128)}…(65000 chars)`);
  });
});
