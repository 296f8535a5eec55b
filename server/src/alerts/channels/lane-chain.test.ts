import { describe, expect, it } from "vitest";
import { createLaneChain } from "./lane-chain.js";
import type { SendResult } from "./types.js";

const OK: SendResult = { ok: true };
const FAIL: SendResult = { ok: false, reason: "HTTP 500" };

/** A send that waits until released, noting when it started. */
function gate(log: string[], name: string, results: SendResult[]) {
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => {
    release = r;
  });
  return {
    release,
    send: async () => {
      log.push(`start ${name}`);
      await released;
      return results;
    },
  };
}

describe("lane chain: hand-overs to one destination keep their order", () => {
  it("starts a hand-over only once the one it follows finished", async () => {
    const chain = createLaneChain();
    const log: string[] = [];
    const a = gate(log, "a", [OK, OK]);
    const b = gate(log, "b", [OK]);
    const ra = chain.run({ lane: "L", id: 1, after: null }, 2, a.send);
    const rb = chain.run({ lane: "L", id: 2, after: 1 }, 1, b.send);
    const other = chain.run({ lane: "M", id: 3, after: null }, 1, async () => [OK]);
    await other;
    await Promise.resolve();
    expect(log).toEqual(["start a"]);
    b.release();
    a.release();
    expect(await ra).toEqual([OK, OK]);
    expect(await rb).toEqual([OK]);
    expect(log).toEqual(["start a", "start b"]);
  });

  it("sends nothing after a hand-over that did not deliver everything, until the lane starts again", async () => {
    const chain = createLaneChain();
    const log: string[] = [];
    const r1 = chain.run({ lane: "L", id: 1, after: null }, 3, async () => {
      log.push("1");
      return [OK, FAIL];
    });
    const r2 = chain.run({ lane: "L", id: 2, after: 1 }, 1, async () => {
      log.push("2");
      return [OK];
    });
    const r3 = chain.run({ lane: "L", id: 3, after: 2 }, 1, async () => {
      log.push("3");
      return [OK];
    });
    expect([await r1, await r2, await r3]).toEqual([[OK, FAIL], [], []]);
    // The outbox starts the lane again (after: null) once every hand-over has answered.
    expect(await chain.run({ lane: "L", id: 4, after: null }, 1, async () => [OK])).toEqual([OK]);
    // A hand-over after one this side never saw (a restarted thread) sends nothing.
    expect(await chain.run({ lane: "L", id: 6, after: 5 }, 1, async () => [OK])).toEqual([]);
    expect(log).toEqual(["1"]);
  });
});
