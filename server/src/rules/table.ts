/**
 * The verdict rules as a table: one row per RULES.md row or section, each a pure function of the
 * walked custody (`History`, see walk.ts) to reasons (and, for time limits, budgets). The rule id
 * in a reason comes from the profile data; its sentence comes from `reason-words.ts`. Adding a
 * rule is adding a row to `RULES`.
 */
import { busiestWindow, mergeSpans, type Span } from "./cumulative.js";
import type { BandedLimit, TimeLimits } from "./profiles/types.js";
import type { Band, Budget, Reason } from "./types.js";
import type { History, Stay } from "./walk.js";

const MIN_MS = 60_000;
const H_MS = 3_600_000;

/** A reason before its words: the engine adds `message` from `describeReason`. */
export type Draft = Omit<Reason, "message">;

export interface RuleRow {
  /** RULES.md row id or section, e.g. "FR-1", "§3 gap". */
  id: string;
  /** What it reads from the history. */
  reads: string;
  /** What it says, and in which band. */
  says: string;
  reasons(h: History): Draft[];
  budgets?(h: History): Budget[];
}

/** Which band a time `usedMs` reaches against a banded limit. */
export function bandForLimit(limit: BandedLimit, usedMs: number): Band {
  if (usedMs <= limit.safeMaxH * H_MS) return "safe";
  if (usedMs <= limit.checkMaxH * H_MS) return "check";
  return "do-not-use";
}

type LimitKey = "freshCold" | "freshWarm" | "room" | "frozen" | "thawedCold" | "thawedRoom" | "coolBag";

/** Several units' limits apply to one phase: the strictest number of each wins. */
function strictest(sets: readonly TimeLimits[], key: LimitKey): { limit: BandedLimit; ids: string } {
  const first = sets[0] as TimeLimits;
  let limit = { ...first[key] };
  for (const s of sets)
    limit = {
      rule: limit.rule,
      safeMaxH: Math.min(limit.safeMaxH, s[key].safeMaxH),
      checkMaxH: Math.min(limit.checkMaxH, s[key].checkMaxH),
    };
  return { limit, ids: [...new Set(sets.map((s) => s.id))].join(", ") };
}

function limitValues(limit: BandedLimit, ids: string) {
  return { limits: ids, safeMaxH: limit.safeMaxH, checkMaxH: limit.checkMaxH };
}

/** Budgets for one limit given the time used so far; `running` = the clock runs now. */
function budgetsFor(limit: BandedLimit, usedMs: number, asOfMs: number, running: boolean): Budget[] {
  const out: Budget[] = [];
  const add = (band: Budget["band"], maxH: number) => {
    const remainingMs = maxH * H_MS - usedMs;
    if (remainingMs > 0)
      out.push({ limit: limit.rule, band, untilMs: running ? asOfMs + remainingMs : null, remainingMs });
  };
  if (limit.checkMaxH > limit.safeMaxH) add("check", limit.safeMaxH);
  add("do-not-use", limit.checkMaxH);
  return out;
}

const lastStay = (h: History) => h.stays[h.stays.length - 1] as Stay;
const firstStay = (h: History) => h.stays[0] as Stay;
const unitOf = (s: Stay) => ({ unitKind: s.unitKind, unitId: s.unitId });
const minutes = (ms: number) => Math.round(ms / MIN_MS);
const refrozen = (h: History) => h.stays.some((s) => s.refreezes.length > 0);

/** §3 (and FR-2, TR-1): a run above the unit's line with more than `forMin` of time above it. */
const excursion: RuleRow = {
  id: "§3 excursion",
  reads: "confirmed high runs per stay (time above the line, not hysteresis time)",
  says: "freezer: check; fridge with fresh milk: note (FR-2 applies); fridge with thawed milk: check; cool bag: check only while the milk is frozen (TR-1)",
  reasons: (h) =>
    h.stays.flatMap((s) =>
      s.runs
        .filter((r) => r.rule === "high" && r.confirmed)
        .flatMap((r): Draft[] => {
          const p = s.profile;
          const milk = r.milk ?? s.milkAtStart;
          let band: Band = "check";
          let rule = p.high.rule;
          let effect = "check";
          if (s.unitKind === "fridge" && milk === "fresh") {
            band = "safe";
            rule = p.limits.freshWarm.rule;
            effect = "fresh-3-days";
          } else if (s.unitKind === "fridge") rule = p.limits.thawedCold.rule;
          else if (s.unitKind === "cool-bag" && milk !== "frozen" && milk !== "thawing") return [];
          // Hysteresis keeps the run open until the air is back under the clear line; the words
          // say "so far" only while the air is still above the line itself.
          const warmNow = s.lastTempC !== null && s.lastTempC > p.high.aboveC;
          const ongoing = r.open && s.open && warmNow;
          return [
            {
              code: "excursion",
              band,
              rule,
              fromMs: r.fromMs,
              toMs: ongoing ? null : r.open ? lastAboveMs(s, r) : r.toMs,
              values: {
                ...unitOf(s),
                thresholdC: p.high.aboveC,
                peakC: r.peakC,
                minutes: minutes(r.aboveMs),
                ongoing,
                effect,
                freshWarmH: p.limits.freshWarm.checkMaxH,
              },
            },
          ];
        }),
    ),
};

/** The end of the last stretch of air above the line within an open run (the run itself may stay open). */
function lastAboveMs(s: Stay, r: { fromMs: number; toMs: number }): number {
  let end = r.fromMs;
  for (const a of s.aboveSpans)
    if (a.fromMs < r.toMs && a.toMs > r.fromMs) end = Math.max(end, Math.min(a.toMs, r.toMs));
  return end;
}

const coldNow = (s: Stay) =>
  s.profile.low !== null && s.lastTempC !== null && s.lastTempC < s.profile.low.belowC;

const fridgeFreezing: RuleRow = {
  id: "§3 fridge freezing",
  reads: "confirmed low runs (fridge below 0 °C for more than 30 min of time below)",
  says: "check: milk in it may have started to freeze",
  reasons: (h) =>
    h.stays.flatMap((s) =>
      s.runs
        .filter((r) => r.rule === "low" && r.confirmed && s.profile.low !== null)
        .map(
          (r): Draft => ({
            code: "fridge-freezing",
            band: "check",
            rule: s.profile.low?.rule ?? "§3",
            fromMs: r.fromMs,
            toMs: r.open && s.open && coldNow(s) ? null : r.toMs,
            values: {
              ...unitOf(s),
              thresholdC: s.profile.low?.belowC ?? 0,
              peakC: r.peakC,
              minutes: minutes(r.aboveMs),
              ongoing: r.open && s.open && coldNow(s),
            },
          }),
        ),
    ),
};

const cumulative: RuleRow = {
  id: "§3 cumulative",
  reads: "time above the line and unmonitored time (not probe faults) per freezer stay",
  says: "check when the busiest rolling window holds more than maxMin",
  reasons: (h) =>
    h.stays.flatMap((s): Draft[] => {
      const c = s.profile.cumulative;
      if (c === null) return [];
      const gapSpans: Span[] = s.gaps.filter((g) => !g.byFault);
      const windowMs = c.windowH * H_MS;
      const busiest = busiestWindow([...s.aboveSpans, ...gapSpans], windowMs);
      if (busiest === null || busiest.coveredMs <= c.maxMin * MIN_MS) return [];
      let unknownMs = 0;
      for (const g of mergeSpans(gapSpans))
        unknownMs += Math.max(0, Math.min(g.toMs, busiest.toMs) - Math.max(g.fromMs, busiest.fromMs));
      return [
        {
          code: "cumulative-excursion",
          band: "check",
          rule: "§3",
          fromMs: busiest.fromMs,
          toMs: busiest.toMs,
          values: {
            ...unitOf(s),
            thresholdC: s.profile.high.aboveC,
            minutes: minutes(busiest.coveredMs),
            unmonitoredMinutes: minutes(unknownMs),
            maxMinutes: c.maxMin,
            windowH: c.windowH,
          },
        },
      ];
    }),
};

/** Gaps that are not the probe's fault and not the short lead-in before a first reading. */
const reportedGaps = (s: Stay) => s.gaps.filter((g) => !g.leading);
const isLong = (s: Stay, ms: number) => ms >= s.profile.gap.checkAfterMin * MIN_MS;

const gap: RuleRow = {
  id: "§3 gap",
  reads: "silences longer than gap.factor × the reporting interval",
  says: "≥ gap.checkAfterMin: check; shorter: one note for all (short-gaps)",
  reasons: (h) => {
    const out: Draft[] = [];
    let count = 0;
    let totalMs = 0;
    for (const s of h.stays)
      for (const g of reportedGaps(s)) {
        // Silence filled by faulty readings is the sensor-fault reason's to report, not a break.
        if (g.byFault) continue;
        const ms = g.toMs - g.fromMs;
        if (!isLong(s, ms)) {
          count++;
          totalMs += ms;
        } else
          out.push({
            code: "gap",
            band: "check",
            rule: "§3",
            fromMs: g.fromMs,
            toMs: g.ongoing ? null : g.toMs,
            values: { ...unitOf(s), minutes: minutes(ms), ongoing: g.ongoing },
          });
      }
    if (count > 0)
      out.push({
        code: "short-gaps",
        band: "safe",
        rule: "§3",
        values: { count, minutes: minutes(totalMs) },
      });
    return out;
  },
};

const custodyGap: RuleRow = {
  id: "§3 out of custody (return)",
  reads: "holes between stays",
  says: "under the gap rule: ≥ gap.checkAfterMin check, shorter a note",
  reasons: (h) =>
    h.custodyGaps.map((g) => ({
      code: "custody-gap",
      band: g.toMs - g.fromMs >= g.checkAfterMin * MIN_MS ? "check" : "safe",
      rule: "§3",
      fromMs: g.fromMs,
      toMs: g.toMs,
      values: { minutes: minutes(g.toMs - g.fromMs), checkAfterMin: g.checkAfterMin },
    })),
};

const custodyEnded: RuleRow = {
  id: "§3 out of custody",
  reads: "custodyEnd",
  says: "note: monitoring ended at …, temperature since unknown; the verdict is as of then",
  reasons: (h) =>
    h.custodyEnd === null
      ? []
      : [
          {
            code: "custody-ended",
            band: "safe",
            rule: "§3",
            fromMs: h.custodyEnd.atMs,
            values: { how: h.custodyEnd.how },
          },
        ],
};

const sensorFault: RuleRow = {
  id: "§3 sensor faults",
  reads: "faulty readings per stay: out of range (−127 disconnected), 85 °C power-on, jumps, stuck values",
  says: "check: that time is unmonitored, the probe needs checking",
  reasons: (h) =>
    h.stays.flatMap((s) =>
      s.faults.map(
        (f): Draft => ({
          code: "sensor-fault",
          band: "check",
          rule: "§3",
          fromMs: f.firstMs,
          toMs: f.ongoing ? null : f.lastMs,
          values: {
            ...unitOf(s),
            fault: f.fault,
            probe: f.trouble,
            count: f.count,
            minutes: minutes(f.lastMs - f.firstMs),
            exampleC: Number.isFinite(f.exampleC) ? f.exampleC : null,
            ongoing: f.ongoing,
          },
        }),
      ),
    ),
};

/** Share of custody covered by readings, 0–100. */
export function monitoredPct(h: History): number {
  const custodyMs = h.asOfMs - firstStay(h).fromMs;
  const monitoredMs = h.stays.reduce((sum, s) => sum + s.acc.monitoredMs, 0);
  return custodyMs > 0 ? Math.min(100, (monitoredMs / custodyMs) * 100) : 0;
}

const coverage: RuleRow = {
  id: "§3 coverage",
  reads: "monitored time ÷ custody time",
  says: "check below coverage.checkBelowPct",
  reasons: (h) => {
    const threshold = Math.max(...h.stays.map((s) => s.profile.coverage.checkBelowPct));
    const pct = monitoredPct(h);
    if (pct >= threshold) return [];
    return [
      {
        code: "low-coverage",
        band: "check",
        rule: "§3",
        values: { monitoredPct: Math.floor(pct * 10) / 10, thresholdPct: threshold },
      },
    ];
  },
};

const intervalLearned: RuleRow = {
  id: "§3 reporting interval",
  reads: "stays whose expectedIntervalMs was unknown",
  says: "note: the interval learned from the readings",
  reasons: (h) => {
    const seen = new Set<string>();
    return h.stays.flatMap((s): Draft[] => {
      const key = `${s.unitId}:${s.expectedIntervalMs}`;
      if (!s.intervalLearned || seen.has(key)) return [];
      seen.add(key);
      return [
        {
          code: "interval-learned",
          band: "safe",
          rule: "§3",
          values: { ...unitOf(s), intervalMs: s.expectedIntervalMs, fallback: s.acc.validReadings < 2 },
        },
      ];
    });
  },
};

const beforeCustody: RuleRow = {
  id: "RT-1 before custody",
  reads: "expressedAtMs, the first stay's start, the declared state",
  says: "fresh: note within RT-1's safe time, else check; frozen/thawed: note",
  reasons: (h) => {
    const first = firstStay(h);
    const preMs = first.fromMs - h.batch.expressedAtMs;
    if (h.batch.initialState === "fresh") {
      if (preMs <= 0) return [];
      const room = first.profile.limits.room;
      return [
        {
          code: "before-custody",
          band: preMs <= room.safeMaxH * H_MS ? "safe" : "check",
          rule: room.rule,
          fromMs: h.batch.expressedAtMs,
          toMs: first.fromMs,
          values: { minutes: minutes(preMs), state: "fresh" },
        },
      ];
    }
    return [
      {
        code: "before-custody",
        band: "safe",
        rule: "§1",
        fromMs: h.batch.expressedAtMs,
        toMs: first.fromMs,
        values: { minutes: minutes(preMs), state: h.batch.initialState },
      },
    ];
  },
};

const thawing: RuleRow = {
  id: "§4 thawing",
  reads: "the milk estimate between −2 and −0.5 °C",
  says: "softened then froze again: check; still softening: note in a fridge (planned), else check",
  reasons: (h) => {
    const out: Draft[] = h.stays.flatMap((s) =>
      s.thawings.map(
        (t): Draft => ({
          code: "thawing",
          band: "check",
          rule: "§4",
          fromMs: t.fromMs,
          toMs: t.toMs,
          values: { ...unitOf(s), estimateAboveC: s.profile.thaw.frozenMaxC, ongoing: false },
        }),
      ),
    );
    if (h.thawingOpen !== null && h.state === "thawing") {
      const last = lastStay(h);
      const planned = last.unitKind === "fridge";
      out.push({
        code: "thawing",
        band: planned ? "safe" : "check",
        rule: "§4",
        fromMs: h.thawingOpen.fromMs,
        toMs: null,
        values: {
          ...unitOf(last),
          estimateAboveC: last.profile.thaw.frozenMaxC,
          ongoing: h.running,
          atEnd: true,
          planned,
        },
      });
    }
    return out;
  },
};

const probableThaw: RuleRow = {
  id: "§4 thaw",
  reads: "the estimate passing −0.5 °C, or air above −1 °C for 60 min around frozen milk",
  says: "in a fridge: note (a planned thaw, TH-1 starts); elsewhere: check",
  reasons: (h) =>
    h.stays.flatMap((s): Draft[] => {
      if (s.thaw === null) return [];
      const planned = s.unitKind === "fridge";
      const t = s.profile.thaw;
      return [
        {
          code: "probable-thaw",
          band: planned ? "safe" : "check",
          rule: planned ? s.profile.limits.thawedCold.rule : "§4",
          fromMs: s.thaw.atMs,
          values: {
            ...unitOf(s),
            by: s.thaw.by,
            planned,
            startedMs: s.thaw.startedMs,
            airAboveC: t.airAboveC,
            airForMin: t.airForMin,
            thawAboveC: t.thawAboveC,
          },
        },
      ];
    }),
};

const refreeze: RuleRow = {
  id: "RF-1",
  reads: "thawed milk whose estimate fell to −2 °C again",
  says: "do-not-use in every profile",
  reasons: (h) =>
    h.stays.flatMap((s) =>
      s.refreezes.map(
        (r): Draft => ({
          code: "refrozen",
          band: "do-not-use",
          rule: "RF-1",
          fromMs: r.thawedAtMs,
          toMs: r.atMs,
          values: unitOf(s),
        }),
      ),
    ),
};

/** FR-2 applies once a fridge held fresh milk above 4 °C (time above) or unmonitored, 30 min+. */
function freshWarm(h: History): { atMs: number; why: "warm" | "unmonitored" } | null {
  let best: { atMs: number; why: "warm" | "unmonitored" } | null = null;
  const consider = (atMs: number, why: "warm" | "unmonitored") => {
    if (best === null || atMs < best.atMs) best = { atMs, why };
  };
  for (const s of h.stays) {
    if (s.unitKind !== "fridge") continue;
    for (const r of s.runs)
      if (r.rule === "high" && r.confirmed && r.milk === "fresh") consider(r.fromMs, "warm");
    for (const g of reportedGaps(s))
      if (g.milk === "fresh" && isLong(s, g.toMs - g.fromMs)) consider(g.fromMs, "unmonitored");
  }
  return best;
}

function freshChoice(h: History) {
  const warm = freshWarm(h);
  const keys: LimitKey[] = warm === null ? ["freshCold"] : ["freshCold", "freshWarm"];
  const sets = h.limitsByPhase.fresh.length > 0 ? h.limitsByPhase.fresh : [firstStay(h).profile.limits];
  const chosen = keys
    .map((k) => strictest(sets, k))
    .reduce((a, b) => (b.limit.checkMaxH < a.limit.checkMaxH ? b : a));
  const endMs = h.freshEndMs ?? (h.state === "fresh" ? h.asOfMs : null);
  return { warm, chosen, endMs };
}

const freshLimit: RuleRow = {
  id: "FR-1 / FR-2",
  reads:
    "time from expression until the milk froze; FR-2 once a fridge was above 4 °C for 30 min or unmonitored",
  says: "bands of the strictest limit that applies",
  reasons: (h) => {
    if (h.batch.initialState !== "fresh") return [];
    const { warm, chosen, endMs } = freshChoice(h);
    if (endMs === null) return [];
    const usedMs = endMs - h.batch.expressedAtMs;
    const band = bandForLimit(chosen.limit, usedMs);
    if (band === "safe") return [];
    return [
      {
        code: "fresh-limit",
        band,
        rule: chosen.limit.rule,
        fromMs: h.batch.expressedAtMs,
        values: {
          hours: Math.round((usedMs / H_MS) * 10) / 10,
          ...limitValues(chosen.limit, chosen.ids),
          warm: warm?.why ?? null,
          warmAtMs: warm?.atMs ?? null,
          warmAboveC: h.stays.find((s) => s.unitKind === "fridge")?.profile.high.aboveC ?? null,
        },
      },
    ];
  },
  budgets: (h) => {
    if (h.batch.initialState !== "fresh" || h.state !== "fresh") return [];
    const { chosen, endMs } = freshChoice(h);
    if (endMs === null) return [];
    return budgetsFor(chosen.limit, endMs - h.batch.expressedAtMs, h.asOfMs, h.running);
  },
};

function frozenChoice(h: History) {
  const sets = h.limitsByPhase.frozen.length > 0 ? h.limitsByPhase.frozen : [lastStay(h).profile.limits];
  return strictest(sets, "frozen");
}

const frozenLimit: RuleRow = {
  id: "FZ-1",
  reads: "time from expression until the first thaw (or now)",
  says: "safe ≤ 6 months, check to 12, then do-not-use (conservative)",
  reasons: (h) => {
    if (!h.everFrozen) return [];
    const chosen = frozenChoice(h);
    const endMs = h.milk.thawedAtMs ?? h.asOfMs;
    const usedMs = endMs - h.batch.expressedAtMs;
    const band = bandForLimit(chosen.limit, usedMs);
    if (band === "safe") return [];
    return [
      {
        code: "frozen-limit",
        band,
        rule: chosen.limit.rule,
        fromMs: h.batch.expressedAtMs,
        values: {
          days: Math.round((usedMs / (24 * H_MS)) * 10) / 10,
          thawed: h.milk.thawedAtMs !== null,
          ...limitValues(chosen.limit, chosen.ids),
        },
      },
    ];
  },
  budgets: (h) => {
    if (!h.everFrozen || h.state !== "frozen" || h.milk.everThawed) return [];
    return budgetsFor(frozenChoice(h).limit, h.asOfMs - h.batch.expressedAtMs, h.asOfMs, h.running);
  },
};

function thawedChoice(h: History) {
  const sets = h.limitsByPhase.thawed.length > 0 ? h.limitsByPhase.thawed : [lastStay(h).profile.limits];
  return strictest(sets, "thawedCold");
}

const thawedLimit: RuleRow = {
  id: "TH-1",
  reads: "time since the first detected thaw; not once refrozen (RF-1 says it all)",
  says: "safe ≤ 12 h, check to 24 h, then do-not-use (conservative)",
  reasons: (h) => {
    const at = h.milk.thawedAtMs;
    if (!h.milk.everThawed || at === null || refrozen(h)) return [];
    const chosen = thawedChoice(h);
    const usedMs = h.asOfMs - at;
    const band = bandForLimit(chosen.limit, usedMs);
    if (band === "safe") return [];
    return [
      {
        code: "thawed-limit",
        band,
        rule: chosen.limit.rule,
        fromMs: at,
        toMs: h.asOfMs,
        values: {
          hours: Math.round((usedMs / H_MS) * 10) / 10,
          ...limitValues(chosen.limit, chosen.ids),
          running: h.running,
          // Declared thawed with no time given: the clock starts when it was first stored.
          declared: !h.stays.some((s) => s.thaw !== null) && h.batch.thawedAtMs == null,
        },
      },
    ];
  },
  budgets: (h) => {
    const at = h.milk.thawedAtMs;
    if (h.state !== "thawed" || at === null || refrozen(h)) return [];
    return budgetsFor(thawedChoice(h).limit, h.asOfMs - at, h.asOfMs, h.running);
  },
};

/** RT-1 (fresh) and TH-2 (thawed): monitored time with the air above each unit's own room line. */
function roomRow(kind: "fresh" | "thawed"): RuleRow {
  const key: LimitKey = kind === "fresh" ? "room" : "thawedRoom";
  const code = kind === "fresh" ? "room-temperature" : "thawed-room-temperature";
  const usedOf = (s: Stay) => (kind === "fresh" ? s.acc.roomFreshMs : s.acc.roomThawedMs);
  const choice = (h: History) => {
    const stays = h.stays.filter((s) => usedOf(s) > 0);
    const usedMs = stays.reduce((sum, s) => sum + usedOf(s), 0);
    return stays.length === 0
      ? null
      : { stays, usedMs, chosen: strictest([...new Set(stays.map((s) => s.profile.limits))], key) };
  };
  return {
    id: kind === "fresh" ? "RT-1" : "TH-2",
    reads: `monitored time with ${kind} milk liquid and the air above the unit's room line (fridge 10 °C, cool bag 15 °C)`,
    says:
      kind === "fresh"
        ? "safe ≤ 4 h, then do-not-use (conservative)"
        : "safe ≤ 1 h, check to 2 h, then do-not-use",
    reasons: (h) => {
      const c = choice(h);
      if (c === null) return [];
      const places = [...new Set(c.stays.map((s) => `${s.unitKind}:${s.profile.room.aboveC}`))].join(";");
      return [
        {
          code,
          band: bandForLimit(c.chosen.limit, c.usedMs),
          rule: c.chosen.limit.rule,
          values: { minutes: minutes(c.usedMs), places, ...limitValues(c.chosen.limit, c.chosen.ids) },
        },
      ];
    },
    budgets: (h) => {
      const c = choice(h);
      if (c === null || h.state !== kind) return [];
      const last = lastStay(h);
      const warmNow = h.running && last.lastTempC !== null && last.lastTempC > last.profile.room.aboveC;
      return budgetsFor(c.chosen.limit, c.usedMs, h.asOfMs, warmNow);
    },
  };
}

const hot: RuleRow = {
  id: "RT-2",
  reads: "monitored time with liquid milk and the air above the unit's hotAboveC (25 °C)",
  says: "check from the first minute",
  reasons: (h) => {
    const stays = h.stays.filter((s) => s.acc.hotMs > 0 && s.acc.firstHotMs !== null);
    const first = stays[0];
    if (first === undefined) return [];
    return [
      {
        code: "hot",
        band: "check",
        rule: "RT-2",
        fromMs: first.acc.firstHotMs as number,
        values: {
          minutes: minutes(stays.reduce((sum, s) => sum + s.acc.hotMs, 0)),
          thresholdC: first.profile.room.hotAboveC,
        },
      },
    ];
  },
};

const bagStays = (h: History) => h.stays.filter((s) => s.unitKind === "cool-bag");

function coolBagChoice(h: History) {
  const stays = bagStays(h).filter((s) => (s.acc.liquidMs ?? 0) > 0);
  if (stays.length === 0) return null;
  return {
    usedMs: stays.reduce((sum, s) => sum + (s.acc.liquidMs ?? 0), 0),
    chosen: strictest([...new Set(stays.map((s) => s.profile.limits))], "coolBag"),
  };
}

const coolBag: RuleRow = {
  id: "CB-1",
  reads: "time in cool bags with the milk liquid (fresh or thawed); no 4 °C line in a bag",
  says: "safe ≤ 24 h, then do-not-use; budget only while the milk is in a cool bag",
  reasons: (h) => {
    const c = coolBagChoice(h);
    if (c === null) return [];
    const band = bandForLimit(c.chosen.limit, c.usedMs);
    if (band === "safe") return [];
    return [
      {
        code: "cool-bag-limit",
        band,
        rule: c.chosen.limit.rule,
        values: {
          hours: Math.round((c.usedMs / H_MS) * 10) / 10,
          ...limitValues(c.chosen.limit, c.chosen.ids),
        },
      },
    ];
  },
  budgets: (h) => {
    const c = coolBagChoice(h);
    const last = lastStay(h);
    if (c === null || last.unitKind !== "cool-bag" || (h.state !== "fresh" && h.state !== "thawed"))
      return [];
    return budgetsFor(c.chosen.limit, c.usedMs, h.asOfMs, h.running);
  },
};

function transportChoice(h: History) {
  const stays = bagStays(h).filter((s) => (s.acc.frozenMs ?? 0) > 0);
  if (stays.length === 0) return null;
  const limit = stays
    .map((s) => s.profile.limits.frozenInBag)
    .reduce((a, b) => (b.checkAfterH < a.checkAfterH ? b : a));
  return { usedMs: stays.reduce((sum, s) => sum + (s.acc.frozenMs ?? 0), 0), limit };
}

const transport: RuleRow = {
  id: "TR-1",
  reads: "time in cool bags with the milk frozen",
  says: "check past checkAfterH (24 h) for staff to judge against their bank's limit; never do-not-use for time alone",
  reasons: (h) => {
    const c = transportChoice(h);
    if (c === null || c.usedMs <= c.limit.checkAfterH * H_MS) return [];
    return [
      {
        code: "transport-limit",
        band: "check",
        rule: c.limit.rule,
        values: { hours: Math.round((c.usedMs / H_MS) * 10) / 10, checkAfterH: c.limit.checkAfterH },
      },
    ];
  },
  budgets: (h) => {
    const c = transportChoice(h);
    const last = lastStay(h);
    if (c === null || last.unitKind !== "cool-bag" || h.state !== "frozen" || h.milk.everThawed) return [];
    const remainingMs = c.limit.checkAfterH * H_MS - c.usedMs;
    if (remainingMs <= 0) return [];
    return [
      { limit: c.limit.rule, band: "check", untilMs: h.running ? h.asOfMs + remainingMs : null, remainingMs },
    ];
  },
};

/** Every rule, in the order their reasons and budgets appear. */
export const RULES: readonly RuleRow[] = [
  excursion,
  fridgeFreezing,
  cumulative,
  gap,
  sensorFault,
  custodyGap,
  thawing,
  probableThaw,
  refreeze,
  coverage,
  intervalLearned,
  beforeCustody,
  freshLimit,
  frozenLimit,
  thawedLimit,
  roomRow("fresh"),
  roomRow("thawed"),
  hot,
  coolBag,
  transport,
  custodyEnded,
];
