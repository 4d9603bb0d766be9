// Shared flat ESLint config. `layerRules(pkg)` encodes the import DAG from ARCHITECTURE.md so a
// forbidden import (e.g. web -> db, clv-core -> anything) fails `pnpm lint`.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

/** Which of our packages each layer may import (ARCHITECTURE.md "Direction of imports"). */
const allowed = {
  "clv-core": [],
  db: [],
  validators: ["clv-core"],
  auth: ["db", "validators"],
  api: ["clv-core", "db", "auth", "validators"],
  web: ["api", "auth", "validators", "clv-core"],
  worker: ["api", "db", "clv-core", "validators"],
  e2e: ["db", "clv-core", "validators"],
};
const all = ["clv-core", "db", "api", "auth", "validators", "config"];

function restrictedFor(pkg) {
  const ok = new Set(allowed[pkg] ?? []);
  const banned = all.filter((p) => !ok.has(p) && p !== pkg && p !== "config");
  const patterns = banned.map((p) => ({
    group: [`@valuelens/${p}`, `@valuelens/${p}/*`],
    message: `ARCHITECTURE.md: ${pkg} must not import @valuelens/${p}.`,
  }));
  if (pkg === "web" || pkg === "api" || pkg === "auth" || pkg === "validators" || pkg === "clv-core" || pkg === "worker") {
    patterns.push({
      group: ["@prisma/client", "@prisma/client/*", "@prisma/adapter-pg", "pg"],
      message: "ARCHITECTURE.md: only @valuelens/db owns Prisma and the database driver.",
    });
  }
  if (pkg === "clv-core") {
    patterns.push({ group: ["node:*", "fs", "path", "http", "https", "net", "child_process"], message: "clv-core is pure: no I/O." });
  }
  return patterns;
}

/**
 * @param {{ pkg: keyof typeof allowed, tsconfigRootDir: string, env?: boolean }} opts
 *   env=true allows process.env (only the env module of a package may read it).
 */
export function config({ pkg, tsconfigRootDir }) {
  return tseslint.config(
    { ignores: ["dist/**", ".next/**", ".next-*/**", "node_modules/**", "src/generated/**", "next-env.d.ts", "coverage/**", "*.config.*", "test-results/**"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
      languageOptions: {
        globals: { ...globals.node, ...globals.browser },
        parserOptions: { tsconfigRootDir },
      },
      rules: {
        "no-restricted-imports": ["error", { patterns: restrictedFor(pkg) }],
        "no-restricted-properties": [
          "error",
          { object: "process", property: "env", message: "Read configuration through the package's env module (validated once with zod)." },
        ],
        "@typescript-eslint/no-explicit-any": "error",
        "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        "@typescript-eslint/consistent-type-imports": "error",
      },
    },
    {
      // env modules, scripts, tests and benchmarks may read process.env directly.
      files: ["**/env.ts", "**/env.mjs", "scripts/**", "bench/**", "**/*.test.ts", "**/*.integration-test.ts", "**/*.spec.ts", "playwright.config.ts", "**/test-setup*.ts", "**/testing/**"],
      rules: { "no-restricted-properties": "off" },
    },
  );
}
