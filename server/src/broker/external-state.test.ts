import { describe, expect, it } from "vitest";
import { externalBrokerHealth } from "./external-state.js";

const T = Date.parse("2026-11-30T12:00:00Z");

describe("externalBrokerHealth", () => {
  it("is ok only while connected", () => {
    expect(externalBrokerHealth({ state: "connected", sinceMs: T })).toEqual({
      component: "mqtt-external",
      ok: true,
      state: "connected",
      since: "2026-11-30T12:00:00.000Z",
    });
    expect(externalBrokerHealth({ state: "connecting", sinceMs: T }).ok).toBe(false);
  });

  it("names the last error and the attempts while reconnecting", () => {
    const h = externalBrokerHealth({
      state: "reconnecting",
      sinceMs: T,
      lastError: "connect ECONNREFUSED 127.0.0.1:1883",
      attempts: 3,
    });
    expect(h.ok).toBe(false);
    expect(h.state).toBe("reconnecting");
    expect(h.reason).toMatch(/2026-11-30T12:00:00.000Z.*3 reconnect attempt.*ECONNREFUSED/);
  });

  it("says a failing journal withholds the acknowledgement, even while connected", () => {
    const h = externalBrokerHealth({
      state: "journal-failing",
      sinceMs: T,
      lastError: "SQLITE_FULL: database or disk is full",
      connected: true,
    });
    expect(h.ok).toBe(false);
    expect(h.reason).toMatch(/SQLITE_FULL.*not acknowledged.*delivers it again/);
  });
});
