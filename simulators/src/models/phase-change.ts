/**
 * Enthalpy bookkeeping for a water-rich mass (milk, food, ice packs) that can freeze and thaw.
 *
 * The state of such a mass is its enthalpy, not its temperature: while it melts, heat goes in and
 * the temperature stays at the freezing point (the latent-heat plateau). Zero enthalpy is "all
 * frozen, at the freezing point". Temperature is a pure function of enthalpy, which makes the plateau
 * fall out of the bookkeeping instead of being special-cased.
 */
export interface Material {
  /** Specific heat when frozen, J/(kg·K). */
  cpFrozenJPerKgK: number;
  /** Specific heat when liquid, J/(kg·K). */
  cpLiquidJPerKgK: number;
  /** Latent heat of fusion, J/kg. */
  latentJPerKg: number;
  /** Temperature of the plateau, °C. */
  freezingPointC: number;
}

/**
 * Human milk. About 87 % water; the latent heat is 87 % of water's 334 kJ/kg. Specific heats are
 * those of ice (2.1 kJ/kg·K) and of milk (about 3.9 kJ/kg·K). The freezing point −0.54 °C is derived
 * in RULES.md §4 from an osmolality of about 290 mOsm/kg (derived, not a sourced measurement).
 */
export const HUMAN_MILK: Material = {
  cpFrozenJPerKgK: 2100,
  cpLiquidJPerKgK: 3900,
  latentJPerKg: 0.87 * 334_000,
  freezingPointC: -0.54,
};

/**
 * Mixed frozen food filling a freezer, or groceries in a fridge. Design values: mostly water
 * (about 75 % → 250 kJ/kg latent), with solutes lowering the freezing point to about −1 °C.
 */
export const MIXED_FOOD: Material = {
  cpFrozenJPerKgK: 2000,
  cpLiquidJPerKgK: 3600,
  latentJPerKg: 250_000,
  freezingPointC: -1,
};

/** Water-filled ice packs: water's latent heat (334 kJ/kg) and freezing point. */
export const ICE_PACK: Material = {
  cpFrozenJPerKgK: 2100,
  cpLiquidJPerKgK: 4180,
  latentJPerKg: 334_000,
  freezingPointC: 0,
};

export interface Mass {
  massKg: number;
  enthalpyJ: number;
  material: Material;
}

export function temperatureOf(m: Mass): number {
  const { massKg, enthalpyJ, material: x } = m;
  if (massKg <= 0) return Number.NaN;
  const latentJ = massKg * x.latentJPerKg;
  if (enthalpyJ < 0) return x.freezingPointC + enthalpyJ / (massKg * x.cpFrozenJPerKgK);
  if (enthalpyJ <= latentJ) return x.freezingPointC;
  return x.freezingPointC + (enthalpyJ - latentJ) / (massKg * x.cpLiquidJPerKgK);
}

/** 0 = all frozen, 1 = all liquid. */
export function liquidFractionOf(m: Mass): number {
  const latentJ = m.massKg * m.material.latentJPerKg;
  if (latentJ <= 0) return m.enthalpyJ > 0 ? 1 : 0;
  return Math.min(1, Math.max(0, m.enthalpyJ / latentJ));
}

/**
 * A mass at a temperature. Exactly at the freezing point the phase is ambiguous, so
 * `liquidFraction` says how much is melted (default: frozen).
 */
export function massAt(material: Material, massKg: number, tempC: number, liquidFraction = 0): Mass {
  const x = material;
  let enthalpyJ: number;
  if (tempC < x.freezingPointC) enthalpyJ = massKg * x.cpFrozenJPerKgK * (tempC - x.freezingPointC);
  else if (tempC > x.freezingPointC)
    enthalpyJ = massKg * x.latentJPerKg + massKg * x.cpLiquidJPerKgK * (tempC - x.freezingPointC);
  else enthalpyJ = liquidFraction * massKg * x.latentJPerKg;
  return { massKg, enthalpyJ, material };
}

/** Heat capacity of the current phase (for stability limits), J/K. */
export function sensibleCapacityOf(m: Mass): number {
  const frozen = m.enthalpyJ < 0 || liquidFractionOf(m) < 1;
  return m.massKg * (frozen ? m.material.cpFrozenJPerKgK : m.material.cpLiquidJPerKgK);
}
