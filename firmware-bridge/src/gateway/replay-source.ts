/**
 * `--source replay:<file>`: advertisements from a JSON-lines file (`advert-line.ts`), for tests,
 * demos and re-running a capture. Bad lines are skipped and reported, never fatal.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { parseAdvertLine } from "./advert-line.js";
import type { AdvertSource, ScannedAdvert } from "./advert-source.js";

export interface ReplayOptions {
  /**
   * 0 (default): as fast as the gateway takes them. Otherwise the gaps between `atMs` are replayed
   * divided by `speed` (1 = real time). Times are kept as recorded either way.
   */
  speed?: number;
  onBadLine?(lineNo: number, reason: string): void;
}

export function createReplaySource(path: string, options: ReplayOptions = {}): AdvertSource {
  const speed = options.speed ?? 0;
  const abort = new AbortController();
  return {
    name: `replay:${path}`,
    async *adverts(): AsyncIterable<ScannedAdvert> {
      const lines = createInterface({
        input: createReadStream(path, "utf8"),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      let lineNo = 0;
      let prevMs: number | null = null;
      try {
        for await (const line of lines) {
          lineNo++;
          if (abort.signal.aborted) return;
          if (line.trim() === "") continue;
          const r = parseAdvertLine(line);
          if (!r.ok) {
            options.onBadLine?.(lineNo, r.reason);
            continue;
          }
          if (speed > 0 && prevMs !== null && r.advert.atMs > prevMs) {
            try {
              await sleep((r.advert.atMs - prevMs) / speed, undefined, { signal: abort.signal });
            } catch {
              return;
            }
          }
          prevMs = r.advert.atMs;
          yield r.advert;
        }
      } finally {
        lines.close();
      }
    },
    async close() {
      abort.abort();
    },
  };
}
