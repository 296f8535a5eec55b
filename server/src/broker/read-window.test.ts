import { describe, expect, it } from "vitest";
import { ReadWindow } from "./read-window.js";

describe("ReadWindow", () => {
  it("is full at the message limit and lets the waiting reader go when one message leaves", () => {
    const w = new ReadWindow(2, 1_000_000);
    const a = w.enter(10);
    expect(w.full).toBe(false);
    const b = w.enter(10);
    expect(w.full).toBe(true);
    let resumed = 0;
    w.whenRoom(() => resumed++);
    expect(resumed).toBe(0);
    w.leave(b);
    expect(resumed).toBe(1);
    expect(w.messages).toBe(1);
    w.leave(a);
    expect(resumed).toBe(1);
    expect(w.messages).toBe(0);
    expect(w.bytes).toBe(0);
  });

  it("hands mqtt.js's callback its error at once while there is room, and only once room is made while full", () => {
    const w = new ReadWindow(1, 1_000_000);
    const called: (Error | undefined)[] = [];
    const deferred = new Error("ack deferred");
    w.readOn((err) => called.push(err), deferred);
    expect(called).toEqual([deferred]);
    const t = w.enter(10);
    w.readOn((err) => called.push(err));
    expect(called).toHaveLength(1);
    w.leave(t);
    expect(called).toEqual([deferred, undefined]);
  });

  it("is full at the byte limit, whatever the count", () => {
    const w = new ReadWindow(1000, 100);
    const big = w.enter(150);
    expect(w.full).toBe(true);
    let resumed = false;
    w.whenRoom(() => {
      resumed = true;
    });
    w.leave(big);
    expect(resumed).toBe(true);
    expect(w.full).toBe(false);
  });

  it("resumes at once when there is room", () => {
    const w = new ReadWindow(1);
    let resumed = false;
    w.whenRoom(() => {
      resumed = true;
    });
    expect(resumed).toBe(true);
  });

  it("on reset forgets the closed connection's messages and lets every waiting reader go", () => {
    const w = new ReadWindow(1);
    const old = w.enter(5);
    const resumed: string[] = [];
    w.whenRoom(() => resumed.push("first"));
    w.whenRoom(() => resumed.push("second"));
    w.reset();
    expect(resumed).toEqual(["first", "second"]);
    expect(w.messages).toBe(0);
    const fresh = w.enter(5);
    // The old connection's message finishing later does not open the new connection's window.
    w.leave(old);
    expect(w.messages).toBe(1);
    expect(w.full).toBe(true);
    w.leave(fresh);
    expect(w.messages).toBe(0);
  });

  it("refuses a window of no messages, naming the value", () => {
    expect(() => new ReadWindow(0)).toThrow(/at least 1 message in flight, got 0/);
  });
});
