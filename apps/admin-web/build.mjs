// Builds the dashboard into dist/: index.html, app.js (esbuild bundle), styles.css.
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
await rm(here('./dist'), { recursive: true, force: true });
await mkdir(here('./dist'), { recursive: true });
await build({
  entryPoints: [here('./src/main.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  // The client falls back to the `ws` package only where no global WebSocket exists (Node 20); browsers have one.
  external: ['ws'],
  outfile: here('./dist/app.js'),
  logLevel: 'warning',
});
await copyFile(here('./static/index.html'), here('./dist/index.html'));
await copyFile(here('./static/styles.css'), here('./dist/styles.css'));
console.log('admin-web built into dist/');
