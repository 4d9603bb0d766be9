import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";

import { describe, expect, it } from "vitest";

import {
  DEMO_CHANNEL_PROFILES,
  DEMO_CHANNELS,
  DEMO_DEFAULT_END,
  DEMO_DEFAULT_START,
  DEMO_LOW_REPEAT_CHANNELS,
  DEMO_LOYAL_CHANNEL,
  generateDemoData,
  streamDemoData,
  summarizeDemoChannels,
  type DemoData,
  type DemoDataBatch,
} from "./demo-data.ts";

const DAY_MS = 86_400_000;
const data = generateDemoData();

function digest(d: DemoDataBatch): string {
  const json = JSON.stringify([d.campaigns, d.spend, d.customers, d.orders]);
  return createHash("sha256").update(json).digest("hex");
}

interface ChannelStats {
  customers: number;
  campaignCustomers: number;
  orders: number;
  revenue: number;
  spend: number;
}

/** Independent per-channel computation straight from the rows. */
function channelStats(d: DemoData): Map<string, ChannelStats> {
  const stats = new Map<string, ChannelStats>();
  const get = (ch: string): ChannelStats => {
    let s = stats.get(ch);
    if (!s) {
      s = { customers: 0, campaignCustomers: 0, orders: 0, revenue: 0, spend: 0 };
      stats.set(ch, s);
    }
    return s;
  };
  const customerChannel = new Map<string, string>();
  for (const c of d.customers) {
    customerChannel.set(c.externalId, c.acquisitionChannel);
    const s = get(c.acquisitionChannel);
    s.customers++;
    if (c.campaignExternalId !== null) s.campaignCustomers++;
  }
  for (const o of d.orders) {
    const s = get(customerChannel.get(o.customerExternalId) ?? "missing");
    s.orders++;
    if (!o.refunded) s.revenue += o.amountMinor;
  }
  const campaignChannel = new Map(d.campaigns.map((c) => [c.externalId, c.channel]));
  for (const row of d.spend) get(campaignChannel.get(row.campaignExternalId) ?? "missing").spend += row.amountMinor;
  return stats;
}

describe("generateDemoData — determinism & purity", () => {
  it("same seed → identical output; different seed → different output", () => {
    const again = generateDemoData();
    // SHA-256 over the JSON of every row (Dates serialise to ISO strings), plus a deep-equal spot check.
    expect(digest(again)).toBe(digest(data));
    expect(again.campaigns).toEqual(data.campaigns);
    expect(again.customers.slice(0, 300)).toEqual(data.customers.slice(0, 300));
    expect(again.orders.slice(-300)).toEqual(data.orders.slice(-300));
    const other = generateDemoData({ seed: 43 });
    expect(digest(other)).not.toBe(digest(data));
    expect(other.customers.length).toBe(data.customers.length);
  });

  it("streamDemoData batches concatenate to generateDemoData", () => {
    const opts = { seed: 9, customers: 1200 };
    const full = generateDemoData(opts);
    const merged: DemoDataBatch = { campaigns: [], spend: [], customers: [], orders: [] };
    let batches = 0;
    for (const b of streamDemoData({ ...opts, batchSize: 137 })) {
      batches++;
      expect(b.customers.length).toBeLessThanOrEqual(137);
      merged.campaigns.push(...b.campaigns);
      merged.spend.push(...b.spend);
      merged.customers.push(...b.customers);
      merged.orders.push(...b.orders);
    }
    expect(batches).toBeGreaterThanOrEqual(9);
    expect(merged).toEqual({ campaigns: full.campaigns, spend: full.spend, customers: full.customers, orders: full.orders });
  });

  it("source uses no clock, Math.random or I/O", () => {
    for (const file of ["demo-data.ts", "rng.ts"]) {
      const code = readFileSync(new URL(`./${file}`, import.meta.url), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/\/\/.*$/gm, "");
      expect(code).not.toMatch(/Math\.random|Date\.now|new Date\(\)|performance\.now|from "node:/);
    }
  });

  it("generates 5,000 customers well under a second", () => {
    const t0 = performance.now();
    generateDemoData({ seed: 5 });
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe("generateDemoData — integrity", () => {
  const start = DEMO_DEFAULT_START.getTime();
  const end = DEMO_DEFAULT_END.getTime();

  it("has the default shape", () => {
    expect(data.customers).toHaveLength(5000);
    expect(data.start.getTime()).toBe(start);
    expect(data.end.getTime()).toBe(end);
    expect(data.orders.length).toBeGreaterThan(2 * data.customers.length);
    const channels = new Set(data.campaigns.map((c) => c.channel));
    expect(data.campaigns.length).toBeGreaterThanOrEqual(6);
    for (const ch of DEMO_CHANNELS) expect(channels.has(ch)).toBe(true);
    expect(data.campaigns.filter((c) => c.channel === "paid_social").length).toBeGreaterThanOrEqual(2);
  });

  it("keeps every date within [start, end]", () => {
    const outOfRange = (d: Date): boolean => !(d.getTime() >= start && d.getTime() <= end);
    for (const c of data.campaigns) {
      expect(outOfRange(c.startsAt)).toBe(false);
      if (c.endsAt) {
        expect(outOfRange(c.endsAt)).toBe(false);
        expect(c.endsAt.getTime()).toBeGreaterThan(c.startsAt.getTime());
      }
    }
    expect(data.spend.filter((s) => outOfRange(s.day) || s.day.getTime() % DAY_MS !== 0)).toEqual([]);
    expect(data.customers.filter((c) => outOfRange(c.signedUpAt))).toEqual([]);
    expect(data.orders.filter((o) => outOfRange(o.orderedAt))).toEqual([]);
  });

  it("links orders to customers, first order at signup, customers to campaigns of their channel", () => {
    const customers = new Map(data.customers.map((c) => [c.externalId, c]));
    const campaigns = new Map(data.campaigns.map((c) => [c.externalId, c]));
    const firstOrder = new Map<string, number>();
    const problems: string[] = [];
    for (const o of data.orders) {
      const c = customers.get(o.customerExternalId);
      if (!c) {
        problems.push(`${o.externalId}: unknown customer ${o.customerExternalId}`);
        continue;
      }
      if (o.orderedAt.getTime() < c.signedUpAt.getTime()) problems.push(`${o.externalId}: before signup`);
      const prev = firstOrder.get(c.externalId);
      if (prev === undefined || o.orderedAt.getTime() < prev) firstOrder.set(c.externalId, o.orderedAt.getTime());
    }
    for (const c of data.customers) {
      if (firstOrder.get(c.externalId) !== c.signedUpAt.getTime()) problems.push(`${c.externalId}: first order not at signup`);
      if (c.campaignExternalId === null) {
        if (c.acquisitionChannel !== "organic") problems.push(`${c.externalId}: unattributed non-organic`);
        continue;
      }
      const cmp = campaigns.get(c.campaignExternalId);
      if (!cmp || cmp.channel !== c.acquisitionChannel) {
        problems.push(`${c.externalId}: campaign/channel mismatch`);
        continue;
      }
      if (c.signedUpAt.getTime() < cmp.startsAt.getTime()) problems.push(`${c.externalId}: before campaign start`);
      if (cmp.endsAt && c.signedUpAt.getTime() > cmp.endsAt.getTime()) problems.push(`${c.externalId}: after campaign end`);
    }
    for (const s of data.spend) if (!campaigns.has(s.campaignExternalId)) problems.push(`spend for unknown ${s.campaignExternalId}`);
    expect(problems).toEqual([]);
  });

  it("has unique external ids, emails and spend keys", () => {
    const unique = (xs: string[]): boolean => new Set(xs).size === xs.length;
    expect(unique(data.campaigns.map((c) => c.externalId))).toBe(true);
    expect(unique(data.customers.map((c) => c.externalId))).toBe(true);
    expect(unique(data.orders.map((o) => o.externalId))).toBe(true);
    expect(unique(data.customers.map((c) => c.email))).toBe(true);
    expect(unique(data.spend.map((s) => `${s.campaignExternalId}|${s.day.toISOString()}`))).toBe(true);
  });

  it("uses positive integer minor units, sane costs, USD and ~2% refunds", () => {
    const posInt = (n: number): boolean => Number.isInteger(n) && n > 0;
    const badOrders = data.orders.filter(
      (o) =>
        !posInt(o.amountMinor) ||
        !posInt(o.costMinor) ||
        o.costMinor < Math.floor(o.amountMinor * 0.55) - 1 ||
        o.costMinor > Math.ceil(o.amountMinor * 0.7) + 1 ||
        o.currency !== "USD",
    );
    expect(badOrders).toEqual([]);
    expect(data.spend.filter((s) => !posInt(s.amountMinor) || s.currency !== "USD")).toEqual([]);
    const refundRate = data.orders.filter((o) => o.refunded).length / data.orders.length;
    expect(refundRate).toBeGreaterThan(0.01);
    expect(refundRate).toBeLessThan(0.035);
  });

  it("uses example domains only and the documented attributes", () => {
    const bad = data.customers.filter(
      (c) =>
        !/^[a-z.]+\.\d+@example\.(com|org)$/.test(c.email) ||
        !/^\S+ \S+$/.test(c.name) ||
        typeof c.attributes.country !== "string" ||
        typeof c.attributes.loyalty_member !== "boolean" ||
        typeof c.attributes.age_band !== "string" ||
        typeof c.attributes.first_product_category !== "string",
    );
    expect(bad).toEqual([]);
  });

  it("has growth, Nov/Dec seasonality, weekday shape and noise", () => {
    const byMonth = new Map<string, number>();
    for (const c of data.customers) {
      const k = c.signedUpAt.toISOString().slice(0, 7);
      byMonth.set(k, (byMonth.get(k) ?? 0) + 1);
    }
    const m = (k: string): number => byMonth.get(k) ?? 0;
    // growth: 2025 > 1.3 × 2024
    const year = (y: string): number => [...byMonth].filter(([k]) => k.startsWith(y)).reduce((s, [, n]) => s + n, 0);
    expect(year("2025")).toBeGreaterThan(1.3 * year("2024"));
    // seasonality: Nov and Dec beat Sep/Oct of the same year
    for (const y of ["2024", "2025"]) {
      expect(m(`${y}-11`)).toBeGreaterThan(1.3 * Math.max(m(`${y}-09`), m(`${y}-10`)));
      expect(m(`${y}-12`)).toBeGreaterThan(Math.max(m(`${y}-09`), m(`${y}-10`)));
    }
    // weekday: always-on social spends more per weekend day than per weekday; spend is noisy
    const social = data.spend.filter((s) => s.campaignExternalId === "cmp_social_prospecting");
    const avg = (rows: typeof social): number => rows.reduce((s, r) => s + r.amountMinor, 0) / rows.length;
    const weekend = social.filter((s) => [0, 6].includes(s.day.getUTCDay()));
    const weekdays = social.filter((s) => ![0, 6].includes(s.day.getUTCDay()));
    expect(avg(weekend)).toBeGreaterThan(1.1 * avg(weekdays));
    expect(new Set(social.map((s) => s.amountMinor)).size).toBeGreaterThan(0.75 * social.length);
    // organic has no spend
    expect(data.spend.some((s) => s.campaignExternalId === "cmp_organic_seo")).toBe(false);
  });

  it("respects a custom range and customer count", () => {
    const d = generateDemoData({
      seed: 3,
      customers: 300,
      start: new Date("2025-03-10T15:30:00Z"),
      end: new Date("2025-06-30T12:00:00Z"),
    });
    expect(d.start.toISOString()).toBe("2025-03-11T00:00:00.000Z");
    expect(d.customers).toHaveLength(300);
    const lo = d.start.getTime();
    const hi = new Date("2025-06-30T12:00:00Z").getTime();
    const dates = [
      ...d.campaigns.map((c) => c.startsAt),
      ...d.spend.map((s) => s.day),
      ...d.customers.map((c) => c.signedUpAt),
      ...d.orders.map((o) => o.orderedAt),
    ];
    for (const x of dates) {
      expect(x.getTime()).toBeGreaterThanOrEqual(lo);
      expect(x.getTime()).toBeLessThanOrEqual(hi);
    }
    expect(generateDemoData({ customers: 0 }).customers).toEqual([]);
    expect(() => generateDemoData({ customers: -1 })).toThrow(RangeError);
    expect(() => generateDemoData({ start: new Date("2025-01-02"), end: new Date("2025-01-01") })).toThrow(RangeError);
  });
});

describe("generateDemoData — channel economics", () => {
  const stats = channelStats(data);
  const ordersPerCustomer = (ch: string): number => {
    const s = stats.get(ch);
    return s ? s.orders / s.customers : Number.NaN;
  };
  const ltvToCac = (ch: string): number => {
    const s = stats.get(ch);
    if (!s || s.spend === 0) return Number.NaN;
    return s.revenue / s.customers / (s.spend / s.campaignCustomers);
  };

  it("every documented channel acquires customers and has a profile", () => {
    expect(stats.has("missing")).toBe(false);
    for (const ch of DEMO_CHANNELS) {
      expect(stats.get(ch)?.customers ?? 0).toBeGreaterThan(200);
      expect(DEMO_CHANNEL_PROFILES[ch].channel).toBe(ch);
    }
  });

  it(`${DEMO_LOYAL_CHANNEL} has the best LTV:CAC among spending channels`, () => {
    const spending = DEMO_CHANNELS.filter((ch) => (stats.get(ch)?.spend ?? 0) > 0);
    expect(spending).toEqual(["paid_search", "paid_social", "email", "affiliate", "referral"]);
    const ranked = [...spending].sort((a, b) => ltvToCac(b) - ltvToCac(a));
    expect(ranked[0]).toBe(DEMO_LOYAL_CHANNEL);
    // email is the runner-up; both loyal channels far ahead of affiliate / paid social
    expect(ranked[1]).toBe("email");
    for (const low of DEMO_LOW_REPEAT_CHANNELS) expect(ltvToCac("email")).toBeGreaterThan(2 * ltvToCac(low));
  });

  it(`${DEMO_LOW_REPEAT_CHANNELS.join(" and ")} have the lowest repeat rates`, () => {
    const ranked = [...DEMO_CHANNELS].sort((a, b) => ordersPerCustomer(a) - ordersPerCustomer(b));
    expect(new Set(ranked.slice(0, 2))).toEqual(new Set(DEMO_LOW_REPEAT_CHANNELS));
    for (const low of DEMO_LOW_REPEAT_CHANNELS) {
      for (const loyal of ["email", "referral"]) {
        expect(ordersPerCustomer(loyal)).toBeGreaterThan(2 * ordersPerCustomer(low));
      }
    }
  });

  it("paid_social is cheap to acquire but low value", () => {
    const cac = (ch: string): number => {
      const s = stats.get(ch);
      return s ? s.spend / s.campaignCustomers : Number.NaN;
    };
    const spending = ["paid_search", "paid_social", "email", "affiliate", "referral"];
    expect(Math.min(...spending.map(cac))).toBe(cac("paid_social"));
    const rev = (ch: string): number => (stats.get(ch)?.revenue ?? 0) / (stats.get(ch)?.customers ?? 1);
    expect(rev("paid_social")).toBeLessThan(0.5 * rev("paid_search"));
  });

  it("summarizeDemoChannels agrees with the independent computation", () => {
    for (const row of summarizeDemoChannels(data)) {
      const s = stats.get(row.channel);
      expect(s).toBeDefined();
      if (!s) continue;
      expect(row.customers).toBe(s.customers);
      expect(row.orders).toBe(s.orders);
      expect(row.spendMinor).toBe(s.spend);
      if (s.spend > 0) expect(row.ltvToCac).toBeCloseTo(ltvToCac(row.channel), 10);
    }
  });
});
