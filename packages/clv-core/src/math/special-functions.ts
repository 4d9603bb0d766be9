/**
 * Special functions, taken from the maintained stdlib packages rather than re-implemented.
 *
 * The @stdlib packages are CommonJS (`export =`); default imports work in Node ESM and in Vitest
 * because both hand the CommonJS `module.exports` to the default binding.
 *
 * Reference: stdlib-js (Cephes/Boost-derived), relative error ~1e-15 on the positive axis.
 * Complexity: O(1) each.
 *
 * @example
 * gammaln(10.5); // 13.940625219403763
 * betaln(2, 3);  // log(1/12)
 * digamma(1);    // -0.5772156649015329 (minus the Euler–Mascheroni constant)
 */
import stdlibGammaln from "@stdlib/math-base-special-gammaln";
import stdlibBetaln from "@stdlib/math-base-special-betaln";
import stdlibDigamma from "@stdlib/math-base-special-digamma";

/** ln Γ(x). */
export const gammaln: (x: number) => number = stdlibGammaln;
/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b). */
export const betaln: (a: number, b: number) => number = stdlibBetaln;
/** ψ(x) = d/dx ln Γ(x). */
export const digamma: (x: number) => number = stdlibDigamma;
