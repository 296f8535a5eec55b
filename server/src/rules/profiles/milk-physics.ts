/**
 * Numbers about the milk itself, shared by every unit profile (RULES.md §2–§4).
 */
import type { RuleProfile } from "./types.js";

/**
 * RULES.md §4 (Design): FROZEN while the estimated milk temperature stays ≤ −2 °C, THAWING (check)
 * from −2 to −0.5 °C, THAWED once it passes −0.5 °C (human milk freezes near −0.54 °C, derived in
 * §4), or once the air around frozen milk stays above −1 °C for 60 min or more — a floor that
 * holds whatever the estimate says, so a wrong time constant cannot hide a thaw.
 */
export const thawRule: RuleProfile["thaw"] = {
  frozenMaxC: -2, // §4 (Design): FROZEN while the estimate stays ≤ −2 °C
  thawAboveC: -0.5, // §4 (Design): THAWED once the estimate passes −0.5 °C
  // Design: an estimate wobbling at −2 °C must not flip thawing/frozen every reading.
  hysteresisC: 0.5,
  airAboveC: -1, // §4 (Design): air above −1 °C …
  airForMin: 60, // §4 (Design): … for 60 min or more → thawed
  // Design: the floor run ends only once the air is clearly back below −1 °C (same 0.5 °C hysteresis).
  airClearC: -1.5,
};

/**
 * Time constants of the first-order milk-temperature estimate (Design; no guideline gives one).
 * Lumped capacitance, τ = m·c / (h·A): 150 ml of frozen milk (m ≈ 0.155 kg, c ≈ 2.1 kJ/(kg·K) like
 * ice) in still freezer air (h ≈ 8 W/(m²·K), convection plus radiation).
 * - bag: a flat storage bag, both faces ≈ 0.034 m² → τ ≈ 1 200 s = 20 min.
 * - bottle: a 150 ml bottle, ≈ 0.019 m² of wall → τ ≈ 2 100 s ≈ 35 min.
 * The model ignores the latent heat of melting (≈ 50 kJ per bag, far more than the sensible heat),
 * so the estimate reaches −0.5 °C well before real milk would: it errs toward "thawed". The air
 * floor rule covers the other direction (a τ too long).
 */
export const milkTauMin: RuleProfile["milkTauMin"] = { bag: 20, bottle: 35 }; // Design, derived above

/**
 * RT-1 / RT-2 / FR-2 / CB-1: where "room temperature" starts. FR-2's note: above 10 °C no source
 * gives a fridge limit, so RT-1 applies. RT-2: above 25 °C CDC gives none; check from the first minute.
 */
export const roomInFridgeOrFreezer: RuleProfile["room"] = {
  aboveC: 10, // FR-2 note (NHS / Breastfeeding Network 5–10 °C band [S]): above 10 °C apply RT-1
  hotAboveC: 25, // RT-1 / RT-2: CDC's room temperature is ≤ 25 °C (77 °F) [V]
};
