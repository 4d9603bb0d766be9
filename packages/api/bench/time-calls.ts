/**
 * Benchmark timing shared by the page benchmarks: each case is called 3 times to warm up, then `runs`
 * times; returns p50 / p95 / max in ms (nearest-rank percentiles) and a Markdown table row per case.
 */
export interface CallTiming {
  label: string;
  p50: number;
  p95: number;
  max: number;
  row: string;
}

export async function timeCalls(cases: readonly [string, () => Promise<unknown>][], runs: number, onCase?: (t: CallTiming) => void): Promise<CallTiming[]> {
  const out: CallTiming[] = [];
  for (const [label, fn] of cases) {
    for (let i = 0; i < 3; i++) await fn();
    const ms: number[] = [];
    for (let i = 0; i < runs; i++) {
      const s = performance.now();
      await fn();
      ms.push(performance.now() - s);
    }
    ms.sort((a, b) => a - b);
    const q = (p: number) => Math.round(ms[Math.min(ms.length - 1, Math.ceil(p * ms.length) - 1)]!);
    const t = { label, p50: q(0.5), p95: q(0.95), max: Math.round(ms[ms.length - 1]!) };
    const timing = { ...t, row: `| ${label} | ${t.p50} | ${t.p95} | ${t.max} |` };
    onCase?.(timing);
    out.push(timing);
  }
  return out;
}
