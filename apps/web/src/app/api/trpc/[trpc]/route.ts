import { handleTrpc } from "~/trpc/http";

// In production, scripts/start.ts runs src/server/main.ts, which answers /api/trpc itself with the same
// handler and never reaches this route; `next dev` (and a plain `next start`) still serve it from here.
export { handleTrpc as GET, handleTrpc as POST };
