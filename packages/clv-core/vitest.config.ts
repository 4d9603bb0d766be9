import { defineConfig } from "vitest/config";

// Some reference tests fit models on the full CDNOW data or draw thousands of Monte Carlo samples:
// seconds on a busy 2-core CI machine, so the default 5 s per test is too tight.
export default defineConfig({ test: { testTimeout: 60_000 } });
