import { test } from 'node:test';
import assert from 'node:assert/strict';
import { affineBicubicRgb, affineNearest, inverseAffine, resizeNearest, transformLandmarks } from '../../src/data/geometry.js';

// Produced by Pillow 9.4.0 (Debian bookworm python3-pil) from the random 11×9 images below:
// Image.transform(AFFINE, m, BICUBIC|NEAREST, fillcolor=0) with m from torchvision's
// _get_inverse_affine_matrix (centre = size/2, shear 0), and Image.resize(NEAREST).
const GOLDEN = {"w": 11, "h": 9, "rgb": "iCbZFs37IcbB/5GnYVZacCQW2m7CEs3bjYgAFg62hrLrgZMztQEcGIxTx4btYsL5cURavC8N2sJAl6y3o4I7yRPRYoMWDswgbr351il+THMpEBeAi57sXq+Suy5meEDtBs4UyDFY1KS2oARnTYGg0iM+oYvKl4NxOlFRcx5RLDoiOJYXw0T5ja+/TOPjU1YQbvq42/Ci39MsudlGEMK0ofVzTCrDCRLCH3lVs742wlqJNGMRbap/+DyTGHL3laPksBmMrQ8kRMcQxYjCpNfTMRfyKF0XB3t3OURvfz25Ngug+uuLIoR/JyviTb7TS9yu1Mgq7I67qL4LS9xdw7eu9yJ9LWlpSmlTIjHR54Fy1l4fOosTRc80eNCuscvqMYEw9kWDdiiJQiE5", "lbl": "BQ8OCAMOBgMNAQQMAQkKAREIDAkRDREDAxEIABACAxIHAw8NBAQLEAoFDQQQAQsEEgUDBwoOCBIBDwAGBwgIAAAPBQIIDwgOAwcBAREQEBAPBQ0MBgQJAA0MDQ8ADAsPDgIF", "affine": [{"angle": 23.5, "scale": 1.6, "translate": [1.5, -2.25], "rgb": "JG6GTeCWUPTaNnpdPnQ4km5o4ktwkmCyaHLYgZzkYsHORH9Ueb8vrMBWmGkxXXowcO2y0eTU2dK8uquDeHdnLmx8yZ2yw8pv04qYuVSJY208Tdt/p/yl8ONyz9YzrKwSWWg9m936hcTkXjz/NwulJDwAHoQikLuG/59u9qhH19Y4dLxaOubQcNOvbl6zQjN5FGUBAH5JUW+X2zWMq0u2SKXDPt/QhKJWn9MX7rND2HamhXtSJINTFWF1bx+HUyXXFmX/dK71oFwHZJUPmro81Kmq1KdQbLgAFKAwUXJ/h0axMBjNX0zCAAAADZUPHsIKZdFimMtkjOZUWuhwhNGf13DDgwCaekWLAAAAAAAAAAAASd91g9Hcsdfxfc6qd8V5+XWN8CB+jFhw", "lbl": "AQELBAQEBAsLEAIBDw8EBBIFCxAQCgIIDwAGBgUFAwMKCAgPDwYGBwgDBwcQEA8ICA4HCAgIChAPDwUIDgMDCAgADQ8PBQ0NDAMHBwEADwAADA0MBgYBAQAAAAwMCwsGBgQJ"}, {"angle": -12.0, "scale": 0.7, "translate": [0.0, 3.0], "rgb": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAARSAF5WTAMs+QWVpR1yL/AAAAAAAAAAAAhyjWH52kvJrJWKzchB0yuMJdvTSyELY5AAAAAAAAAAAAZ7MMKJESv2bghEEHXGfWQ2dkTz1bUY9LAAAAAAAAAAAAAAAA5J7AWkWAZ5to2/Ci5LRFUN3prQltAAAAAAAAAAAAAAAAQUu/j8tGjD52BIRDdxyLSQe5yNV/IIJyAAAA", "lbl": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAwYDAQ0AAAAFDwoBCAIDBwAAAAwDEQgLCgUNAAAAAA8NEgUDAAAAAAAAAQ8ABwMHAQAA"}], "nearest": [{"w": 24, "h": 17, "lbl": "BQUPDw4ODggIAwMODgYGAwMNDQ0BAQQEBQUPDw4ODggIAwMODgYGAwMNDQ0BAQQEDAwBAQkJCQoKAQEREQgIDAwJCQkREQ0NDAwBAQkJCQoKAQEREQgIDAwJCQkREQ0NEREDAwMDAxERCAgAABAQAgIDAwMSEgcHEREDAwMDAxERCAgAABAQAgIDAwMSEgcHAwMPDw0NDQQEBAQLCxAQCgoFBQUNDQQEAwMPDw0NDQQEBAQLCxAQCgoFBQUNDQQEEBABAQsLCwQEEhIFBQMDBwcKCgoODggIEhIBAQ8PDwAABgYHBwgICAgAAAAAAA8PEhIBAQ8PDwAABgYHBwgICAgAAAAAAA8PBQUCAggICA8PCAgODgMDBwcBAQEBARERBQUCAggICA8PCAgODgMDBwcBAQEBAREREBAQEBAQEA8PBQUNDQwMBgYEBAQJCQAAEBAQEBAQEA8PBQUNDQwMBgYEBAQJCQAADQ0MDA0NDQ8PAAAMDAsLDw8ODg4CAgUFDQ0MDA0NDQ8PAAAMDAsLDw8ODg4CAgUF"}, {"w": 5, "h": 4, "lbl": "AQoRDBEPBAsKDQEABwgAEA8NBgk="}]} as const;

const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));

test('label resize matches Pillow NEAREST', () => {
  const lbl = bytes(GOLDEN.lbl);
  for (const c of GOLDEN.nearest) assert.deepEqual(resizeNearest(lbl, GOLDEN.w, GOLDEN.h, c.w, c.h), bytes(c.lbl));
});

test('the LaPa affine matches Pillow (bicubic image, nearest labels) bit for bit', () => {
  const { w, h } = GOLDEN;
  for (const c of GOLDEN.affine) {
    const m = inverseAffine([w / 2, h / 2], c.angle, [c.translate[0], c.translate[1]], c.scale);
    assert.deepEqual(affineBicubicRgb(bytes(GOLDEN.rgb), w, h, m), bytes(c.rgb));
    assert.deepEqual(affineNearest(bytes(GOLDEN.lbl), w, h, m), bytes(c.lbl));
  }
});

test('landmarks follow the forward of the inverse matrix used for the pixels', () => {
  const center: [number, number] = [50, 40], t: [number, number] = [3, -7];
  const m = inverseAffine(center, 21, t, 1.7);
  const p = transformLandmarks(new Float64Array([12, 30, 77, 61]), center, 21, 1.7, t);
  // mapping the transformed point back through the inverse matrix lands on the original point
  for (const [i, [x, y]] of [[0, [12, 30]], [1, [77, 61]]] as const) {
    const u = p[i * 2]!, v = p[i * 2 + 1]!;
    assert.ok(Math.abs(m[0]! * u + m[1]! * v + m[2]! - x) < 1e-9);
    assert.ok(Math.abs(m[3]! * u + m[4]! * v + m[5]! - y) < 1e-9);
  }
});
