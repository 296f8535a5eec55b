import type { Mass } from "./phase-change.js";

/** Things that happen to a unit; `step` applies them at the start of the step they are given to. */
export type UnitEvent =
  /** Door (or lid) wide open for a while, then closed. */
  | { kind: "door-open"; durationMs: number }
  /** Door left resting on its seal until a `door-close`. */
  | { kind: "door-ajar" }
  | { kind: "door-close" }
  | { kind: "power-cut" }
  | { kind: "power-restore" }
  /** Start a defrost cycle now (frost-free freezers also start them on their own schedule). */
  | { kind: "defrost" }
  /** The room (or car) around the unit changes temperature. */
  | { kind: "ambient"; tempC: number }
  /** Milk put in (moved here from another unit); replaces any milk already modelled. */
  | { kind: "milk-in"; milk: Mass }
  | { kind: "milk-out" };

export type UnitEventKind = UnitEvent["kind"];
