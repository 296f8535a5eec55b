import { ICE_PACK } from "./phase-change.js";
import type { UnitModel } from "./unit-model.js";

/**
 * A soft insulated cool bag of about 10 L with 1.5 kg of frozen ice packs packed against the milk,
 * as CDC advises for travel (RULES.md CB-1 [V]: at most 24 h with frozen ice packs).
 *
 * The ice packs melt at 0 °C over about a day in a 21 °C room; frozen milk leaves −1 °C after a few
 * hours (it stays cold but starts to soften), chilled milk stays below 4 °C for most of a day. The
 * "load" is the ice packs; `loadFraction` 0 is a bag without ice packs.
 */
export const coolBag: UnitModel = {
  id: "cool-bag",
  kind: "cool-bag",
  description: "soft cool bag, ~10 L, with 1.5 kg of ice packs",
  airCapacityJPerK: 300, // air plus the inner lining (estimate)
  wallUaWPerK: 0.45, // estimate: about 0.3 m² of 1 cm foam, with seams and zip
  doorOpenWPerK: 3, // opening the lid
  doorAjarWPerK: 1, // zip left open
  load: { material: ICE_PACK, fullMassKg: 1.5, fullAirWPerK: 1, initialC: -18 },
  milk: { massKg: 1.2, airWPerK: 0.25, loadContactWPerK: 0.4, initialC: -18 },
  ambientC: 21,
  sources: [
    "CDC, Human Milk Storage Guidelines, travelling: up to 24 h in a cool bag with frozen ice packs (RULES.md CB-1 [V])",
    "insulation, masses and conductances: estimates",
  ],
};
