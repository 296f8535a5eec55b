import { describe, expect, it } from "vitest";
import { backoffMs, groupBehind } from "./outbox.js";

const row = (id: number, createdMs: number, nextMs = createdMs, body: string | null = "{}") => ({
  id,
  created_ms: createdMs,
  next_attempt_ms: nextMs,
  body,
});

describe("groupBehind: which queued deliveries share the head's message", () => {
  const o = { windowMs: 2000, max: 50, nowMs: 10_000 };

  it("takes the rows right behind the head, each created within the window of the one before", () => {
    const g = groupBehind(row(1, 1000), [row(2, 1500), row(3, 3000), row(4, 4900), row(5, 7000)], o);
    expect(g.map((r) => r.id)).toEqual([1, 2, 3, 4]);
  });

  it("stops at the first row it cannot take, so nothing overtakes an earlier row", () => {
    // Row 3 waits for a retry; row 4 would fit but must not go before it.
    const g = groupBehind(row(1, 1000), [row(2, 1100), row(3, 1200, 60_000), row(4, 1300)], o);
    expect(g.map((r) => r.id)).toEqual([1, 2]);
    expect(groupBehind(row(1, 1000), [row(2, 1100, 1100, null), row(3, 1200)], o)).toHaveLength(1);
  });

  it("takes at most max rows, and only the head when the window is 0", () => {
    const next = [2, 3, 4, 5].map((id) => row(id, 1000));
    expect(groupBehind(row(1, 1000), next, { ...o, max: 3 }).map((r) => r.id)).toEqual([1, 2, 3]);
    expect(groupBehind(row(1, 1000), next, { ...o, windowMs: 0 }).map((r) => r.id)).toEqual([1]);
  });
});

describe("backoffMs", () => {
  it("doubles from the minimum and stops at the maximum", () => {
    expect([1, 2, 3, 4, 10].map((n) => backoffMs(n, 1000, 5000))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });
});
