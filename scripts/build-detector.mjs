// Copies the face detector's weights and licence into dist/detector/ and converts the 68-point
// landmark net's TF.js weights to ONNX there (run after `tsc`: npm run build:detector), the copy
// an installed package reads; see src/face/weights.ts and src/face/landmarks68-weights.ts.
import { shipBlazeFace } from '../dist/src/face/weights.js';
import { shipLandmarks68 } from '../dist/src/face/landmarks68-weights.js';

try {
  for (const f of [...await shipBlazeFace(), ...await shipLandmarks68()]) console.log(f);
} catch (e) {
  console.error(`build:detector: ${e.message}`);
  process.exit(1);
}
