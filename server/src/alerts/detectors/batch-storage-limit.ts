/**
 * Batch storage limit: a batch nears or passed its storage limit (the batches module lists them;
 * the limits are RULES.md §2 rows in the rule profiles). Checked every `batchCheckEveryMin`: a
 * warning before the limit, critical past it (raised again when the band or side changes);
 * cleared once the batch is no longer listed (used, moved or its record changed).
 */
import type { AlertIntent, AlertKey } from "../types.js";
import { clearIntent, iso, raiseIntent } from "./intents.js";
import type { Detector } from "./types.js";

const KIND = "batch-storage-limit";
const keyOf = (batchId: string): AlertKey => ({ kind: KIND, subject: { type: "batch", batchId } });

export function batchStorageLimitDetector(): Detector<typeof KIND> {
  /** The band and side of the limit last raised for each batch. */
  const raisedAs = new Map<string, { band: string; past: boolean }>();
  let lastCheckMs = Number.NEGATIVE_INFINITY;
  return {
    kind: KIND,
    onTick({ nowMs }, ctx) {
      if (nowMs - lastCheckMs < ctx.settings.batchCheckEveryMin * 60_000) return [];
      lastCheckMs = nowMs;
      const out: AlertIntent[] = [];
      const seen = new Set<string>();
      for (const b of ctx.lookups.dueBatches(nowMs)) {
        if (seen.has(b.batchId)) continue;
        seen.add(b.batchId);
        const key = keyOf(b.batchId);
        const past = b.untilMs <= nowMs;
        const was = raisedAs.get(b.batchId);
        if (was?.band === b.band && was.past === past && ctx.active.has(key)) continue;
        raisedAs.set(b.batchId, { band: b.band, past });
        const u = b.unitId ? ctx.lookups.unit(b.unitId) : null;
        out.push(
          raiseIntent(key, {
            severity: past ? "critical" : "warning",
            words: ctx.words.batchLimitWords({
              code: b.code,
              unitName: u?.name ?? null,
              limit: b.limit,
              band: b.band,
              untilMs: b.untilMs,
              nowMs,
            }),
            startedMs: nowMs,
            atMs: nowMs,
            about: {
              ownerId: u?.ownerId ?? "admin",
              unitId: b.unitId,
              unitName: u?.name ?? null,
              probeId: null,
              batchIds: [b.batchId],
            },
            details: { code: b.code, limit: b.limit, band: b.band, until: iso(b.untilMs), past },
          }),
        );
      }
      for (const subject of ctx.active.subjects(KIND)) {
        if (subject.type !== "batch" || seen.has(subject.batchId)) continue;
        raisedAs.delete(subject.batchId);
        out.push(
          clearIntent(
            keyOf(subject.batchId),
            nowMs,
            "The batch is no longer near a storage limit (used, moved or its record changed).",
          ),
        );
      }
      return out;
    },
  };
}
