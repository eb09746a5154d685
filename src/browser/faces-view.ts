// The page's faces: boxes and landmarks drawn over the overlay, a clickable list (click a face to
// show only its labels), and, for server answers, which face owns each pixel.
import { alignmentFor, type Landmarks5 } from '../face/align.js';
import { pasteRegion, photoToCanvas } from '../face/geometry.js';
import type { HeadKind } from '../model/classes.js';
import type { WebFace } from './web-parser.js';

export function drawFaces(canvas: HTMLCanvasElement, faces: readonly WebFace[], only: number | null): void {
  const ctx = canvas.getContext('2d')!;
  const lw = Math.max(2, Math.round(Math.max(canvas.width, canvas.height) / 400));
  faces.forEach((f, i) => {
    const dim = only !== null && only !== i;
    ctx.globalAlpha = dim ? 0.35 : 1;
    ctx.strokeStyle = only === i ? '#ffd400' : '#00e5ff';
    ctx.lineWidth = lw;
    ctx.strokeRect(f.box[0], f.box[1], f.box[2], f.box[3]);
    ctx.fillStyle = '#ff3d7f';
    for (const [x, y] of f.landmarks) { ctx.beginPath(); ctx.arc(x, y, lw * 1.2, 0, 2 * Math.PI); ctx.fill(); }
    ctx.fillStyle = ctx.strokeStyle;
    ctx.font = `${lw * 7}px system-ui, sans-serif`;
    ctx.fillText(String(i + 1), f.box[0] + lw, f.box[1] - lw * 2);
  });
  ctx.globalAlpha = 1;
}

export function renderFaceList(list: HTMLOListElement, faces: readonly WebFace[] | null, only: number | null, pick: (i: number) => void): void {
  if (!faces) { list.replaceChildren(); return; }
  if (faces.length === 0) {
    const li = document.createElement('li');
    li.textContent = 'no face found';
    list.replaceChildren(li);
    return;
  }
  list.replaceChildren(...faces.map((f, i) => {
    const li = document.createElement('li');
    li.dataset.face = String(i);
    if (only === i) li.classList.add('only');
    li.textContent = `score ${f.score.toFixed(2)}, ${Math.round(f.box[2])}×${Math.round(f.box[3])} px${Math.abs(f.angle) >= 5 ? `, ${Math.round(f.angle)}°` : ''}`;
    li.title = only === i ? 'click to show every face' : 'click to show only this face';
    li.addEventListener('click', () => pick(i));
    return li;
  }));
}

/**
 * Owner map from the faces' geometry alone: each pixel goes to the face in whose aligned canvas
 * it lies nearest the centre (the server's label PNG does not say which face won a pixel).
 */
export function ownersFromGeometry(faces: readonly WebFace[], head: HeadKind, R: number, width: number, height: number): Uint8Array {
  const owner = new Uint8Array(width * height);
  const best = new Float32Array(width * height).fill(Infinity);
  faces.forEach((f, i) => {
    const al = alignmentFor(head, f.landmarks as unknown as Landmarks5, R);
    const g = pasteRegion(al, width, height);
    for (let y = g.y0; y < g.y1; y++) {
      for (let x = g.x0; x < g.x1; x++) {
        const [u, v] = photoToCanvas(al, x + 0.5, y + 0.5);
        const d = Math.max(Math.abs(u / R - 0.5), Math.abs(v / R - 0.5));
        const q = y * width + x;
        if ((al.warp > 0 || d <= 0.5) && d < best[q]!) { best[q] = d; owner[q] = i + 1; }
      }
    }
  });
  return owner;
}
