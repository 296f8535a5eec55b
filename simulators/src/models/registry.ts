import { chestFreezer } from "./chest-freezer.js";
import { coolBag } from "./cool-bag.js";
import { fridge } from "./fridge.js";
import type { UnitModel } from "./unit-model.js";
import { uprightFreezer } from "./upright-freezer.js";

export type UnitModelId = "upright-freezer" | "chest-freezer" | "fridge" | "cool-bag";

/** Every unit model, by id. A new kind of unit is one file plus one line here. */
export const UNIT_MODELS: Readonly<Record<UnitModelId, UnitModel>> = {
  "upright-freezer": uprightFreezer,
  "chest-freezer": chestFreezer,
  fridge,
  "cool-bag": coolBag,
};

export const UNIT_MODEL_IDS = Object.keys(UNIT_MODELS) as UnitModelId[];

export function findUnitModel(id: string): { ok: true; model: UnitModel } | { ok: false; reason: string } {
  const model = Object.hasOwn(UNIT_MODELS, id) ? UNIT_MODELS[id as UnitModelId] : undefined;
  return model
    ? { ok: true, model }
    : { ok: false, reason: `unknown unit model "${id}": use one of ${UNIT_MODEL_IDS.join(", ")}` };
}
