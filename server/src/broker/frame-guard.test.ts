import { describe, expect, it } from "vitest";
import { createFrameGuard } from "./frame-guard.js";

const header = (type: number, length: number): number[] => {
  const out = [type];
  let n = length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
};
const packet = (type: number, bodyBytes: number) =>
  Uint8Array.from([...header(type, bodyBytes), ...new Array(bodyBytes).fill(7)]);

describe("createFrameGuard", () => {
  it("passes packets up to the limit, whole or split anywhere", () => {
    const stream = Uint8Array.from([...packet(0x10, 20), ...packet(0x30, 1000), ...packet(0xc0, 0)]);
    for (const cut of [1, 2, 3, 25, 500, stream.length - 1]) {
      const g = createFrameGuard(1004);
      expect(g.feed(stream.subarray(0, cut))).toEqual({ ok: true });
      expect(g.feed(stream.subarray(cut))).toEqual({ ok: true });
    }
  });

  it("refuses a packet that announces more than the limit from its header alone", () => {
    const g = createFrameGuard(128 * 1024);
    expect(g.feed(packet(0x30, 100))).toEqual({ ok: true });
    // A CONNECT announcing 256 MB, without its body.
    const v = g.feed(Uint8Array.from([0x10, 0xff, 0xff, 0xff, 0x7f]));
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toMatch(/limit is 131072 bytes/);
  });

  it("counts the header in the limit", () => {
    expect(createFrameGuard(1002).feed(packet(0x30, 1000)).ok).toBe(false); // 1 + 2 + 1000
    expect(createFrameGuard(1003).feed(packet(0x30, 1000)).ok).toBe(true);
  });

  it("refuses a remaining length of more than 4 bytes", () => {
    const v = createFrameGuard(Number.MAX_SAFE_INTEGER).feed(
      Uint8Array.from([0x30, 0x80, 0x80, 0x80, 0x80, 0x01]),
    );
    expect(v).toEqual({ ok: false, reason: "malformed remaining length (more than 4 bytes)" });
  });
});
