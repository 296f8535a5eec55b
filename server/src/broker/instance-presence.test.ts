import { describe, expect, it } from "vitest";
import {
  adopterFor,
  adoptionOrder,
  adoptionsDue,
  applyPresence,
  drainTopic,
  INSTANCES_FILTER,
  type InstanceView,
  instanceTopic,
  nextGraceEndMs,
  type PresencePayload,
  parsePresence,
  presencePayload,
} from "./instance-presence.js";

const p = (state: PresencePayload["state"], group = "coldtrail"): PresencePayload => ({
  state,
  group,
  clientIds: ["x", "x-1"],
  since: "2026-11-30T03:00:00.000Z",
});

describe("instance presence", () => {
  it("round-trips a presence message and reads an empty one as cleared", () => {
    const topic = instanceTopic("ingest-a");
    expect(topic).toBe("coldtrail/v1/instances/ingest-a");
    expect(parsePresence(topic, Buffer.from(presencePayload(p("online"))))).toEqual({
      ok: true,
      id: "ingest-a",
      presence: p("online"),
    });
    expect(parsePresence(topic, Buffer.alloc(0))).toEqual({ ok: true, id: "ingest-a", presence: null });
    // The drain marker is one level deeper, outside the presence filter.
    expect(drainTopic("ingest-a-1").startsWith(INSTANCES_FILTER.slice(0, -1))).toBe(true);
    expect(drainTopic("ingest-a-1").split("/")).toHaveLength(5);
  });

  it.each([
    ["coldtrail/v1/probes/x/status", "{}", /is not under coldtrail\/v1\/instances\//],
    ["coldtrail/v1/instances/a b", "{}", /instance id "a b" is not 1-64 characters/],
    ["coldtrail/v1/instances/a", "nope", /presence of "a" is not JSON: nope/],
    ["coldtrail/v1/instances/a", '{"state":"gone"}', /no state "online"\|"offline"/],
    [
      "coldtrail/v1/instances/a",
      '{"state":"online","group":"g","since":"s","clientIds":["a/b"]}',
      /client ids/,
    ],
  ])("refuses %s %s naming what is wrong", (topic, payload, reason) => {
    const r = parsePresence(topic, Buffer.from(payload));
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.reason).toMatch(reason);
  });

  it("picks one adopter, the next online id after the dead one, wrapping around", () => {
    expect(adoptionOrder(["a", "c", "e"], "b")).toEqual(["c", "e", "a"]);
    expect(adopterFor(["a", "c", "e"], "b")).toBe("c");
    expect(adopterFor(["a", "c", "e"], "f")).toBe("a");
    expect(adopterFor(["b"], "b")).toBeNull();
    expect(adopterFor([], "b")).toBeNull();
  });

  it("adopts an instance of its group once it has been offline for the grace, and not after it is back", () => {
    let view = new Map<string, InstanceView>();
    view = applyPresence(view, "a", p("online"), 0);
    view = applyPresence(view, "c", p("online"), 0);
    view = applyPresence(view, "b", p("offline"), 1000);
    view = applyPresence(view, "z", p("offline", "other-group"), 1000);
    expect(adoptionsDue(view, "c", "coldtrail", 5000, 5999)).toEqual([]);
    expect(nextGraceEndMs(view, "c", "coldtrail", 5000, 5999)).toBe(1);
    expect(adoptionsDue(view, "c", "coldtrail", 5000, 6000)).toEqual(["b"]);
    // "a" is online too, but "c" comes first after "b": "a" steps in one grace later only.
    expect(adoptionsDue(view, "a", "coldtrail", 5000, 6000)).toEqual([]);
    expect(adoptionsDue(view, "a", "coldtrail", 5000, 11_000)).toEqual(["b"]);
    // …unless "c" says it is draining "b".
    const busy = applyPresence(view, "c", { ...p("online"), adopting: ["b"] }, 0);
    expect(adoptionsDue(busy, "a", "coldtrail", 5000, 11_000)).toEqual([]);
    expect(adoptionsDue(busy, "c", "coldtrail", 5000, 11_000)).toEqual(["b"]);
    // A second "offline" (a late Will) keeps the first time.
    view = applyPresence(view, "b", p("offline"), 4000);
    expect(view.get("b")?.offlineSinceMs).toBe(1000);
    view = applyPresence(view, "b", p("online"), 7000);
    expect(adoptionsDue(view, "c", "coldtrail", 5000, 9000)).toEqual([]);
    expect(nextGraceEndMs(view, "c", "coldtrail", 5000, 9000)).toBeNull();
    // Drained and cleared: nothing left to adopt.
    view = applyPresence(view, "b", p("offline"), 10_000);
    view = applyPresence(view, "b", null, 10_001);
    expect(adoptionsDue(view, "c", "coldtrail", 5000, 60_000)).toEqual([]);
  });

  it("hands a dead adopter's work to the next survivor", () => {
    let view = new Map<string, InstanceView>();
    view = applyPresence(view, "b", p("offline"), 0);
    view = applyPresence(view, "c", p("offline"), 100);
    view = applyPresence(view, "d", p("online"), 0);
    expect(adoptionsDue(view, "d", "coldtrail", 1000, 2000)).toEqual(["b", "c"]);
  });
});
