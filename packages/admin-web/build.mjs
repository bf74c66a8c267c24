// Builds @metro/admin-web into dist/: the dashboard in dist/dashboard/ (index.html, app.js as one
// esbuild bundle with the admin client inside, styles.css), then `tsc -p tsconfig.build.json`
// adds dist/index.js, the entry that exports `dashboardDir` (the build script runs both).
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const out = here('./dist/dashboard');
await rm(here('./dist'), { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: [here('./src/dashboard/main.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  // No source map: the tarball ships no maps (a link to a missing one would dangle).
  sourcemap: false,
  // The admin client imports `ws` for Node 20; for the browser that resolves to ws's stub, and the
  // client uses the page's own WebSocket.
  outfile: `${out}/app.js`,
  logLevel: 'warning',
});
await copyFile(here('./static/index.html'), `${out}/index.html`);
await copyFile(here('./static/styles.css'), `${out}/styles.css`);
console.log('admin-web built into dist/dashboard/');
