import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSpool, type SpoolEntry } from "./spool.js";

const T0 = Date.UTC(2026, 4, 3, 14, 0, 0);
const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "ct-spool-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fill(dir: string, n: number, max = 1000) {
  const s = openSpool(dir, "probe-1", { maxEntries: max });
  for (let i = 0; i < n; i++) s.append({ ts: T0 + i * 60_000, temp_c: -18 - i / 100, seq: s.takeSeq() });
  return s;
}

describe("spool", () => {
  it("keeps readings in order on disk until acknowledged, across a reopen", () => {
    const dir = tmp();
    const s = fill(dir, 5);
    expect(s.peek(3).map((e) => e.seq)).toEqual([0, 1, 2]);
    s.ack(2);
    s.close();
    const again = openSpool(dir, "probe-1", { maxEntries: 1000 });
    expect(again.recovery).toEqual({ pending: 3, tornBytes: 0, badLines: 0 });
    expect(again.peek(10).map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(again.takeSeq()).toBe(5); // seq continues: a gap would mean a lost reading
    again.close();
  });
  it("truncates the file once everything is acknowledged, and keeps the seq", () => {
    const dir = tmp();
    const s = fill(dir, 3);
    s.ack(3);
    expect(readFileSync(join(dir, "probe-1.jsonl"), "utf8")).toBe("");
    expect(JSON.parse(readFileSync(join(dir, "probe-1.state.json"), "utf8"))).toEqual({
      acked: 0,
      nextSeq: 3,
    });
    s.close();
    const again = openSpool(dir, "probe-1", { maxEntries: 10 });
    expect(again.pending).toBe(0);
    expect(again.takeSeq()).toBe(3);
    again.close();
  });
  it("cuts off a torn last line left by a kill during an append, keeping every complete line", () => {
    const dir = tmp();
    fill(dir, 2).close();
    appendFileSync(join(dir, "probe-1.jsonl"), '{"ts":17778168');
    const s = openSpool(dir, "probe-1", { maxEntries: 10 });
    expect(s.recovery).toEqual({ pending: 2, tornBytes: 14, badLines: 0 });
    s.append({ ts: T0 + 999_000, temp_c: -1, seq: s.takeSeq() });
    s.close();
    const lines = readFileSync(join(dir, "probe-1.jsonl"), "utf8").trim().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as SpoolEntry).seq)).toEqual([0, 1, 2]);
  });
  it("survives a crash between truncating and writing the state (acked beyond the lines)", () => {
    const dir = tmp();
    fill(dir, 4).close();
    writeFileSync(join(dir, "probe-1.jsonl"), "");
    writeFileSync(join(dir, "probe-1.state.json"), JSON.stringify({ acked: 4, nextSeq: 4 }));
    const s = openSpool(dir, "probe-1", { maxEntries: 10 });
    expect(s.pending).toBe(0);
    s.append({ ts: T0, temp_c: -20, seq: s.takeSeq() });
    s.close();
    const again = openSpool(dir, "probe-1", { maxEntries: 10 });
    expect(again.peek(5)).toEqual([{ ts: T0, temp_c: -20, seq: 4 }]); // the new reading is not taken as acknowledged
    again.close();
  });
  it("skips a garbled complete line and says so", () => {
    const dir = tmp();
    fill(dir, 1).close();
    appendFileSync(join(dir, "probe-1.jsonl"), "not json\n");
    const s = openSpool(dir, "probe-1", { maxEntries: 10 });
    expect(s.recovery).toEqual({ pending: 1, tornBytes: 0, badLines: 1 });
    s.close();
  });
  it("is bounded: refuses new readings when full, keeps what it has", () => {
    const dir = tmp();
    const s = fill(dir, 3, 3);
    expect(s.append({ ts: T0 + 1e9, temp_c: 0, seq: 99 })).toBe(false);
    expect(s.refused).toBe(1);
    expect(s.peek(10).map((e) => e.seq)).toEqual([0, 1, 2]);
    s.ack(1);
    expect(s.append({ ts: T0 + 1e9, temp_c: 0, seq: 99 })).toBe(true);
    s.close();
  });
});
