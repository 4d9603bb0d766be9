/**
 * Money helpers shared by server and browser. Amounts are integer minor units; only display and
 * export turn them into decimals, and exports do it exactly with bigint arithmetic.
 */
const digitsCache = new Map<string, number>();

/** Minor digits of an ISO 4217 currency per the platform's Intl data (USD 2, JPY 0, KWD 3); 2 for an unknown code. */
export function currencyDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    try {
      d = new Intl.NumberFormat("en-US", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      d = 2;
    }
    digitsCache.set(currency, d);
  }
  return d;
}

/** "-12345" with 2 digits → "-123.45", exactly (no float). Null → "". */
export function minorToDecimal(minor: string | bigint | null, digits: number): string {
  if (minor === null) return "";
  const v = BigInt(minor);
  if (digits === 0) return v.toString();
  const neg = v < 0n;
  const a = neg ? -v : v;
  const base = 10n ** BigInt(digits);
  return `${neg ? "-" : ""}${a / base}.${(a % base).toString().padStart(digits, "0")}`;
}
