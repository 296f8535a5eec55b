/**
 * A tiny seeded pseudo-random number generator, so every simulation is reproducible from its seed.
 *
 * mulberry32 (Tommy Ettinger's public-domain 32-bit generator): one uint32 of state, a period of 2^32,
 * good enough statistics for sensor noise and event schedules and far too weak for anything secret.
 * The state is a plain number so pure step functions can carry it inside their own state.
 */
export interface Draw {
  value: number; // uniform in [0, 1)
  state: number; // the generator state after this draw
}

export function nextUniform(state: number): Draw {
  const s = (state + 0x6d2b79f5) >>> 0;
  let t = Math.imul(s ^ (s >>> 15), s | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4294967296, state: s };
}

/** A stateful wrapper for code at the edges (schedules, load generation). */
export interface Rng {
  uniform(): number;
  /** Uniform in [min, max). */
  between(min: number, max: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Exponentially distributed with the given mean (for Poisson event schedules). */
  exponential(mean: number): number;
  readonly state: number;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const uniform = (): number => {
    const d = nextUniform(state);
    state = d.state;
    return d.value;
  };
  return {
    uniform,
    between: (min, max) => min + (max - min) * uniform(),
    normal: () => normalFrom(uniform),
    exponential: (mean) => -mean * Math.log(1 - uniform()),
    get state() {
      return state;
    },
  };
}

/** Box–Muller transform; 1 − u keeps the logarithm's argument in (0, 1]. */
export function normalFrom(uniform: () => number): number {
  const u1 = 1 - uniform();
  const u2 = uniform();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
