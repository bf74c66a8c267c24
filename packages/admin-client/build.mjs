// Builds @metro/admin-client into dist/: the client and the metro-admin CLI as ESM bundles that
// carry the tRPC client code inside them, and declarations from
// `tsc -p tsconfig.build.json` (the build script runs both).
//
// Why a bundle: @trpc/client declares `@trpc/server` and `typescript` as required peers, so as a
// runtime dependency it makes npm install TypeScript (30 MB) for a CLI that only speaks HTTP.
// Bundled, the runtime needs `ws` alone (Node 20 has no global WebSocket). The declarations still
// name `@trpc/client` and `@metro/admin-trpc`: TypeScript users install them (optional peers).
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
await rm(here('./dist'), { recursive: true, force: true });
await build({
  entryPoints: { index: here('./src/index.ts'), 'cli/metro-admin': here('./src/cli/metro-admin.ts') },
  bundle: true,
  // One copy of the client shared by both entries (so `TRPCClientError` is one class).
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // `ws` is the one runtime dependency; `@metro/admin-trpc` is imported for types only (erased).
  external: ['ws', '@metro/admin-trpc'],
  outdir: here('./dist'),
  logLevel: 'warning',
});
