import { describe, expect, it } from "vitest";
import { meansNoSharedSubscriptions, sharedFilter } from "./shared-subscription.js";

describe("sharedFilter", () => {
  it("puts the group in front of the filter", () => {
    expect(sharedFilter("coldtrail", "coldtrail/v1/probes/+/readings")).toBe(
      "$share/coldtrail/coldtrail/v1/probes/+/readings",
    );
  });
});

describe("meansNoSharedSubscriptions", () => {
  it("falls back when the broker refuses MQTT 5 at CONNECT", () => {
    expect(meansNoSharedSubscriptions("connect", { code: 1, message: "Unacceptable protocol version" })).toBe(
      true,
    );
    expect(
      meansNoSharedSubscriptions("connect", { code: 0x84, message: "Unsupported Protocol Version" }),
    ).toBe(true);
    expect(
      meansNoSharedSubscriptions("connect", {
        message: "mqtt://127.0.0.1:1883 closed the connection before its CONNACK",
      }),
    ).toBe(true);
  });

  it("falls back when the broker refuses the shared filters", () => {
    expect(meansNoSharedSubscriptions("subscribe", { code: 0x9e, message: "Subscribe error" })).toBe(true);
    expect(meansNoSharedSubscriptions("subscribe", { code: 0x80, message: "Subscribe error" })).toBe(true);
  });

  it("does not hide a wrong password or an unreachable broker", () => {
    expect(meansNoSharedSubscriptions("connect", { code: 4, message: "Bad username or password" })).toBe(
      false,
    );
    expect(meansNoSharedSubscriptions("connect", { code: 0x86, message: "Bad User Name or Password" })).toBe(
      false,
    );
    expect(meansNoSharedSubscriptions("connect", { code: 5, message: "Not authorized" })).toBe(false);
    expect(
      meansNoSharedSubscriptions("connect", { code: "ECONNREFUSED", message: "connect ECONNREFUSED" }),
    ).toBe(false);
  });
});
