import { config } from "@valuelens/config/eslint";

// src/ stays pure (no node:* imports, enforced by the shared config). Tests and the benchmark read
// the reference datasets from ../shared/datasets, so they alone may use node:fs / node:path / node:url.
export default [
  ...config({ pkg: "clv-core", tsconfigRootDir: import.meta.dirname }),
  {
    files: ["test/**", "bench/**", "src/**/*.test.ts"],
    rules: { "no-restricted-imports": "off" },
  },
];
