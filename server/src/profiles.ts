/** Rule profile ids a unit may use; replaced by the rules engine's registry when it lands. */
export const KNOWN_PROFILE_IDS: ReadonlySet<string> = new Set(["home-freezer", "milk-bank-freezer", "fridge", "cool-bag"]);
