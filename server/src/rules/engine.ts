/**
 * The verdict of a batch: safe, check or do-not-use, with reasons, from its custody chain, each
 * unit's readings and profile, and its age. Pure: event time only, `nowMs` passed in, no I/O.
 *
 * The custody is walked once (walk.ts); each row of `RULES` (table.ts) turns that history into
 * reasons and budgets; every sentence comes from `describeReason` (reason-words.ts) in the
 * caller's time zone. The verdict is the worst band over all reasons; "safe" reasons are notes.
 */
import { mktFromSums } from "./mean-kinetic-temperature.js";
import { describeReason } from "./reason-words.js";
import { bandForLimit, monitoredPct, RULES } from "./table.js";
import type {
  Band,
  BatchInput,
  Budget,
  CustodyInterval,
  ProfileUse,
  Reason,
  Verdict,
  VerdictOptions,
  VerdictResult,
} from "./types.js";
import { type History, ResumeMismatchError, walkCustody } from "./walk.js";
import { checkTimeZone } from "./wording.js";

export { bandForLimit };

const MIN_MS = 60_000;
const BAND_RANK: Record<Band, number> = { safe: 0, check: 1, "do-not-use": 2 };

export function worstBand(bands: Iterable<Band>): Band {
  let worst: Band = "safe";
  for (const b of bands) if (BAND_RANK[b] > BAND_RANK[worst]) worst = b;
  return worst;
}

function validate(batch: BatchInput, nowMs: number): string | null {
  if (!Number.isFinite(nowMs)) return `nowMs must be a finite number of ms, got ${nowMs}`;
  if (!Number.isFinite(batch.expressedAtMs))
    return `expressedAtMs must be a finite number, got ${batch.expressedAtMs}`;
  if (batch.custody.length === 0) return "custody is empty: a batch needs at least one interval in a unit";
  let prevTo: number | null = batch.expressedAtMs;
  for (const [i, c] of batch.custody.entries()) {
    const at = `custody[${i}] (unit ${c.unitId})`;
    if (!Number.isFinite(c.fromMs)) return `${at}.fromMs must be a finite number, got ${c.fromMs}`;
    if (c.toMs !== null && !(c.toMs >= c.fromMs))
      return `${at}.toMs (${c.toMs}) must be ≥ fromMs (${c.fromMs})`;
    if (c.toMs === null && i !== batch.custody.length - 1)
      return `${at}.toMs is null but later intervals follow`;
    if ((c.toMs ?? c.fromMs) > nowMs)
      return `${at} ends after nowMs (${nowMs}); custody cannot be in the future`;
    if (prevTo === null || c.fromMs < prevTo)
      return i === 0
        ? `${at}.fromMs (${c.fromMs}) is before expressedAtMs (${batch.expressedAtMs})`
        : `${at}.fromMs (${c.fromMs}) overlaps the previous interval (ends ${prevTo}); sort custody and fix overlaps`;
    if (c.expectedIntervalMs !== null && !(c.expectedIntervalMs > 0))
      return `${at}.expectedIntervalMs must be > 0 or null (unknown: learned from the readings), got ${c.expectedIntervalMs}`;
    if (c.profile === null || typeof c.profile !== "object")
      return `${at}.profile is missing; use resolveProfile()`;
    prevTo = c.toMs;
  }
  if (batch.thawedAtMs != null && batch.initialState !== "thawed")
    return `thawedAtMs is only for initialState "thawed", got initialState "${batch.initialState}"`;
  const end = batch.custodyEnd;
  if (end != null) {
    const last = batch.custody[batch.custody.length - 1] as CustodyInterval;
    if (last.toMs === null || end.atMs !== last.toMs)
      return `custodyEnd.atMs (${end.atMs}) must equal the last interval's toMs (${last.toMs}); close the last interval where the batch left custody`;
    if (!["handed-over", "fed", "discarded", "unknown"].includes(end.how))
      return `custodyEnd.how must be "handed-over", "fed", "discarded" or "unknown", got ${JSON.stringify(end.how)}`;
  }
  return null;
}

/**
 * Touching intervals in the same unit with the same settings are one stay: splitting changes
 * nothing. `first[k]` is the input index of stay k's first interval; `merged[k]` says it took more.
 */
function mergeCustody(custody: readonly CustodyInterval[]): {
  stays: CustodyInterval[];
  first: number[];
  merged: boolean[];
} {
  const stays: CustodyInterval[] = [];
  const first: number[] = [];
  const merged: boolean[] = [];
  for (const [i, c] of custody.entries()) {
    const last = stays[stays.length - 1];
    if (
      last !== undefined &&
      last.toMs === c.fromMs &&
      last.unitId === c.unitId &&
      last.unitKind === c.unitKind &&
      last.expectedIntervalMs === c.expectedIntervalMs &&
      JSON.stringify(last.profile) === JSON.stringify(c.profile)
    ) {
      stays[stays.length - 1] = { ...last, toMs: c.toMs, readings: [...last.readings, ...c.readings] };
      merged[merged.length - 1] = true;
    } else {
      stays.push(c);
      first.push(i);
      merged.push(false);
    }
  }
  return { stays, first, merged };
}

/**
 * The verdict of one batch as of `nowMs` (or as of the end of its custody, if it has ended).
 * Returns `{ ok: false, reason }` for custody that cannot be right (overlaps, future times) or an
 * unknown time zone. `opts.timeZone` (IANA, default "UTC") is used for every time in messages.
 */
export function computeVerdict(batch: BatchInput, nowMs: number, opts: VerdictOptions = {}): VerdictResult {
  const timeZone = opts.timeZone ?? "UTC";
  const badZone = checkTimeZone(timeZone);
  if (badZone !== null) return { ok: false, reason: badZone };
  const invalid = validate(batch, nowMs);
  if (invalid !== null) return { ok: false, reason: invalid };

  const { stays, first, merged } = mergeCustody(batch.custody);
  if (batch.custody.some((c, i) => c.resume != null && merged[first.indexOf(i)] !== false))
    return { ok: false, reason: "a resume checkpoint was given for an interval that joins another stay" };
  let h: History;
  try {
    h = walkCustody(batch, stays, nowMs);
  } catch (error) {
    if (error instanceof ResumeMismatchError) return { ok: false, reason: error.message };
    throw error;
  }
  const checkpoints = batch.custody.map((_c, i) => {
    const k = first.indexOf(i);
    return k === -1 || merged[k] ? null : (h.checkpoints[k] ?? null);
  });
  const reasons: Reason[] = [];
  const budgets: Budget[] = [];
  for (const rule of RULES) {
    for (const draft of rule.reasons(h)) {
      const r = { ...draft, message: "" } as Reason;
      r.message = describeReason(r, { timeZone, audience: "staff" });
      reasons.push(r);
    }
    if (rule.budgets !== undefined) budgets.push(...rule.budgets(h));
  }

  const profiles: ProfileUse[] = h.stays.map((s) => ({ unitId: s.unitId, profile: s.profile }));
  let monitoredMs = 0;
  let outOfRangeMs = 0;
  let weightedSumC = 0;
  let arrheniusSum = 0;
  let minC: number | null = null;
  let maxC: number | null = null;
  for (const s of h.stays) {
    const a = s.acc;
    monitoredMs += a.monitoredMs;
    outOfRangeMs += a.outOfRangeMs;
    weightedSumC += a.weightedSumC;
    arrheniusSum += a.arrheniusSum;
    if (a.minC !== null) minC = minC === null ? a.minC : Math.min(minC, a.minC);
    if (a.maxC !== null) maxC = maxC === null ? a.maxC : Math.max(maxC, a.maxC);
  }

  const verdict: Verdict = {
    verdict: worstBand(reasons.map((r) => r.band)),
    reasons,
    stats: {
      minC,
      maxC,
      meanC: monitoredMs > 0 ? weightedSumC / monitoredMs : null,
      mktC: mktFromSums(arrheniusSum, monitoredMs),
      minutesOutOfRange: Math.round((outOfRangeMs / MIN_MS) * 100) / 100,
      monitoredPct: Math.round(monitoredPct(h) * 100) / 100,
    },
    state: h.state,
    everThawed: h.milk.everThawed,
    thawedAtMs: h.milk.thawedAtMs,
    budgets,
    profiles,
    asOfMs: h.asOfMs,
  };
  return { ok: true, verdict, checkpoints };
}
