import { describe, expect, it } from "vitest";
import { clientIdForRecord, createClientIdOwners, probeNamedBy } from "./client-id.js";

describe("client ids bound to probes", () => {
  const probes = new Set(["freezer-1", "freezer-12"]);
  const fresh = () => createClientIdOwners((id) => probes.has(id));

  it("a probe's own names are the probe id, or the probe id, a colon and a suffix", () => {
    expect(probeNamedBy("freezer-1")).toBe("freezer-1");
    expect(probeNamedBy("freezer-1:gw")).toBe("freezer-1");
    expect(probeNamedBy("mosqpub|4242-host")).toBe("mosqpub|4242-host");
    const o = fresh();
    expect(o.refusal("freezer-1", "freezer-1")).toBeNull();
    expect(o.refusal("freezer-1:gw", "freezer-1")).toBeNull();
  });

  it("no probe may use another probe's names, even when one id starts with the other", () => {
    const o = fresh();
    expect(o.refusal("freezer-1", "freezer-12")).toMatch(/is probe "freezer-1"'s/);
    expect(o.refusal("freezer-12:x", "freezer-1")).toMatch(/is probe "freezer-12"'s/);
    expect(o.refusal("freezer-1-x", "freezer-1")).toBeNull();
  });

  it("any other id works (mosquitto_pub's generated one), until another probe holds it", () => {
    const o = fresh();
    expect(o.refusal("mosqpub|4242-host", "freezer-1")).toBeNull();
    o.claim("mosqpub|4242-host", "freezer-1");
    expect(o.refusal("mosqpub|4242-host", "freezer-12")).toMatch(/in use by another probe/);
    expect(o.refusal("mosqpub|4242-host", "freezer-1")).toBeNull();
    o.release("mosqpub|4242-host", "freezer-12"); // not the holder: nothing changes
    expect(o.refusal("mosqpub|4242-host", "freezer-12")).not.toBeNull();
    o.release("mosqpub|4242-host", "freezer-1");
    expect(o.refusal("mosqpub|4242-host", "freezer-12")).toBeNull();
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
