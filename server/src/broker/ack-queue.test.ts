import { describe, expect, it } from "vitest";
import { AckQueue } from "./ack-queue.js";

/** An AckQueue whose deferred flushes run when the test says (`tick`), recording each send. */
function queue() {
  const sends: number[][] = [];
  const deferred: (() => void)[] = [];
  const q = new AckQueue(
    (ids) => sends.push(ids),
    (fn) => deferred.push(fn),
  );
  const tick = () => {
    for (const fn of deferred.splice(0)) fn();
  };
  return { q, sends, tick, sent: () => sends.flat() };
}

describe("AckQueue", () => {
  it("acknowledges in arrival order: a message done early waits for the ones before it", () => {
    const { q, sent, tick } = queue();
    const a = q.take(7);
    const b = q.take(8);
    const c = q.take(9);
    q.done(c);
    q.done(b);
    tick();
    expect(sent()).toEqual([]);
    expect(q.pending).toBe(3);
    q.done(a);
    tick();
    expect(sent()).toEqual([7, 8, 9]);
    expect(q.pending).toBe(0);
  });

  it("sends each acknowledgement once, as soon as everything before it is done", () => {
    const { q, sent, tick } = queue();
    const a = q.take(1);
    const b = q.take(2);
    q.done(a);
    tick();
    expect(sent()).toEqual([1]);
    q.done(a);
    tick();
    expect(sent()).toEqual([1]);
    q.done(b);
    tick();
    expect(sent()).toEqual([1, 2]);
  });

  it("sends the PUBACKs that became due in one turn together, on the deferred flush", () => {
    const { q, sends, tick } = queue();
    const slots = [11, 12, 13, 14].map((id) => q.take(id));
    for (const s of slots.slice(0, 3)) q.done(s);
    expect(sends).toEqual([]);
    expect(q.pending).toBe(1);
    tick();
    expect(sends).toEqual([[11, 12, 13]]);
    q.done(slots[3] as (typeof slots)[number]);
    tick();
    expect(sends).toEqual([[11, 12, 13], [14]]);
  });

  it("flush() sends what is due at once, and the deferred flush then sends nothing twice", () => {
    const { q, sends, tick } = queue();
    q.done(q.take(3));
    q.flush();
    expect(sends).toEqual([[3]]);
    tick();
    q.flush();
    expect(sends).toEqual([[3]]);
  });

  it("never acknowledges a message of a connection that closed (the broker delivers it again)", () => {
    const { q, sent, tick } = queue();
    const old = q.take(5);
    q.reset();
    const fresh = q.take(5);
    q.done(old);
    tick();
    expect(sent()).toEqual([]);
    expect(old.generation).not.toBe(fresh.generation);
    q.done(fresh);
    tick();
    expect(sent()).toEqual([5]);
  });

  it("drops PUBACKs that were due but not yet sent when the connection closes", () => {
    const { q, sent, tick } = queue();
    q.done(q.take(6));
    q.reset();
    tick();
    expect(sent()).toEqual([]);
  });

  it("holds everything after a message that never finishes (a failed journal commit)", () => {
    const { q, sent, tick } = queue();
    q.take(1);
    const b = q.take(2);
    q.done(b);
    tick();
    expect(sent()).toEqual([]);
    expect(q.pending).toBe(2);
  });

  it("keeps arrival order over thousands of messages done out of order", () => {
    const { q, sent, tick } = queue();
    const ids = Array.from({ length: 5000 }, (_, i) => (i % 65_535) + 1);
    const slots = ids.map((id) => q.take(id));
    // Done in a shuffled but fixed order: every other one, then the rest backwards.
    for (let i = 1; i < slots.length; i += 2) q.done(slots[i] as (typeof slots)[number]);
    for (let i = slots.length - 2; i >= 0; i -= 2) q.done(slots[i] as (typeof slots)[number]);
    tick();
    expect(sent()).toEqual(ids);
    expect(q.pending).toBe(0);
  });
});
