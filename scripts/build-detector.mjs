// Copies the face detector's weights and licence into dist/detector/ (run after `tsc`:
// npm run build:detector), the copy an installed package reads; see src/face/weights.ts.
import { shipBlazeFace } from '../dist/src/face/weights.js';

try {
  for (const f of await shipBlazeFace()) console.log(f);
} catch (e) {
  console.error(`build:detector: ${e.message}`);
  process.exit(1);
}
