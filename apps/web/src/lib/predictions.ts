/** Pure helpers for the predictions pages (model card, customers, profile): labels and chart data. */

export const MODEL_LABELS: Record<string, string> = {
  bgnbd: "BG/NBD",
  pnbd: "Pareto/NBD",
  mbgnbd: "MBG/NBD",
};

export function modelLabel(kind: string): string {
  return MODEL_LABELS[kind] ?? kind;
}

/** What started a recompute run, in words (model_runs.triggered_by). */
const TRIGGER_LABELS: Record<string, string> = {
  manual: "Recompute now",
  "data-change": "New data",
  nightly: "Nightly",
  initial: "First run",
  "settings-change": "Settings change",
  "tier-settings": "Tier settings",
  "model-change": "Model change",
};

export function triggerLabel(triggeredBy: string): string {
  return TRIGGER_LABELS[triggeredBy] ?? triggeredBy;
}

export function formatDate(d: Date | null | undefined): string {
  return d ? d.toLocaleDateString("en-US", { dateStyle: "medium", timeZone: "UTC" }) : "—";
}

export function formatDateTime(d: Date | null | undefined): string {
  return d ? d.toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short" }) : "—";
}

export function formatNumber(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return "—";
  return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

type Params = Record<string, number>;

/**
 * Plain-words meaning of purchase-model parameters (time unit: days). For BG/NBD and MBG/NBD the
 * purchase rate while active is Gamma(r, α): mean r/α per day, so a typical active customer buys
 * every α/r days; the drop-out probability after each purchase is Beta(a, b) with mean a/(a+b).
 * For Pareto/NBD the lifetime is exponential with a Gamma(s, β) rate: mean lifetime β/(s−1) days when s > 1.
 */
export function explainParams(kind: string, p: Params): string[] {
  const out: string[] = [];
  const r = p.r;
  const alpha = p.alpha;
  if (r !== undefined && alpha !== undefined && r > 0) {
    out.push(`A typical customer buys about every ${Math.round(alpha / r)} days while active (purchase rate r/α = ${(r / alpha).toFixed(4)} per day).`);
    out.push(
      r < 1
        ? `Purchase rates vary a lot between customers (shape r = ${r.toFixed(2)} < 1): a few frequent buyers and many occasional ones.`
        : `Purchase rates are fairly similar across customers (shape r = ${r.toFixed(2)}).`,
    );
  }
  if ((kind === "bgnbd" || kind === "mbgnbd") && p.a !== undefined && p.b !== undefined) {
    const drop = p.a / (p.a + p.b);
    out.push(`After each purchase, about ${(drop * 100).toFixed(0)} % of customers stop buying for good (mean drop-out probability a/(a+b)).`);
  }
  if (kind === "pnbd" && p.s !== undefined && p.beta !== undefined) {
    out.push(
      p.s > 1
        ? `An average customer stays active for about ${Math.round(p.beta / (p.s - 1))} days (mean lifetime β/(s−1)).`
        : `Lifetimes are very spread out (s = ${p.s.toFixed(2)} ≤ 1): some customers stay for a very long time.`,
    );
  }
  return out;
}

export const PARAM_HELP: Record<string, string> = {
  r: "shape of the purchase-rate distribution",
  alpha: "scale of the purchase-rate distribution (days)",
  a: "drop-out: Beta shape a",
  b: "drop-out: Beta shape b",
  s: "shape of the drop-out-rate distribution",
  beta: "scale of the drop-out-rate distribution (days)",
  p: "spend: shape per transaction",
  q: "spend: shape across customers",
  v: "spend: scale across customers",
};

export interface HoldoutBinDto {
  bin: number;
  customers: number;
  actual: number;
  predicted: number;
}

export function binLabel(bin: number, maxBin = 7): string {
  return bin === maxBin ? `${bin}+` : String(bin);
}

export function toHoldoutChart(bins: HoldoutBinDto[]) {
  const last = bins.length - 1;
  return {
    labels: bins.map((b) => binLabel(b.bin, last)),
    datasets: [
      { type: "bar" as const, label: "Actual", data: bins.map((b) => b.actual), backgroundColor: "#0d9488" },
      { type: "bar" as const, label: "Predicted", data: bins.map((b) => b.predicted), backgroundColor: "#4338ca" },
    ],
  };
}

export const SEGMENT_HELP: Record<string, string> = {
  Champions: "bought recently, often, and spend the most",
  Loyal: "buy regularly",
  "Potential Loyalist": "recent customers with promise",
  New: "first purchase very recently",
  Promising: "recent, low frequency",
  "Need Attention": "middling on all counts",
  "About to Sleep": "fading",
  "At Risk": "used to buy often, not lately",
  "Can't Lose Them": "high value, gone quiet",
  Hibernating: "long quiet, low value",
  Lost: "lowest on all counts",
};
