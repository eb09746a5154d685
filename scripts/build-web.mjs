// Builds the web page's script into dist/web/app.js (run after `tsc`: npm run build:web).
import { join } from 'node:path';
import { buildWebBundle, repoRoot } from '../dist/src/service/web-bundle.js';

const out = join(repoRoot(), 'dist', 'web', 'app.js');
const t0 = performance.now();
const js = await buildWebBundle({ outFile: out, minify: !process.argv.includes('--dev') });
console.log(`${out}: ${(js.length / 1048576).toFixed(2)} MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
