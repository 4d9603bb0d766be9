import superjson, { type SuperJSONResult } from "superjson";

/**
 * The tRPC transformer: superjson, with a faster serializer for responses. superjson's walker was
 * ≈ 10 % of the web server's CPU on the Customers page under load (BENCHMARKS.md session 8): it copies
 * every value, builds a path array per node and tracks identities in a Map. Almost every response is
 * plain JSON plus Dates, and for exactly those `serializeOutput` builds the identical payload in one
 * pass — byte for byte what `superjson.serialize` gives (same `json`, same `meta.values` paths in the
 * same order, `v: 1`), so the browser's superjson client reads it unchanged. Anything else — undefined,
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
  const values: Record<string, ["Date"]> = {};
  let dates = 0;
  const seen = new Set<object>();

  // The path of the value being walked (keys and indices), joined only where a Date is annotated.
  const path: string[] = [];
  const walk = (v: unknown): unknown => {
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
      if (Number.isNaN(d.getTime()) || path.length === 0) return BAIL;
      values[path.join(".")] = ["Date"];
      dates++;
      return d.toISOString();
    }
    if (proto === Array.prototype) {
      const arr = v as unknown[];
      const out = new Array<unknown>(arr.length);
      for (let i = 0; i < arr.length; i++) {
        if (!(i in arr)) return BAIL;
        path.push(String(i));
        const r = walk(arr[i]);
        path.pop();
        if (r === BAIL) return BAIL;
        out[i] = r;
      }
      return out;
    }
    if (proto !== Object.prototype) return BAIL;
    const obj = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(obj)) {
      if (k === "__proto__" || k === "constructor" || k === "prototype" || k.includes(".") || k.includes("\\")) return BAIL;
      path.push(k);
      const r = walk(obj[k]);
      path.pop();
      if (r === BAIL) return BAIL;
      out[k] = r;
    }
    return out;
  };

  const json = walk(value);
  if (json === BAIL) return null;
  const res: SuperJSONResult = { json: json as SuperJSONResult["json"] };
  if (dates > 0) res.meta = { values, v: 1 };
  return res;
}

/** tRPC's transformer: superjson for requests, serializeOutput for responses (and errors). */
export const transformer = {
  input: superjson,
  output: { serialize: serializeOutput, deserialize: (v: SuperJSONResult) => superjson.deserialize(v) },
};
