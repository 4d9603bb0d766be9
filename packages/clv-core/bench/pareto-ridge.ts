/**
 * Pareto/NBD on data where every customer drops out at one common rate (the 1M bench generator's
 * pattern, apps/worker/bench/scale-1m.ts: first purchase uniform over 600 days, 1 + ⌊Exp·9⌋ purchases
 * spread uniformly over a lifetime U(0, 400) days, summarised on a daily grid at day 700), where the fit
 * used to walk along s, β → ∞ until its caller's time budget stopped it (and BG/NBD, MBG/NBD along
 * a, b → ∞). Times `fitParetoNbd`, `fitBgNbd` and `fitModifiedBgNbd` and counts their likelihood
 * evaluations (through `shouldStop`), for N customers (default 200,000, the model comparison's sample size).
 *
 *   flock /tmp/vl/bench.lock pnpm --filter @valuelens/clv-core exec tsx bench/pareto-ridge.ts [N]
 */
import { cpus, loadavg, totalmem } from "node:os";
import { compressRows, fitBgNbd, fitModifiedBgNbd, fitParetoNbd, mulberry32, type PurchaseModel, type RfmColumns } from "../src/index.js";

const n = Number(process.argv[2] ?? 200_000);
const rng = mulberry32(5);
const cutoff = 700;
const frequency = new Float64Array(n);
const recency = new Float64Array(n);
const T = new Float64Array(n);
for (let i = 0; i < n; i++) {
  const first = rng() * 600;
  const life = rng() * 400;
  const k = 1 + Math.floor(-Math.log(1 - rng()) * 9);
  const days = new Set<number>([0]);
  for (let j = 1; j < k; j++) {
    const t = first + rng() * life;
    if (t < cutoff) days.add(Math.floor(t) - Math.floor(first));
  }
  frequency[i] = days.size - 1;
  recency[i] = Math.max(...days);
  T[i] = cutoff - Math.floor(first);
}
const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
const loadBefore = load();
const fits: Record<string, unknown> = {};
for (const [name, fit] of [["pareto-nbd", fitParetoNbd], ["bg-nbd", fitBgNbd], ["mbg-nbd", fitModifiedBgNbd]] as [string, (d: RfmColumns, o: { shouldStop: () => boolean }) => PurchaseModel][]) {
  let evaluations = 0;
  const t0 = performance.now();
  const m = fit({ frequency, recency, T }, { shouldStop: () => (evaluations++, false) });
  fits[name] = {
    seconds: Math.round(performance.now() - t0) / 1000,
    evaluations,
    iterations: m.iterations,
    logLikelihood: m.logLikelihood,
    converged: m.converged,
    boundary: m.boundary ? { limit: m.boundary.limit, limitParams: m.boundary.limitParams } : null,
    params: m.params,
  };
}
console.log(
  JSON.stringify({
    customers: n,
    distinctRows: compressRows({ frequency, recency, T }).size,
    fits,
    machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    loadBefore,
    loadAfter: load(),
  }),
);
