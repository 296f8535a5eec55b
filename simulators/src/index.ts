/** Public surface of @coldtrail/simulators, for tests, benches and `npm start`. */
export {
  type ApiResult,
  type ApiTarget,
  createProbe,
  createUnit,
  type ProbeCredentials,
} from "./api/registration.js";
export { type DemoOptions, type DemoResult, runDemo } from "./demo/run-demo.js";
export { quantize } from "./devices/ds18b20.js";
export {
  createProbeDevice,
  type DeviceMessage,
  flushProbe,
  type ProbeDeviceConfig,
  type ProbeDeviceState,
  sampleProbe,
  setProbeOnline,
} from "./devices/probe-device.js";
export { LoadError, type LoadOptions, type LoadProgress, type LoadResult, runLoad } from "./load/run-load.js";
export type { UnitEvent } from "./models/events.js";
export { HUMAN_MILK, type Material } from "./models/phase-change.js";
export { findUnitModel, UNIT_MODEL_IDS, UNIT_MODELS, type UnitModelId } from "./models/registry.js";
export { createUnitState, step, type UnitOptions, type UnitState } from "./models/step.js";
export type { UnitModel } from "./models/unit-model.js";
export { createRng, nextUniform } from "./prng.js";
export { renameProbes, replayMessages } from "./scenarios/replay.js";
export { parseScenario, type Scenario } from "./scenarios/scenario.js";
export { type SimulationResult, scenarioStartMs, simulateScenario } from "./scenarios/simulate.js";
