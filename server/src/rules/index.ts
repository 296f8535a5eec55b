/** The rules engine: pure functions from custody, readings and profiles to verdicts and events. */

export type { BusiestWindow, Span } from "./cumulative.js";
export { busiestWindow, mergeSpans } from "./cumulative.js";
export { bandForLimit, computeVerdict, worstBand } from "./engine.js";
export { meanKineticTemperatureC, mktFromSums } from "./mean-kinetic-temperature.js";
export { lagStep, msToReach } from "./milk-temperature.js";
export type { ParentSummary, ParentSummaryOptions } from "./parent-summary.js";
export { parentSummary } from "./parent-summary.js";
export { prepareReadings } from "./prepare-readings.js";
export type { OverrideResult } from "./profiles/overrides.js";
export { applyOverrides } from "./profiles/overrides.js";
export type { ProfileSpec } from "./profiles/registry.js";
export {
  defaultProfileId,
  isProfileId,
  LIMITS_IDS,
  PROFILE_IDS,
  PROFILES,
  resolveProfile,
  TIME_LIMITS,
} from "./profiles/registry.js";
export type * from "./profiles/types.js";
export type { Audience, DescribeOptions } from "./reason-words.js";
export { describeReason, formatInterval } from "./reason-words.js";
export { FALLBACK_INTERVAL_MS, learnIntervalMs, MIN_LEARNED_INTERVAL_MS } from "./reporting-interval.js";
export type { FaultKind, ProbeTrouble } from "./sensor-fault.js";
export { faultOf, isJump, troubleOf } from "./sensor-fault.js";
export type { StuckStretch } from "./stuck-probe.js";
export { stuckStretches } from "./stuck-probe.js";
export type { Draft, RuleRow } from "./table.js";
export { RULES } from "./table.js";
export type * from "./types.js";
export type { Excursion, UnitAnalysis, UnitWindow } from "./unit-analysis.js";
export { analyseUnit, excursionsOf } from "./unit-analysis.js";
export { MKT_DELTA_H_OVER_R_K } from "./unit-machine.js";
export type { MonitorEvent, UnitMonitor, UnitMonitorInit, UnitMonitorState } from "./unit-monitor.js";
export { createUnitMonitor } from "./unit-monitor.js";
export type { History, Stay } from "./walk.js";
export { checkTimeZone, formatDate, formatDuration, formatTempC, formatTime } from "./wording.js";
