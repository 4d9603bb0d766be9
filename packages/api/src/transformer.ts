import superjson, { type SuperJSONResult } from "superjson";

/**
 * The tRPC transformer: superjson, with a faster serializer for responses. superjson's walker was
 * ≈ 10 % of the web server's CPU on the Customers page under load (BENCHMARKS.md session 8): it copies
 * every value, builds a path array per node and tracks identities in a Map. Almost every response is
 * plain JSON plus Dates, and for exactly those `serializeOutput` only checks the value and collects the
 * Dates' paths, without copying it: the payload tRPC writes is byte for byte what `superjson.serialize`
 * gives (same JSON text, same `meta.values` paths in the same order, `v: 1`), so the browser's superjson
 * client reads it unchanged. Anything else — undefined,
 * bigint, NaN/±Infinity/-0, an invalid Date, Map/Set/RegExp/Error/class instances, a null-prototype
 * object, sparse arrays, a key containing "." or "\" (superjson escapes those), the keys superjson
 * refuses (__proto__, constructor, prototype), the same object reached twice (superjson records a
 * referential equality) — is handed to superjson itself. Requests are still read by superjson.
 * Property-tested against superjson (transformer.test.ts).
 */
const BAIL = Symbol("bail");

export function serializeOutput(value: unknown): SuperJSONResult {
  return fastSerialize(value) ?? superjson.serialize(value);
}

/** The superjson payload for plain JSON + Date values, or null when superjson must do it. */
export function fastSerialize(value: unknown): SuperJSONResult | null {
  if (value instanceof Date) return null; // the root's annotation has another shape; rare
  const seen = new Set<object>();
  // The annotations of the value walk() just returned, shaped as superjson's walker shapes them: a
  // Date's ["Date"], or an object of the Dates below it keyed by their path from here ("3.lastOrderAt").
  // superjson builds these objects level by level, so JavaScript's key order (integer-like keys such as
  // "1" before "0.firstOrderAt") decides the order of meta.values: built the same way, it is the same.
  let ann: Annotations | undefined;

  const walk = (v: unknown): unknown => {
    ann = undefined;
    if (v === null) return null;
    switch (typeof v) {
      case "string":
      case "boolean":
        return v;
      case "number":
        return Number.isFinite(v) && !Object.is(v, -0) ? v : BAIL;
      case "object":
        break;
      default:
        return BAIL; // undefined, bigint, symbol, function
    }
    if (seen.has(v)) return BAIL;
    seen.add(v);
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto === Date.prototype) {
      const d = v as Date;
      if (Number.isNaN(d.getTime())) return BAIL;
      ann = DATE;
      return d;
    }
    let inner: Record<string, Annotations> | undefined;
    const annotate = (key: string) => {
      if (ann === undefined) return;
      inner ??= {};
      if (ann === DATE) inner[key] = DATE;
      else for (const k of Object.keys(ann)) inner[`${key}.${k}`] = (ann as Record<string, Annotations>)[k]!;
    };
    if (proto === Array.prototype) {
      const arr = v as unknown[];
      for (let i = 0; i < arr.length; i++) {
        if (!(i in arr)) return BAIL;
        if (walk(arr[i]) === BAIL) return BAIL;
        annotate(String(i));
      }
      ann = inner;
      return v;
    }
    if (proto !== Object.prototype) return BAIL;
    const obj = v as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      if (k === "__proto__" || k === "constructor" || k === "prototype" || k.includes(".") || k.includes("\\")) return BAIL;
      if (walk(obj[k]) === BAIL) return BAIL;
      annotate(k);
    }
    ann = inner;
    return v;
  };

  if (walk(value) === BAIL) return null;
  // The value itself is the payload's `json`: it holds only JSON values and valid Dates, and
  // JSON.stringify writes a Date as its toISOString(), the string superjson would have put there.
  const res: SuperJSONResult = { json: value as SuperJSONResult["json"] };
  if (ann !== undefined) res.meta = { values: ann as Record<string, ["Date"]>, v: 1 };
  return res;
}

type Annotations = readonly ["Date"] | { [path: string]: Annotations };
const DATE: readonly ["Date"] = Object.freeze(["Date"] as const);

/** tRPC's transformer: superjson for requests, serializeOutput for responses (and errors). */
export const transformer = {
  input: superjson,
  output: { serialize: serializeOutput, deserialize: (v: SuperJSONResult) => superjson.deserialize(v) },
};
