// The page's assets for the app: HTML, the bundled script, ORT-web's files, the browser model.
import { PAGE_HTML } from '../browser/page-html.js';
import { buildWebBundle } from './web-bundle.js';
import { ortWebDir, type WebAssets } from './web-routes.js';

export function webAssets(model?: () => Promise<Uint8Array>): WebAssets {
  return { html: PAGE_HTML, script: () => buildWebBundle(), ortDir: ortWebDir(), model };
}
