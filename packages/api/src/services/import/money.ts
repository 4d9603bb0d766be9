import { currencyDigits } from "@valuelens/validators";

/**
 * Money parsed from text to integer minor units exactly (string arithmetic, never a float).
 * Accepted: digits with an optional "." and up to the currency's minor digits (extra trailing
 * zeros are fine: "10.500" USD = 1050). Rejected with a reason: thousands separators, currency
 * symbols or codes, parentheses, signs (amounts are never negative; refunds use the refunded flag),
 * decimal commas, exponents, empty text.
 */
export type MoneyResult = { ok: true; minor: bigint } | { ok: false; reason: string };

let knownCurrencies: Set<string> | null = null;

export function isKnownCurrency(code: string): boolean {
  knownCurrencies ??= new Set(Intl.supportedValuesOf("currency"));
  return knownCurrencies.has(code);
}

/** Minor digits of an ISO 4217 currency (USD 2, JPY 0, KWD 3); the shared helper. */
export const minorDigits = currencyDigits;

const MAX_MINOR = 9_000_000_000_000_000_000n; // inside BIGINT

/**
 * Plain "123" / "123.4" / "123.45" with at most the currency's minor digits, and at most 15 digits
 * once scaled to minor units (exact in a double), read without regular expressions or BigInt
 * arithmetic: the import's hot path. Anything else returns null and takes the general path (which words the errors).
 */
function fastMinor(s: string, digits: number): bigint | null {
  const len = s.length;
  let i = 0;
  let int = 0;
  for (; i < len; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) break;
    int = int * 10 + c;
  }
  if (i === 0 || i + digits > 15) return null;
  let frac = 0;
  let fracDigits = 0;
  if (i < len) {
    if (s.charCodeAt(i) !== 46 /* . */) return null;
    for (i++; i < len; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9 || ++fracDigits > digits) return null;
      frac = frac * 10 + c;
    }
  }
  let scaled = int;
  for (let k = 0; k < digits; k++) scaled *= 10;
  for (let k = fracDigits; k < digits; k++) frac *= 10;
  return BigInt(scaled + frac);
}

export function parseMoney(input: string, currency: string): MoneyResult {
  const s = input.trim();
  if (s === "") return { ok: false, reason: "amount is empty" };
  const fast = fastMinor(s, minorDigits(currency));
  if (fast !== null) return { ok: true, minor: fast };
  if (/^\(.*\)$/.test(s)) return { ok: false, reason: "amount in parentheses (negative amounts are not accepted)" };
  if (s.startsWith("-")) return { ok: false, reason: "negative amount (mark refunds with the refunded column)" };
  if (s.startsWith("+")) return { ok: false, reason: "amount with a sign" };
  if (/[$€£¥₹]/.test(s) || (/\d/.test(s) && /[A-Za-z]{3}/.test(s))) return { ok: false, reason: "amount contains a currency symbol or code" };
  if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(s) || /^\d{1,3}([ '\u00a0\u202f]\d{3})+(\.\d+)?$/.test(s)) {
    return { ok: false, reason: "amount contains a thousands separator" };
  }
  if (/^\d+,\d+$/.test(s)) return { ok: false, reason: "decimal comma (use a dot)" };
  const m = /^(\d+)(?:\.(\d*))?$/.exec(s);
  if (!m) return { ok: false, reason: "not a number" };
  const digits = minorDigits(currency);
  let frac = m[2] ?? "";
  if (frac.length > digits) {
    if (!/^0*$/.test(frac.slice(digits))) return { ok: false, reason: `more than ${digits} decimal places for ${currency}` };
    frac = frac.slice(0, digits);
  }
  const minor = BigInt(m[1]!) * 10n ** BigInt(digits) + BigInt(frac.padEnd(digits, "0") || "0");
  if (minor > MAX_MINOR) return { ok: false, reason: "amount too large" };
  return { ok: true, minor };
}
