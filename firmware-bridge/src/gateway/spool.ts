/**
 * The disk spool of one probe: every reading is appended here (and fsync'd) before it is published,
 * and leaves only after the broker's PUBACK. So a gateway that is cut off from the broker, or killed
 * at any moment, loses no reading it had spooled; after a crash at worst the last unacknowledged batch
 * is sent twice, which the server stores once (readings are idempotent on (probeId, ts), DESIGN.md).
 *
 * Files in `dir`:
 * - `<probeId>.jsonl`: append-only, one JSON reading per line.
 * - `<probeId>.state.json`: `{"acked": <lines already acknowledged>, "nextSeq": <next seq>}`, replaced
 *   atomically (write temp, fsync, rename, fsync dir).
 * When everything is acknowledged the spool is truncated to empty.
 *
 * A kill during an append can leave a torn last line; it was never acknowledged to anyone, so it is
 * cut off at open (and counted). Bounded: beyond `maxEntries` pending, new readings are refused and
 * counted — what is on disk stays intact and in order.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";

/** One spooled reading, in the wire protocol's field names so a batch is a map away from the payload. */
export interface SpoolEntry {
  ts: number;
  temp_c: number;
  seq: number;
  battery_pct?: number;
  battery_mv?: number;
  rssi?: number;
}

interface SpoolState {
  acked: number;
  nextSeq: number;
}

export interface OpenSpoolOptions {
  maxEntries: number;
}

export interface SpoolRecovery {
  /** Readings waiting from before (a previous run that could not deliver them). */
  pending: number;
  /** Bytes of a torn final line cut off (a kill in the middle of an append). */
  tornBytes: number;
  /** Complete lines that did not parse (should not happen; skipped, not fatal). */
  badLines: number;
}

/** Writes a small file so that a reader sees either the old or the new content, never a mix. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(join(path, ".."));
}

function fsyncDir(dir: string): void {
  // The rename is durable only once the directory entry is; Linux allows fsync on a directory fd.
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function isEntry(v: unknown): v is SpoolEntry {
  const e = v as SpoolEntry;
  return (
    typeof v === "object" &&
    v !== null &&
    Number.isInteger(e.ts) &&
    typeof e.temp_c === "number" &&
    Number.isInteger(e.seq)
  );
}

export function openSpool(dir: string, probeId: string, options: OpenSpoolOptions) {
  mkdirSync(dir, { recursive: true });
  const dataPath = join(dir, `${probeId}.jsonl`);
  const statePath = join(dir, `${probeId}.state.json`);

  let state: SpoolState = { acked: 0, nextSeq: 0 };
  if (existsSync(statePath)) {
    try {
      const s = JSON.parse(readFileSync(statePath, "utf8")) as Partial<SpoolState>;
      state = {
        acked: Number.isInteger(s.acked) && (s.acked as number) >= 0 ? (s.acked as number) : 0,
        nextSeq: Number.isInteger(s.nextSeq) && (s.nextSeq as number) >= 0 ? (s.nextSeq as number) : 0,
      };
    } catch {
      // A state file cut short cannot happen with the atomic rename; if it is unreadable anyway,
      // re-sending everything is the safe side (the server de-duplicates).
      state = { acked: 0, nextSeq: 0 };
    }
  }

  const text = existsSync(dataPath) ? readFileSync(dataPath, "utf8") : "";
  const complete = text.lastIndexOf("\n") + 1;
  const tornBytes = Buffer.byteLength(text.slice(complete));
  const entries: SpoolEntry[] = [];
  let badLines = 0;
  for (const line of text.slice(0, complete).split("\n")) {
    if (line === "") continue;
    try {
      const v: unknown = JSON.parse(line);
      if (isEntry(v)) entries.push(v);
      else badLines++;
    } catch {
      badLines++;
    }
  }
  // After a crash between truncating the spool and writing the state, `acked` can exceed the lines.
  const acked = Math.min(state.acked, entries.length);
  const pending = entries.slice(acked);
  const lastSeq = entries.at(-1)?.seq;
  let nextSeq = Math.max(state.nextSeq, lastSeq === undefined ? 0 : lastSeq + 1) >>> 0;

  const fd = openSync(dataPath, "a+");
  if (tornBytes > 0 || badLines > 0 || acked === entries.length) {
    // Rewrite only what is still pending: drops a torn tail, bad lines and acknowledged lines.
    ftruncateSync(fd, 0);
    if (pending.length > 0) writeSync(fd, pending.map((e) => `${JSON.stringify(e)}\n`).join(""));
    fsyncSync(fd);
    writeFileAtomic(statePath, JSON.stringify({ acked: 0, nextSeq }));
  } else if (acked !== state.acked) {
    writeFileAtomic(statePath, JSON.stringify({ acked, nextSeq }));
  }
  let ackedLines = tornBytes > 0 || badLines > 0 || acked === entries.length ? 0 : acked;
  let refused = 0;
  let closed = false;

  const recovery: SpoolRecovery = { pending: pending.length, tornBytes, badLines };

  return {
    probeId,
    recovery,
    get pending(): number {
      return pending.length;
    },
    get refused(): number {
      return refused;
    },
    /** The seq the next reading gets (one per reading, so a gap in seq is a lost reading). */
    takeSeq(): number {
      const s = nextSeq;
      nextSeq = (nextSeq + 1) >>> 0;
      return s;
    },
    /** Appends and fsyncs; returns false when the spool is full (the reading is refused, counted). */
    append(entry: SpoolEntry): boolean {
      if (closed) throw new Error(`spool of ${probeId} is closed`);
      if (pending.length >= options.maxEntries) {
        refused++;
        return false;
      }
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
      pending.push(entry);
      return true;
    },
    /** The oldest `n` pending readings, oldest first; they stay until `ack`. */
    peek(n: number): SpoolEntry[] {
      return pending.slice(0, n);
    },
    /** The broker acknowledged the oldest `n`: forget them on disk first, then in memory. */
    ack(n: number): void {
      if (closed || n <= 0) return;
      const k = Math.min(n, pending.length);
      if (k === pending.length) {
        // Record "all acknowledged" before truncating: a crash in between re-sends nothing.
        writeFileAtomic(statePath, JSON.stringify({ acked: ackedLines + k, nextSeq }));
        ftruncateSync(fd, 0);
        fsyncSync(fd);
        writeFileAtomic(statePath, JSON.stringify({ acked: 0, nextSeq }));
        ackedLines = 0;
      } else {
        ackedLines += k;
        writeFileAtomic(statePath, JSON.stringify({ acked: ackedLines, nextSeq }));
      }
      pending.splice(0, k);
    },
    close(): void {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}
export type Spool = ReturnType<typeof openSpool>;
