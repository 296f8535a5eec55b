import { describe, expect, it } from "vitest";
import { AckQueue } from "./ack-queue.js";

describe("AckQueue", () => {
  it("acknowledges in arrival order: a message done early waits for the ones before it", () => {
    const sent: number[] = [];
    const q = new AckQueue((id) => sent.push(id));
    const a = q.take(7);
    const b = q.take(8);
    const c = q.take(9);
    q.done(c);
    q.done(b);
    expect(sent).toEqual([]);
    expect(q.pending).toBe(3);
    q.done(a);
    expect(sent).toEqual([7, 8, 9]);
    expect(q.pending).toBe(0);
  });

  it("sends each acknowledgement once, as soon as everything before it is done", () => {
    const sent: number[] = [];
    const q = new AckQueue((id) => sent.push(id));
    const a = q.take(1);
    const b = q.take(2);
    q.done(a);
    expect(sent).toEqual([1]);
    q.done(a);
    expect(sent).toEqual([1]);
    q.done(b);
    expect(sent).toEqual([1, 2]);
  });

  it("never acknowledges a message of a connection that closed (the broker delivers it again)", () => {
    const sent: number[] = [];
    const q = new AckQueue((id) => sent.push(id));
    const old = q.take(5);
    q.reset();
    const fresh = q.take(5);
    q.done(old);
    expect(sent).toEqual([]);
    expect(old.generation).not.toBe(fresh.generation);
    q.done(fresh);
    expect(sent).toEqual([5]);
  });

  it("holds everything after a message that never finishes (a failed journal commit)", () => {
    const sent: number[] = [];
    const q = new AckQueue((id) => sent.push(id));
    q.take(1);
    const b = q.take(2);
    q.done(b);
    expect(sent).toEqual([]);
    expect(q.pending).toBe(2);
  });
});
