/**
 * Deterministic demo-data generator for ValueLens (a fictional DTC specialty coffee & tea shop,
 * "Northwind Roasters"). PURE: no I/O, no clock, no Math.random — the same options always give the
 * same output, on every machine.
 *
 * ## What is simulated
 *
 * 1. **Campaigns** – one always-on campaign per channel plus one paid_social "BFCM burst" per Black
 *    Friday inside the range. Affiliate and referral programmes launch later than `start`.
 * 2. **Acquisition** – exactly `customers` sign-ups over [start, end], drawn as a non-homogeneous
 *    Poisson process (conditioned on the count) whose daily intensity is
 *    `growth(t) × season(month) × BFCM(t) × Σ_campaign weight × weekday_channel(dow)`;
 *    growth ×1.55/yr, Nov ×1.45, Dec ×1.35, Black-Friday→Cyber-Monday ×1.6 (see tables below).
 *    Organic customers are 35 % "direct / unattributed" (`campaignExternalId: null`).
 * 3. **Spend** – `daily_budget` channels spend `CAC × expected acquisitions that day × LogNormal`
 *    noise (σ = 0.2, mean 1), so spend has weekday shape and noise while the channel CAC converges
 *    to the target; `per_acquisition` channels (affiliate CPA bounty, referral "give $10 get $10")
 *    are charged per realised acquisition; organic has no spend rows.
 * 4. **Orders** – first order at sign-up; repeat purchases follow a BG/NBD process per customer:
 *    `λ ~ Gamma(r, α)` purchases/week, `p ~ Beta(a, b)` dropout probability after every *repeat*
 *    purchase (Fader, Hardie & Lee 2005 convention: no dropout at the first purchase). Purchase
 *    timing is thinned by a seasonal lift (Nov ×1.35, Dec ×1.5, BFCM ×2.0, Jan ×0.8) so the process
 *    is BG/NBD "on average over the year". Order values are Gamma-Gamma: per-customer
 *    `ν ~ Gamma(q, γ)` (rate), order value `z ~ Gamma(p, ν)` dollars (mean `p·γ/(q−1)`), × a
 *    holiday value lift (Nov ×1.05, Dec ×1.1); the first order gets the channel's welcome discount.
 *    Amounts are integer cents ≥ 100, cost = amount × U(0.55, 0.70), refund rate per channel
 *    (≈ 2 % overall). Nothing is generated after `end` (the observation end).
 *
 * Customer behaviour depends ONLY on the acquisition channel (attributes are descriptive).
 *
 * ## Channel profiles (`DEMO_CHANNEL_PROFILES`) — facts tests rely on
 *
 * λ is per WEEK (Gamma shape r, rate α, mean r/α); p ~ Beta(a, b) (mean a/(a+b));
 * Gamma-Gamma p_shape, q, γ in dollars; E[order] = p_shape·γ/(q−1).
 *
 * | channel     | weight | spend model     | CAC   | r    | α  | E[λ]/yr | a   | b   | E[p] | p_sh | q   | γ  | E[order] | 1st disc | refund |
 * |-------------|--------|-----------------|-------|------|----|---------|-----|-----|------|------|-----|----|----------|----------|--------|
 * | paid_search | 0.26   | daily_budget    | $42   | 0.75 | 14 | 2.8     | 0.9 | 3.2 | 0.22 | 6    | 4   | 36 | $72      | 0 %      | 1.5 %  |
 * | paid_social | 0.20   | daily_budget    | $19*  | 0.45 | 16 | 1.5     | 1.4 | 1.6 | 0.47 | 5    | 4   | 25 | $42      | 0 %      | 3.0 %  |
 * | email       | 0.12   | daily_budget    | $24   | 1.3  | 13 | 5.2     | 0.7 | 4.5 | 0.13 | 6    | 4.5 | 45 | $77      | 10 %     | 1.5 %  |
 * | affiliate   | 0.12   | per_acquisition | $26   | 0.3  | 14 | 1.1     | 1.8 | 1.2 | 0.60 | 4    | 4   | 33 | $44      | 20 %     | 4.0 %  |
 * | organic     | 0.20   | none            | $0    | 0.9  | 13 | 3.6     | 0.8 | 3.5 | 0.19 | 6    | 4   | 34 | $68      | 0 %      | 1.5 %  |
 * | referral    | 0.10   | per_acquisition | $20   | 1.6  | 13 | 6.4     | 0.6 | 5.5 | 0.10 | 6    | 4.5 | 50 | $86      | 0 %      | 1.0 %  |
 *
 * (*) the BFCM paid_social bursts pay ×1.35 CAC (auction pressure), weight 0.8 while active.
 * `DEMO_LOYAL_CHANNEL = "referral"` has the best LTV:CAC among spending channels;
 * `DEMO_LOW_REPEAT_CHANNELS = ["affiliate", "paid_social"]` have the lowest orders per customer.
 *
 * Measured on the defaults (seed 42, 5,000 customers, 2024-01-01 → 2026-01-31T23:59:59.999Z),
 * revenue net of refunds, CAC = channel spend / customers of that channel's campaigns:
 *
 * (5,000 customers, 13,105 orders (1.82 % refunded), 2,972 spend rows, 8 campaigns.)
 *
 * | channel     | customers | orders/customer | ≥2 orders  | revenue/customer | CAC       | LTV:CAC |
 * |-------------|-----------|-----------------|------------|------------------|-----------|---------|
 * | paid_search |      1263 |            2.47 |     60.5 % |          $190.99 | $42.00    |     4.5 |
 * | paid_social |      1227 |            1.68 |     41.4 % |           $68.54 | $19.83    |     3.5 |
 * | email       |       570 |            4.00 |     73.7 % |          $307.39 | $24.48    |    12.6 |
 * | affiliate   |       534 |            1.42 |     28.8 % |           $52.91 | $26.00    |     2.0 |
 * | organic     |       959 |            2.93 |     66.6 % |          $196.17 | $0 (none) |     n/a |
 * | referral    |       447 |            4.63 |     78.7 % |          $397.73 | $20.00    |    19.9 |
 *
 * ("LTV" here is realised net revenue to the observation end, not a model forecast. Organic CAC
 * excludes the 35 % unattributed organic customers from the denominator.)
 *
 * ## Scale
 *
 * `generateDemoData` materialises plain arrays (5k customers ≈ 0.1 s cold). It also copes with
 * `customers: 1_000_000` (≈ 2.7 M orders, ≈ 16 s, ≈ 1.4 GB RSS), but for benchmarks prefer
 * `streamDemoData`, which yields the same rows in batches (≈ 5–6 s, ≈ 130 MB RSS for 1 M customers);
 * concatenating the batches equals `generateDemoData` with the same options. Orders are yielded
 * grouped by customer (customers are chronological by sign-up; orders are not globally sorted).
 */
import { createRng, type Rng } from "./rng.ts";

// ---------------------------------------------------------------------------------------------
// Public types & constants
// ---------------------------------------------------------------------------------------------

export const DEMO_CHANNELS = ["paid_search", "paid_social", "email", "affiliate", "organic", "referral"] as const;
export type DemoChannel = (typeof DEMO_CHANNELS)[number];

export type DemoSpendModel = "daily_budget" | "per_acquisition" | "none";

export interface DemoChannelProfile {
  readonly channel: DemoChannel;
  /** Relative acquisition intensity of the channel's always-on campaign. */
  readonly acquisitionWeight: number;
  readonly spendModel: DemoSpendModel;
  /** Target (daily_budget) or contracted (per_acquisition) cost per acquired customer, cents. */
  readonly cacMinor: number;
  /** Multipliers on acquisition intensity by UTC weekday, Sunday first. */
  readonly weekday: readonly [number, number, number, number, number, number, number];
  /** BG/NBD: λ ~ Gamma(shape r, rate alpha), λ in purchases per week. */
  readonly r: number;
  readonly alpha: number;
  /** BG/NBD: dropout probability after each repeat purchase p ~ Beta(a, b). */
  readonly a: number;
  readonly b: number;
  /** Gamma-Gamma: order value ~ Gamma(shape p, rate ν) dollars, ν ~ Gamma(shape q, rate gamma). */
  readonly p: number;
  readonly q: number;
  readonly gamma: number;
  /** Discount applied to the first order (welcome codes, coupon sites). */
  readonly firstOrderDiscount: number;
  readonly refundRate: number;
  /** Probability the customer joins the loyalty programme (descriptive attribute only). */
  readonly loyaltyMemberRate: number;
  /** Weights over DEMO_PRODUCT_CATEGORIES for the `first_product_category` attribute. */
  readonly categoryWeights: readonly [number, number, number, number, number];
}

export const DEMO_PRODUCT_CATEGORIES = ["coffee_beans", "tea", "brewing_gear", "accessories", "gift_sets"] as const;

export const DEMO_CHANNEL_PROFILES: Readonly<Record<DemoChannel, DemoChannelProfile>> = {
  paid_search: {
    channel: "paid_search",
    acquisitionWeight: 0.26,
    spendModel: "daily_budget",
    cacMinor: 4200,
    weekday: [0.85, 1.08, 1.1, 1.08, 1.05, 0.98, 0.86],
    r: 0.75,
    alpha: 14,
    a: 0.9,
    b: 3.2,
    p: 6,
    q: 4,
    gamma: 36,
    firstOrderDiscount: 0,
    refundRate: 0.015,
    loyaltyMemberRate: 0.2,
    categoryWeights: [0.4, 0.15, 0.3, 0.1, 0.05],
  },
  paid_social: {
    channel: "paid_social",
    acquisitionWeight: 0.2,
    spendModel: "daily_budget",
    cacMinor: 1900,
    weekday: [1.18, 0.92, 0.9, 0.92, 0.95, 1.03, 1.2],
    r: 0.45,
    alpha: 16,
    a: 1.4,
    b: 1.6,
    p: 5,
    q: 4,
    gamma: 25,
    firstOrderDiscount: 0,
    refundRate: 0.03,
    loyaltyMemberRate: 0.08,
    categoryWeights: [0.2, 0.15, 0.15, 0.25, 0.25],
  },
  email: {
    channel: "email",
    acquisitionWeight: 0.12,
    spendModel: "daily_budget",
    cacMinor: 2400,
    weekday: [0.8, 1.0, 1.25, 1.05, 1.2, 0.95, 0.75],
    r: 1.3,
    alpha: 13,
    a: 0.7,
    b: 4.5,
    p: 6,
    q: 4.5,
    gamma: 45,
    firstOrderDiscount: 0.1,
    refundRate: 0.015,
    loyaltyMemberRate: 0.55,
    categoryWeights: [0.55, 0.2, 0.1, 0.1, 0.05],
  },
  affiliate: {
    channel: "affiliate",
    acquisitionWeight: 0.12,
    spendModel: "per_acquisition",
    cacMinor: 2600,
    weekday: [1.05, 1.0, 0.97, 0.97, 1.0, 1.0, 1.01],
    r: 0.3,
    alpha: 14,
    a: 1.8,
    b: 1.2,
    p: 4,
    q: 4,
    gamma: 33,
    firstOrderDiscount: 0.2,
    refundRate: 0.04,
    loyaltyMemberRate: 0.05,
    categoryWeights: [0.15, 0.1, 0.35, 0.25, 0.15],
  },
  organic: {
    channel: "organic",
    acquisitionWeight: 0.2,
    spendModel: "none",
    cacMinor: 0,
    weekday: [0.95, 1.04, 1.03, 1.02, 1.0, 0.98, 0.98],
    r: 0.9,
    alpha: 13,
    a: 0.8,
    b: 3.5,
    p: 6,
    q: 4,
    gamma: 34,
    firstOrderDiscount: 0,
    refundRate: 0.015,
    loyaltyMemberRate: 0.3,
    categoryWeights: [0.45, 0.2, 0.2, 0.1, 0.05],
  },
  referral: {
    channel: "referral",
    acquisitionWeight: 0.1,
    spendModel: "per_acquisition",
    cacMinor: 2000,
    weekday: [1.1, 0.97, 0.97, 0.97, 0.97, 1.0, 1.12],
    r: 1.6,
    alpha: 13,
    a: 0.6,
    b: 5.5,
    p: 6,
    q: 4.5,
    gamma: 50,
    firstOrderDiscount: 0,
    refundRate: 0.01,
    loyaltyMemberRate: 0.6,
    categoryWeights: [0.55, 0.25, 0.1, 0.05, 0.05],
  },
};

/** The channel with the best LTV:CAC among channels that spend money. */
export const DEMO_LOYAL_CHANNEL = "referral" satisfies DemoChannel;
/** The channels with the lowest mean number of orders per customer (one-off buyers). */
export const DEMO_LOW_REPEAT_CHANNELS = ["affiliate", "paid_social"] as const satisfies readonly DemoChannel[];

export const DEMO_DEFAULT_SEED = 42;
export const DEMO_DEFAULT_CUSTOMERS = 5000;
export const DEMO_DEFAULT_START = new Date(Date.UTC(2024, 0, 1));
/** Observation end: nothing in the demo data is later than this instant. */
export const DEMO_DEFAULT_END = new Date(Date.UTC(2026, 0, 31, 23, 59, 59, 999));

export interface DemoDataOptions {
  seed?: number;
  customers?: number;
  /** Rounded UP to the next UTC midnight (so every spend `day` is ≥ start). */
  start?: Date;
  /** Observation end (inclusive). */
  end?: Date;
}

export interface DemoCampaign {
  externalId: string;
  name: string;
  channel: string;
  startsAt: Date;
  endsAt: Date | null;
  notes: string;
}

export interface DemoSpend {
  campaignExternalId: string;
  /** UTC midnight. */
  day: Date;
  amountMinor: number;
  currency: "USD";
}

export interface DemoCustomer {
  externalId: string;
  email: string;
  name: string;
  signedUpAt: Date;
  acquisitionChannel: string;
  campaignExternalId: string | null;
  attributes: Record<string, string | number | boolean>;
}

export interface DemoOrder {
  externalId: string;
  customerExternalId: string;
  orderedAt: Date;
  amountMinor: number;
  currency: "USD";
  costMinor: number;
  refunded: boolean;
}

export interface DemoDataBatch {
  campaigns: DemoCampaign[];
  spend: DemoSpend[];
  customers: DemoCustomer[];
  orders: DemoOrder[];
}

export interface DemoData extends DemoDataBatch {
  /** Effective start (UTC midnight) and observation end actually used. */
  start: Date;
  end: Date;
}

// ---------------------------------------------------------------------------------------------
// Calendar tables
// ---------------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const ANNUAL_GROWTH = 1.55;
/** Acquisition seasonality by UTC month (Jan first). */
const ACQUISITION_SEASON = [0.85, 0.8, 0.9, 0.92, 0.95, 0.9, 0.85, 0.9, 1.0, 1.05, 1.45, 1.35] as const;
const ACQUISITION_BFCM = 1.6;
/** Repeat-purchase timing lift by UTC month (thinning of the BG/NBD purchase process). */
const REPEAT_SEASON = [0.8, 0.85, 0.95, 0.95, 1.0, 0.95, 0.9, 0.95, 1.0, 1.05, 1.35, 1.5] as const;
const REPEAT_BFCM = 2.0;
const REPEAT_MAX_LIFT = 2.0;
/** Order value lift by UTC month. */
const VALUE_SEASON = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1.05, 1.1] as const;
const SPEND_NOISE_SIGMA = 0.2;
const ORGANIC_UNATTRIBUTED_SHARE = 0.35;
const MAX_ORDERS_PER_CUSTOMER = 1000;

const FIRST_NAMES = [
  "Ava", "Liam", "Noah", "Emma", "Olivia", "Mateo", "Sofia", "Lucas", "Mia", "Ethan",
  "Amara", "Hiroshi", "Priya", "Kwame", "Elena", "Jonas", "Fatima", "Diego", "Chloe", "Ravi",
  "Ingrid", "Tomás", "Leila", "Oscar", "Zoe", "Arjun", "Hannah", "Malik", "Yuki", "Nora",
  "Samuel", "Isla", "Kai", "Freya", "Omar", "Grace", "Felix", "Aisha", "Leo", "Maya",
] as const;
const LAST_NAMES = [
  "Smith", "Johnson", "Garcia", "Nguyen", "Patel", "Kim", "Müller", "Rossi", "Okafor", "Silva",
  "Tanaka", "Andersson", "Brown", "Martin", "Lopez", "Cohen", "Kowalski", "Dubois", "Haddad", "Singh",
  "Walker", "Moreau", "Jensen", "Ibrahim", "Costa", "Fischer", "Murphy", "Chen", "Novak", "Reyes",
  "Clarke", "Ahmed", "Larsen", "Bianchi", "Sato", "Evans", "Mendes", "Schmidt", "Hughes", "Park",
] as const;
const COUNTRIES = ["US", "CA", "GB", "DE", "AU", "NL"] as const;
const COUNTRY_WEIGHTS = [0.62, 0.1, 0.1, 0.06, 0.07, 0.05] as const;
const AGE_BANDS = ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"] as const;
const AGE_WEIGHTS = [0.12, 0.3, 0.25, 0.16, 0.11, 0.06] as const;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

interface CampaignSpec {
  campaign: DemoCampaign;
  profile: DemoChannelProfile;
  weight: number;
  cacMultiplier: number;
  startsAtMs: number;
  /** Inclusive. */
  endsAtMs: number;
}

function ceilToUtcMidnight(ms: number): number {
  return Math.ceil(ms / DAY_MS) * DAY_MS;
}

/** Friday after the 4th Thursday of November (UTC midnight, ms). */
function blackFriday(year: number): number {
  const nov1Dow = new Date(Date.UTC(year, 10, 1)).getUTCDay();
  const firstThursday = 1 + ((4 - nov1Dow + 7) % 7);
  return Date.UTC(year, 10, firstThursday + 21 + 1);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function emailSlug(s: string): string {
  return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}
const FIRST_NAME_SLUGS = FIRST_NAMES.map(emailSlug);
const LAST_NAME_SLUGS = LAST_NAMES.map(emailSlug);

function buildCampaigns(startMs: number, endMs: number): CampaignSpec[] {
  const P = DEMO_CHANNEL_PROFILES;
  const evergreen: {
    id: string;
    name: string;
    profile: DemoChannelProfile;
    launchDelayDays: number;
    notes: string;
  }[] = [
    {
      id: "cmp_search_always_on",
      name: "Google Ads – Search (Brand + Generic)",
      profile: P.paid_search,
      launchDelayDays: 0,
      notes: "Always-on search. Brand terms plus 'specialty coffee beans' / 'pour over kit' generics. tROAS bidding.",
    },
    {
      id: "cmp_social_prospecting",
      name: "Meta Prospecting – Always-on (Reels & Stories)",
      profile: P.paid_social,
      launchDelayDays: 0,
      notes: "Broad interest + lookalike prospecting. Cheap first orders, mostly gift/accessory impulse buys.",
    },
    {
      id: "cmp_email_lead_magnet",
      name: "Newsletter Sign-up – 10% Welcome Code + Brew Guide",
      profile: P.email,
      launchDelayDays: 0,
      notes: "Pop-up + lead-magnet ads into the weekly 'Brew Notes' newsletter; 10% off the first order.",
    },
    {
      id: "cmp_affiliate_coupon_sites",
      name: "Affiliate Network – Coupon & Deal Sites (CPA)",
      profile: P.affiliate,
      launchDelayDays: 75,
      notes: "CPA bounty of $26 per new customer via coupon/deal publishers; 20% off first order codes.",
    },
    {
      id: "cmp_organic_seo",
      name: "Organic – SEO Content Hub & Direct",
      profile: P.organic,
      launchDelayDays: 0,
      notes: "Brewing guides and origin stories. No media spend; part of organic traffic is unattributed.",
    },
    {
      id: "cmp_referral_give_get",
      name: "Referral Programme – Give $10, Get $10",
      profile: P.referral,
      launchDelayDays: 120,
      notes: "Existing customers share a link; $10 credit for each side = $20 cost per referred customer.",
    },
  ];

  const specs: CampaignSpec[] = [];
  for (const e of evergreen) {
    const startsAtMs = startMs + e.launchDelayDays * DAY_MS;
    if (startsAtMs > endMs) continue;
    specs.push({
      campaign: {
        externalId: e.id,
        name: e.name,
        channel: e.profile.channel,
        startsAt: new Date(startsAtMs),
        endsAt: null,
        notes: e.notes,
      },
      profile: e.profile,
      weight: e.profile.acquisitionWeight,
      cacMultiplier: 1,
      startsAtMs,
      endsAtMs: Number.POSITIVE_INFINITY,
    });
  }

  const firstYear = new Date(startMs).getUTCFullYear();
  const lastYear = new Date(endMs).getUTCFullYear();
  for (let year = firstYear; year <= lastYear; year++) {
    const bf = blackFriday(year);
    const burstStart = Math.max(startMs, bf - 7 * DAY_MS);
    const burstEnd = Math.min(endMs, bf + 4 * DAY_MS - 1); // through Cyber Monday, inclusive
    if (burstStart > burstEnd) continue;
    specs.push({
      campaign: {
        externalId: `cmp_social_bfcm_${year}`,
        name: `BFCM ${year} – Meta Burst (Doorbusters)`,
        channel: "paid_social",
        startsAt: new Date(burstStart),
        endsAt: new Date(burstEnd),
        notes: "Black Friday → Cyber Monday doorbuster burst. CPMs ~35% above baseline; deal-seeking buyers.",
      },
      profile: P.paid_social,
      weight: 0.8,
      cacMultiplier: 1.35,
      startsAtMs: burstStart,
      endsAtMs: burstEnd,
    });
  }
  return specs;
}

function resolveOptions(options: DemoDataOptions): {
  seed: number;
  customers: number;
  startMs: number;
  endMs: number;
} {
  const seed = options.seed ?? DEMO_DEFAULT_SEED;
  const customers = options.customers ?? DEMO_DEFAULT_CUSTOMERS;
  if (!Number.isInteger(customers) || customers < 0) {
    throw new RangeError(`customers must be a non-negative integer, got ${customers}`);
  }
  const startMs = ceilToUtcMidnight((options.start ?? DEMO_DEFAULT_START).getTime());
  const endMs = (options.end ?? DEMO_DEFAULT_END).getTime();
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) throw new RangeError("start/end must be valid dates");
  if (endMs - startMs < DAY_MS) {
    throw new RangeError("the range (after rounding start up to UTC midnight) must span at least one day");
  }
  return { seed, customers, startMs, endMs };
}

// ---------------------------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------------------------

/**
 * Yields the demo data in batches of about `batchSize` customers (with their orders and all
 * spend rows for the days completed so far). The first batch carries all campaigns. Concatenating
 * every batch gives exactly `generateDemoData(options)`.
 */
export function* streamDemoData(
  options: DemoDataOptions & { batchSize?: number } = {},
): Generator<DemoDataBatch, void, undefined> {
  const { seed, customers: N, startMs, endMs } = resolveOptions(options);
  const batchSize = Math.max(1, options.batchSize ?? 1000);
  const rng: Rng = createRng(seed);

  const specs = buildCampaigns(startMs, endMs);
  const C = specs.length;
  const numDays = Math.floor((endMs - startMs) / DAY_MS) + 1;

  // Per-day tables.
  const dayBase = new Float64Array(numDays); // growth × season × BFCM × covered fraction of the day
  const campaignWeights = new Float64Array(numDays * C); // weight × weekday × active
  const cumMass = new Float64Array(numDays + 1);
  const repeatLift = new Float64Array(numDays);
  const valueLift = new Float64Array(numDays);
  const bfcmCache = new Map<number, number>();
  for (let d = 0; d < numDays; d++) {
    const dayStart = startMs + d * DAY_MS;
    const date = new Date(dayStart);
    const month = date.getUTCMonth();
    const dow = date.getUTCDay();
    const year = date.getUTCFullYear();
    let bf = bfcmCache.get(year);
    if (bf === undefined) {
      bf = blackFriday(year);
      bfcmCache.set(year, bf);
    }
    const inBfcm = dayStart >= bf && dayStart <= bf + 3 * DAY_MS;
    const covered = Math.min(DAY_MS, endMs + 1 - dayStart) / DAY_MS;
    const growth = Math.pow(ANNUAL_GROWTH, (d * DAY_MS) / (365.25 * DAY_MS));
    dayBase[d] =
      growth * (ACQUISITION_SEASON[month] ?? 1) * (inBfcm ? ACQUISITION_BFCM : 1) * covered;
    let sumW = 0;
    for (let c = 0; c < C; c++) {
      const spec = specs[c];
      if (spec === undefined) continue;
      const active = dayStart >= spec.startsAtMs && dayStart <= spec.endsAtMs;
      const w = active ? spec.weight * (spec.profile.weekday[dow] ?? 1) : 0;
      campaignWeights[d * C + c] = w;
      sumW += w;
    }
    cumMass[d + 1] = (cumMass[d] ?? 0) + (dayBase[d] ?? 0) * sumW;
    repeatLift[d] = (REPEAT_SEASON[month] ?? 1) * (inBfcm ? REPEAT_BFCM : 1);
    valueLift[d] = VALUE_SEASON[month] ?? 1;
  }
  const totalMass = cumMass[numDays] ?? 0;

  let pending: DemoDataBatch = { campaigns: specs.map((s) => s.campaign), spend: [], customers: [], orders: [] };
  const realisedToday = new Int32Array(C);
  let orderSeq = 0;

  const finishDay = (d: number): void => {
    const dayStart = startMs + d * DAY_MS;
    for (let c = 0; c < C; c++) {
      const spec = specs[c];
      const w = campaignWeights[d * C + c] ?? 0;
      if (spec === undefined || w === 0) continue;
      let amount = 0;
      if (spec.profile.spendModel === "daily_budget") {
        const expected = totalMass > 0 ? (N * (dayBase[d] ?? 0) * w) / totalMass : 0;
        const noise = rng.logNormal(-(SPEND_NOISE_SIGMA * SPEND_NOISE_SIGMA) / 2, SPEND_NOISE_SIGMA);
        amount = Math.round(expected * spec.profile.cacMinor * spec.cacMultiplier * noise);
      } else if (spec.profile.spendModel === "per_acquisition") {
        amount = Math.round((realisedToday[c] ?? 0) * spec.profile.cacMinor * spec.cacMultiplier);
      }
      realisedToday[c] = 0;
      if (amount > 0) {
        pending.spend.push({ campaignExternalId: spec.campaign.externalId, day: new Date(dayStart), amountMinor: amount, currency: "USD" });
      }
    }
  };

  const orderValueMinor = (profile: DemoChannelProfile, nu: number, dayIndex: number, discount: number): number => {
    const dollars = rng.gamma(profile.p, 1 / nu) * (valueLift[dayIndex] ?? 1) * (1 - discount);
    return Math.max(100, Math.round(dollars * 100));
  };

  const pushOrder = (customerExternalId: string, atMs: number, amountMinor: number, refundRate: number): void => {
    orderSeq += 1;
    pending.orders.push({
      externalId: `ord_${pad(orderSeq, 8)}`,
      customerExternalId,
      orderedAt: new Date(atMs),
      amountMinor,
      currency: "USD",
      costMinor: Math.max(1, Math.round(amountMinor * rng.uniform(0.55, 0.7))),
      refunded: rng.bernoulli(refundRate),
    });
  };

  // Sorted arrival positions in [0, 1) via sequential order statistics (min of the remaining n
  // uniforms), mapped through the inverse cumulative intensity; keeps everything chronological
  // and streamable without materialising N arrival times.
  let position = 0;
  let day = 0;
  for (let i = 0; i < N; i++) {
    const remaining = N - i;
    position += (1 - position) * -Math.expm1(Math.log(1 - rng.next()) / remaining);
    const mass = Math.min(position, 1 - 1e-12) * totalMass;
    while (day < numDays - 1 && mass >= (cumMass[day + 1] ?? Number.POSITIVE_INFINITY)) {
      finishDay(day);
      day += 1;
    }
    const dayStart = startMs + day * DAY_MS;
    const dayMass = (cumMass[day + 1] ?? 0) - (cumMass[day] ?? 0);
    const frac = dayMass > 0 ? Math.min(1 - 1e-9, Math.max(0, (mass - (cumMass[day] ?? 0)) / dayMass)) : 0;
    const dayLen = Math.min(DAY_MS, endMs + 1 - dayStart);
    const signupMs = Math.min(endMs, Math.floor((dayStart + frac * dayLen) / 1000) * 1000);

    const c = rng.weightedIndex(campaignWeights.subarray(day * C, day * C + C));
    const spec = specs[c];
    if (spec === undefined) throw new Error("unreachable: campaign index out of range");
    realisedToday[c] = (realisedToday[c] ?? 0) + 1;
    const profile = spec.profile;
    const unattributed = profile.channel === "organic" && rng.bernoulli(ORGANIC_UNATTRIBUTED_SHARE);

    // --- customer -------------------------------------------------------------------------
    const seq = i + 1;
    const externalId = `cus_${pad(seq, 7)}`;
    const firstIndex = rng.int(0, FIRST_NAMES.length);
    const lastIndex = rng.int(0, LAST_NAMES.length);
    const domain = rng.bernoulli(0.75) ? "example.com" : "example.org";
    const attributes: Record<string, string | number | boolean> = {
      country: COUNTRIES[rng.weightedIndex(COUNTRY_WEIGHTS)] ?? "US",
      age_band: AGE_BANDS[rng.weightedIndex(AGE_WEIGHTS)] ?? "25-34",
      loyalty_member: rng.bernoulli(profile.loyaltyMemberRate),
      first_product_category: DEMO_PRODUCT_CATEGORIES[rng.weightedIndex(profile.categoryWeights)] ?? "coffee_beans",
      marketing_opt_in: profile.channel === "email" ? true : rng.bernoulli(0.45),
    };
    if (profile.channel === "referral" && i > 0) attributes.referred_by = `cus_${pad(rng.int(1, seq), 7)}`;
    pending.customers.push({
      externalId,
      email: `${FIRST_NAME_SLUGS[firstIndex] ?? "demo"}.${LAST_NAME_SLUGS[lastIndex] ?? "customer"}.${seq}@${domain}`,
      name: `${FIRST_NAMES[firstIndex] ?? "Demo"} ${LAST_NAMES[lastIndex] ?? "Customer"}`,
      signedUpAt: new Date(signupMs),
      acquisitionChannel: profile.channel,
      campaignExternalId: unattributed ? null : spec.campaign.externalId,
      attributes,
    });

    // --- orders: BG/NBD timing + Gamma-Gamma values ---------------------------------------
    const lambdaPerMs = rng.gamma(profile.r, 1 / profile.alpha) / WEEK_MS;
    const dropout = rng.beta(profile.a, profile.b);
    const nu = rng.gamma(profile.q, 1 / profile.gamma);
    pushOrder(externalId, signupMs, orderValueMinor(profile, nu, day, profile.firstOrderDiscount), profile.refundRate);
    let t = signupMs;
    let count = 1;
    if (lambdaPerMs > 0) {
      for (;;) {
        t += rng.exponential(lambdaPerMs * REPEAT_MAX_LIFT);
        if (t > endMs) break;
        const d = Math.floor((t - startMs) / DAY_MS);
        if (rng.next() * REPEAT_MAX_LIFT >= (repeatLift[d] ?? 1)) continue; // thinned (seasonality)
        const atMs = Math.min(endMs, Math.floor(t / 1000) * 1000);
        pushOrder(externalId, atMs, orderValueMinor(profile, nu, d, 0), profile.refundRate);
        count += 1;
        if (count >= MAX_ORDERS_PER_CUSTOMER || rng.bernoulli(dropout)) break;
      }
    }

    if (pending.customers.length >= batchSize) {
      yield pending;
      pending = { campaigns: [], spend: [], customers: [], orders: [] };
    }
  }
  for (; day < numDays; day++) finishDay(day);
  if (pending.campaigns.length + pending.spend.length + pending.customers.length + pending.orders.length > 0) {
    yield pending;
  }
}

/** Generates the full demo data set in memory (see the module doc for the model). */
export function generateDemoData(options: DemoDataOptions = {}): DemoData {
  const { startMs, endMs } = resolveOptions(options);
  const out: DemoData = {
    start: new Date(startMs),
    end: new Date(endMs),
    campaigns: [],
    spend: [],
    customers: [],
    orders: [],
  };
  for (const batch of streamDemoData({ ...options, batchSize: Number.MAX_SAFE_INTEGER })) {
    // Loops instead of push(...spread) so that very large batches don't overflow the stack.
    for (const x of batch.campaigns) out.campaigns.push(x);
    for (const x of batch.spend) out.spend.push(x);
    for (const x of batch.customers) out.customers.push(x);
    for (const x of batch.orders) out.orders.push(x);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Summary (pure; used by docs/tests/demo UI)
// ---------------------------------------------------------------------------------------------

export interface DemoChannelSummary {
  channel: string;
  customers: number;
  /** Customers attributed to one of the channel's campaigns (the CAC denominator). */
  campaignCustomers: number;
  orders: number;
  ordersPerCustomer: number;
  /** Share of customers with at least 2 orders. */
  repeatCustomerRate: number;
  /** Non-refunded revenue per customer, cents. */
  revenuePerCustomerMinor: number;
  spendMinor: number;
  /** spend / campaignCustomers, cents (0 for channels without spend). */
  cacMinor: number;
  /** revenuePerCustomer / CAC (Infinity when CAC is 0). */
  ltvToCac: number;
}

export function summarizeDemoChannels(data: DemoDataBatch): DemoChannelSummary[] {
  const campaignChannel = new Map(data.campaigns.map((c) => [c.externalId, c.channel]));
  const customerChannel = new Map<string, string>();
  const acc = new Map<string, { customers: number; campaignCustomers: number; orders: number; repeaters: number; revenue: number; spend: number }>();
  const get = (channel: string) => {
    let a = acc.get(channel);
    if (a === undefined) {
      a = { customers: 0, campaignCustomers: 0, orders: 0, repeaters: 0, revenue: 0, spend: 0 };
      acc.set(channel, a);
    }
    return a;
  };
  for (const c of data.customers) {
    customerChannel.set(c.externalId, c.acquisitionChannel);
    const a = get(c.acquisitionChannel);
    a.customers += 1;
    if (c.campaignExternalId !== null) a.campaignCustomers += 1;
  }
  const ordersPerCustomer = new Map<string, number>();
  for (const o of data.orders) {
    const channel = customerChannel.get(o.customerExternalId);
    if (channel === undefined) continue;
    const a = get(channel);
    a.orders += 1;
    if (!o.refunded) a.revenue += o.amountMinor;
    ordersPerCustomer.set(o.customerExternalId, (ordersPerCustomer.get(o.customerExternalId) ?? 0) + 1);
  }
  for (const [id, n] of ordersPerCustomer) {
    const channel = customerChannel.get(id);
    if (channel !== undefined && n >= 2) get(channel).repeaters += 1;
  }
  for (const s of data.spend) {
    const channel = campaignChannel.get(s.campaignExternalId);
    if (channel !== undefined) get(channel).spend += s.amountMinor;
  }
  const order = new Map<string, number>(DEMO_CHANNELS.map((c, i) => [c, i]));
  return [...acc.entries()]
    .sort(([x], [y]) => (order.get(x) ?? 99) - (order.get(y) ?? 99) || x.localeCompare(y))
    .map(([channel, a]) => {
      const revenuePerCustomerMinor = a.customers > 0 ? a.revenue / a.customers : 0;
      const cacMinor = a.campaignCustomers > 0 ? a.spend / a.campaignCustomers : 0;
      return {
        channel,
        customers: a.customers,
        campaignCustomers: a.campaignCustomers,
        orders: a.orders,
        ordersPerCustomer: a.customers > 0 ? a.orders / a.customers : 0,
        repeatCustomerRate: a.customers > 0 ? a.repeaters / a.customers : 0,
        revenuePerCustomerMinor,
        spendMinor: a.spend,
        cacMinor,
        ltvToCac: cacMinor > 0 ? revenuePerCustomerMinor / cacMinor : Number.POSITIVE_INFINITY,
      };
    });
}
