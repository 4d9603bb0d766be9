/**
 * Small, seeded, dependency-free pseudo-random number generator for demo / benchmark data.
 *
 * - Core generator: sfc32 (Chris Doty-Humphrey's "small fast counting" generator, 128-bit state,
 *   passes PractRand/BigCrush), seeded through splitmix32 so that nearby seeds (1, 2, 3, …) give
 *   unrelated streams.
 * - Everything is pure arithmetic on the generator state: same seed ⇒ same sequence on every
 *   platform/Node version (only IEEE-754 double arithmetic and Math.log/exp/sqrt/cos are used).
 *
 * Distribution conventions (stated explicitly because shape/rate vs shape/scale mix-ups are the
 * classic bug in CLV simulation code):
 * - `gamma(shape, scale)` has mean `shape * scale`. For a Gamma(shape, rate) draw use
 *   `gamma(shape, 1 / rate)`.
 * - `exponential(rate)` has mean `1 / rate`.
 * - `beta(a, b)` has mean `a / (a + b)`.
 */

export interface Rng {
  /** Uniform double in [0, 1). */
  next(): number;
  /** Uniform double in [min, max). */
  uniform(min: number, max: number): number;
  /** Uniform integer in [min, maxExclusive). */
  int(min: number, maxExclusive: number): number;
  /** true with probability p. */
  bernoulli(p: number): boolean;
  /** Normal(mean, sd) via Box–Muller (the spare deviate is cached). */
  normal(mean?: number, sd?: number): number;
  /** exp(Normal(mu, sigma)). */
  logNormal(mu: number, sigma: number): number;
  /** Exponential with the given rate (mean 1 / rate). */
  exponential(rate: number): number;
  /** Gamma(shape, scale) via Marsaglia–Tsang (mean shape * scale). */
  gamma(shape: number, scale?: number): number;
  /** Beta(a, b) via two gamma draws. */
  beta(a: number, b: number): number;
  /** Poisson(mean): inversion for small means, Hörmann's PTRS for mean ≥ 10. */
  poisson(mean: number): number;
  /** Uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** Index i chosen with probability weights[i] / sum(weights); weights must be ≥ 0 with sum > 0. */
  weightedIndex(weights: ArrayLike<number>): number;
}

const TWO_POW_32 = 4294967296;

/** splitmix32 step: a good 32-bit mixer for seeding / hashing. */
export function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Deterministically combines numbers (e.g. a seed and a stream label) into one 32-bit seed. */
export function hashSeed(...parts: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    // Mix both 32-bit halves so that large integers / fractional parts still matter.
    const lo = part | 0;
    const hi = Math.floor(part / TWO_POW_32) | 0;
    h = splitmix32(h ^ lo);
    h = splitmix32(h ^ hi);
  }
  return h >>> 0;
}

/** Raw sfc32 generator returning uniform doubles in [0, 1) (32 bits of randomness). */
export function sfc32(seed: number): () => number {
  let a = splitmix32(seed);
  let b = splitmix32(a);
  let c = splitmix32(b);
  let d = 1;
  const step = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / TWO_POW_32;
  };
  // Discard the first outputs so that the state is well mixed.
  for (let i = 0; i < 15; i++) step();
  return step;
}

/** The classic mulberry32 (kept for callers who want the tiniest generator). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / TWO_POW_32;
  };
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
] as const;

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; ~15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) {
    // Reflection formula.
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS[0];
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] ?? 0) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Creates a seeded generator with distribution helpers. `seed` is any finite number. */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const next = sfc32(hashSeed(seed));
  let spareNormal: number | null = null;

  /** Uniform in (0, 1] — safe for Math.log. */
  const openUniform = (): number => 1 - next();

  const standardNormal = (): number => {
    if (spareNormal !== null) {
      const s = spareNormal;
      spareNormal = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(openUniform()));
    const theta = 2 * Math.PI * next();
    spareNormal = r * Math.sin(theta);
    return r * Math.cos(theta);
  };

  const gamma = (shape: number, scale = 1): number => {
    if (!(shape > 0) || !(scale > 0)) throw new RangeError(`gamma needs shape, scale > 0 (got ${shape}, ${scale})`);
    if (shape < 1) {
      // Boost: Gamma(k) = Gamma(k + 1) * U^(1/k).
      return gamma(shape + 1, scale) * Math.pow(openUniform(), 1 / shape);
    }
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = standardNormal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = openUniform();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return d * v * scale;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  };

  const poissonSmall = (mean: number): number => {
    // Inversion by sequential search (expected mean + 1 uniforms); fine for mean < 10.
    const l = Math.exp(-mean);
    let k = 0;
    let p = l;
    let cdf = l;
    const u = next();
    while (u > cdf && k < 1000) {
      k += 1;
      p *= mean / k;
      cdf += p;
    }
    return k;
  };

  const poissonPtrs = (mean: number): number => {
    // W. Hörmann (1993), "The transformed rejection method for generating Poisson random variables".
    const slam = Math.sqrt(mean);
    const logLam = Math.log(mean);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = next() - 0.5;
      const v = next();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -mean + k * logLam - logGamma(k + 1)) {
        return k;
      }
    }
  };

  return {
    next,
    uniform: (min, max) => min + (max - min) * next(),
    int: (min, maxExclusive) => min + Math.floor((maxExclusive - min) * next()),
    bernoulli: (p) => next() < p,
    normal: (mean = 0, sd = 1) => mean + sd * standardNormal(),
    logNormal: (mu, sigma) => Math.exp(mu + sigma * standardNormal()),
    exponential: (rate) => {
      if (!(rate > 0)) throw new RangeError(`exponential needs rate > 0 (got ${rate})`);
      return -Math.log(openUniform()) / rate;
    },
    gamma,
    beta: (a, b) => {
      const x = gamma(a);
      const y = gamma(b);
      return x / (x + y);
    },
    poisson: (mean) => {
      if (!(mean >= 0)) throw new RangeError(`poisson needs mean ≥ 0 (got ${mean})`);
      if (mean === 0) return 0;
      return mean < 10 ? poissonSmall(mean) : poissonPtrs(mean);
    },
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new RangeError("pick from an empty array");
      return items[Math.floor(next() * items.length)] as T;
    },
    weightedIndex: (weights) => {
      let total = 0;
      for (let i = 0; i < weights.length; i++) total += weights[i] ?? 0;
      if (!(total > 0)) throw new RangeError("weightedIndex needs a positive total weight");
      let target = next() * total;
      for (let i = 0; i < weights.length; i++) {
        target -= weights[i] ?? 0;
        if (target < 0) return i;
      }
      // Floating-point slack: return the last index with positive weight.
      for (let i = weights.length - 1; i >= 0; i--) if ((weights[i] ?? 0) > 0) return i;
      return weights.length - 1;
    },
  };
}
