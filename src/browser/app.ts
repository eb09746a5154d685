// The web page: a photo (file, drop or camera) → parsed on the server (POST /parse) or in the
// browser (ONNX Runtime Web) → overlay with a class legend, class toggles and mask downloads.
import { binaryMask, histogram, overlay } from '../image/label-pixels.js';
import { writeZip } from '../io/zip.js';
import type { RgbImage } from '../image/read.js';
import { decodeBlob, decodeLabelPng, grabFrame } from './decode.js';
import { classesOf, configureOrt, WebParser, type WebClass, type WebFace } from './web-parser.js';
import { drawFaces, ownersFromGeometry, renderFaceList } from './faces-view.js';
import type { HeadKind } from '../model/classes.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const statusEl = $<HTMLDivElement>('status');
const view = $<HTMLCanvasElement>('view');
const legend = $<HTMLUListElement>('legend');
const alpha = $<HTMLInputElement>('alpha');

interface State {
  photo: RgbImage | null;
  labels: Uint8Array | null;
  classes: WebClass[];
  hidden: Set<number>;
  stem: string;
  server: { model: string; resolution: number; head: string } | null;
  parser: { key: string; parser: Promise<WebParser> } | null;
  /** Detected faces, which face owns each pixel (1 + index, 0 none) and the one shown alone. */
  faces: WebFace[] | null;
  owner: Uint8Array | null;
  only: number | null;
}
const st: State = { photo: null, labels: null, classes: [], hidden: new Set(), stem: 'photo', server: null, parser: null, faces: null, owner: null, only: null };
const detectOn = () => $<HTMLInputElement>('detect').checked;

function setStatus(state: 'idle' | 'busy' | 'done' | 'error', text: string): void {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
}

const where = (): 'server' | 'browser' => ((document.querySelector('input[name=where]:checked') as HTMLInputElement | null)?.value === 'browser' ? 'browser' : 'server');

function palette(): Uint8Array {
  const p = new Uint8Array(256 * 3);
  for (const c of st.classes) p.set(c.color, c.id * 3);
  return p;
}

function backgroundId(): number { return st.classes.find((c) => c.name === 'background')?.id ?? 0; }

function renderLegend(): void {
  const counts = st.labels ? histogram(st.labels, Math.max(256, st.classes.length)) : null;
  const total = st.labels?.length ?? 1;
  legend.replaceChildren(...st.classes.map((c) => {
    const li = document.createElement('li');
    li.dataset.class = c.name;
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', checked: !st.hidden.has(c.id) });
    box.addEventListener('change', () => { if (box.checked) st.hidden.delete(c.id); else st.hidden.add(c.id); render(); });
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = `rgb(${c.color.join(',')})`;
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = c.name;
    const share = document.createElement('span');
    share.className = 'share';
    if (counts) {
      share.textContent = `${((100 * counts[c.id]!) / total).toFixed(1)}%`;
      if (counts[c.id] === 0) li.classList.add('absent');
    }
    // The whole row but the share is one label: clicking the name toggles the class too.
    const label = document.createElement('label');
    label.append(box, sw, name);
    li.append(label, share);
    return li;
  }));
}

/** Shown labels: hidden classes drawn as background. */
function shownLabels(): Uint8Array {
  const labels = st.labels!;
  const only = st.only !== null && st.owner ? st.only + 1 : 0;
  if (st.hidden.size === 0 && !only) return labels;
  const bg = backgroundId();
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = st.hidden.has(labels[i]!) || (only && st.owner![i] !== only) ? bg : labels[i]!;
  return out;
}

function selectFace(i: number | null): void {
  st.only = st.only === i ? null : i;
  render();
  renderFaceList($<HTMLOListElement>('faces'), st.faces, st.only, selectFace);
}

function putRgb(canvas: HTMLCanvasElement, rgb: Uint8Array, w: number, h: number): void {
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let i = 0, n = w * h; i < n; i++) {
    img.data[i * 4] = rgb[i * 3]!; img.data[i * 4 + 1] = rgb[i * 3 + 1]!; img.data[i * 4 + 2] = rgb[i * 3 + 2]!; img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

function render(): void {
  const p = st.photo;
  if (!p) return;
  // Boxes go on their own layer so the view (and its download) stays the plain overlay.
  const layer = $<HTMLCanvasElement>('faces-layer');
  layer.width = p.width;
  layer.height = p.height;
  if (!st.labels) { putRgb(view, p.data, p.width, p.height); return; }
  putRgb(view, overlay(p.data, shownLabels(), palette(), Number(alpha.value) / 100, backgroundId()), p.width, p.height);
  if (st.faces) drawFaces(layer, st.faces, st.only);
  view.dataset.overlay = 'ready';
}

async function serverLabels(blob: Blob): Promise<Uint8Array> {
  const res = await fetch(`/parse?format=labels&detect=${detectOn() ? 1 : 0}`, { method: 'POST', body: blob, headers: { 'content-type': blob.type || 'application/octet-stream' } });
  if (!res.ok) {
    const body = await res.json().catch(() => ({ error: res.statusText }));
    throw new Error(`server: ${(body as { error?: string }).error ?? res.status}`);
  }
  const l = await decodeLabelPng(await res.blob());
  if (l.width !== st.photo!.width || l.height !== st.photo!.height) throw new Error(`server labels are ${l.width}×${l.height}, the photo is ${st.photo!.width}×${st.photo!.height}`);
  const faces = res.headers.get('x-segface-faces');
  if (faces !== null) {
    st.faces = JSON.parse(faces) as WebFace[];
    // The label PNG has no owner map: faces own the pixels of their crops (nearest crop centre).
    st.owner = ownersFromGeometry(st.faces, (st.server?.head ?? 'celeb') as HeadKind, st.server?.resolution ?? 512, l.width, l.height);
  }
  return l.labels;
}

function browserParser(): Promise<WebParser> {
  const file = $<HTMLInputElement>('model-file').files?.[0];
  const res = Number($<HTMLInputElement>('resolution').value) || 512;
  const key = file ? `${file.name}|${file.size}|${file.lastModified}|${res}` : 'server';
  if (st.parser?.key === key) return st.parser.parser;
  const p = (async () => {
    if (file) {
      const bytes = new Uint8Array(await file.arrayBuffer());
      return /\.onnx$/i.test(file.name) ? WebParser.fromOnnx(bytes, file.name) : WebParser.fromCheckpoint(bytes, file.name, res);
    }
    const r = await fetch('/model.onnx');
    if (!r.ok) throw new Error('the server offers no model for the browser; choose a model file');
    return WebParser.fromOnnx(new Uint8Array(await r.arrayBuffer()), st.server?.model ?? 'model.onnx');
  })();
  st.parser = { key, parser: p };
  p.catch(() => { if (st.parser?.key === key) st.parser = null; });
  return p;
}

/** After a failure nothing of an earlier photo stays on screen or in the downloads. */
function clearResult(): void {
  st.photo = null;
  st.labels = null;
  delete view.dataset.overlay;
  view.width = 0;
  view.height = 0;
  setDownloads(false);
  renderLegend();
}

async function process(photo: RgbImage, blob: () => Promise<Blob>): Promise<void> {
  st.photo = photo;
  st.labels = null;
  st.faces = null;
  st.owner = null;
  st.only = null;
  delete view.dataset.overlay;
  render();
  setDownloads(false);
  const t0 = performance.now();
  try {
    let how: string;
    if (where() === 'server') {
      setStatus('busy', 'Parsing on the server…');
      st.labels = await serverLabels(await blob());
      how = `on the server (${st.server?.model ?? 'model'})`;
    } else {
      setStatus('busy', 'Loading the model in the browser…');
      const parser = await browserParser();
      setStatus('busy', `Parsing in the browser (${parser.provider})…`);
      const r = await parser.parse(photo, detectOn() ? { detectorBytes, landmarkBytes } : {});
      st.classes = parser.classes;
      st.labels = r.labels;
      st.faces = r.faces ?? null;
      st.owner = r.owner ?? null;
      how = `in the browser with ONNX Runtime Web (${parser.provider}, ${parser.modelId}; inference ${r.inferenceMs.toFixed(0)} ms)`;
    }
    renderLegend();
    render();
    renderFaceList($<HTMLOListElement>('faces'), st.faces, st.only, selectFace);
    setDownloads(true);
    setStatus('done', `${photo.width}×${photo.height} parsed ${how} in ${((performance.now() - t0) / 1000).toFixed(2)} s.`);
  } catch (e) {
    clearResult();
    setStatus('error', (e as Error).message);
  }
}

async function detectorBytes(): Promise<Uint8Array> {
  const r = await fetch('/blazeface.onnx');
  if (!r.ok) throw new Error('the server offers no face detector (/blazeface.onnx); untick "find faces"');
  return new Uint8Array(await r.arrayBuffer());
}

async function landmarkBytes(): Promise<Uint8Array> {
  const r = await fetch('/face_landmark_68.onnx');
  if (!r.ok) throw new Error('the server offers no face landmark net (/face_landmark_68.onnx); untick "find faces"');
  return new Uint8Array(await r.arrayBuffer());
}

async function onFile(file: File): Promise<void> {
  st.stem = file.name.replace(/\.[^.]*$/, '') || 'photo';
  try {
    setStatus('busy', 'Decoding…');
    const photo = await decodeBlob(file, file.name);
    await process(photo, async () => file);
  } catch (e) {
    clearResult();
    setStatus('error', (e as Error).message);
  }
}

function saveBlob(name: string, b: Blob): void {
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(b), download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

const pngOf = (canvas: HTMLCanvasElement) => new Promise<Blob>((ok, bad) => canvas.toBlob((b) => (b ? ok(b) : bad(new Error('cannot encode PNG'))), 'image/png'));

function download(name: string, canvas: HTMLCanvasElement): void {
  void pngOf(canvas).then((b) => saveBlob(name, b), (e: Error) => setStatus('error', e.message));
}

function greyCanvas(values: Uint8Array, w: number, h: number): HTMLCanvasElement {
  const rgb = new Uint8Array(values.length * 3);
  for (let i = 0; i < values.length; i++) rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = values[i]!;
  const c = document.createElement('canvas');
  putRgb(c, rgb, w, h);
  return c;
}

function setDownloads(on: boolean): void {
  for (const id of ['dl-labels', 'dl-overlay', 'dl-masks']) $<HTMLButtonElement>(id).disabled = !on;
}

function wire(): void {
  const photoInput = $<HTMLInputElement>('photo');
  photoInput.addEventListener('change', () => { const f = photoInput.files?.[0]; if (f) void onFile(f); });
  const drop = $<HTMLLabelElement>('drop');
  for (const ev of ['dragenter', 'dragover']) drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add('over'); });
  for (const ev of ['dragleave', 'drop']) drop.addEventListener(ev, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    const f = (e as DragEvent).dataTransfer?.files?.[0];
    if (!f) return;
    if (/\.(pt|pth|onnx)$/i.test(f.name)) {
      const dt = new DataTransfer();
      dt.items.add(f);
      $<HTMLInputElement>('model-file').files = dt.files;
      (document.querySelector('input[name=where][value=browser]') as HTMLInputElement).checked = true;
      setStatus('idle', `Model ${f.name} will run in the browser; now choose a photo.`);
    } else void onFile(f);
  });
  alpha.addEventListener('input', render);
  $('all-on').addEventListener('click', () => { st.hidden.clear(); renderLegend(); render(); });
  $('all-off').addEventListener('click', () => { st.hidden = new Set(st.classes.map((c) => c.id).filter((id) => id !== backgroundId())); renderLegend(); render(); });
  $('dl-overlay').addEventListener('click', () => download(`${st.stem}.overlay.png`, view));
  $('dl-labels').addEventListener('click', () => { if (st.labels && st.photo) download(`${st.stem}.labels.png`, greyCanvas(st.labels, st.photo.width, st.photo.height)); });
  // One zip (<stem>.masks/NN_<class>.png, as `segface parse --outputs masks` names them) of the
  // shown classes that are present.
  $('dl-masks').addEventListener('click', async () => {
    if (!st.labels || !st.photo) return;
    const { labels, photo, stem } = { labels: st.labels, photo: st.photo, stem: st.stem };
    const counts = histogram(labels, 256);
    const entries: { name: string; data: Uint8Array }[] = [];
    for (const c of st.classes) {
      if (st.hidden.has(c.id) || counts[c.id] === 0) continue;
      const png = await pngOf(greyCanvas(binaryMask(labels, c.id), photo.width, photo.height));
      entries.push({ name: `${stem}.masks/${String(c.id).padStart(2, '0')}_${c.name}.png`, data: new Uint8Array(await png.arrayBuffer()) });
    }
    saveBlob(`${stem}.masks.zip`, new Blob([writeZip(entries) as Uint8Array<ArrayBuffer>], { type: 'application/zip' }));
  });

  const video = $<HTMLVideoElement>('video');
  const capture = $<HTMLButtonElement>('capture-btn');
  $('camera-btn').addEventListener('click', async () => {
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user' } });
      video.hidden = false;
      capture.hidden = false;
      await video.play();
    } catch (e) {
      setStatus('error', `camera: ${(e as Error).message}`);
    }
  });
  capture.addEventListener('click', () => {
    const frame = grabFrame(video);
    st.stem = 'camera';
    const c = document.createElement('canvas');
    putRgb(c, frame.data, frame.width, frame.height);
    void process(frame, () => new Promise<Blob>((ok, bad) => c.toBlob((b) => (b ? ok(b) : bad(new Error('cannot encode the frame'))), 'image/png')));
  });
}

async function init(): Promise<void> {
  configureOrt(new URL('/ort/', location.href).href);
  wire();
  try {
    const r = await fetch('/classes');
    if (!r.ok) throw new Error(String(r.status));
    const info = (await r.json()) as { model: string; resolution: number; head: string; classes: WebClass[] };
    st.server = info;
    st.classes = info.classes;
    $<HTMLInputElement>('resolution').value = String(info.resolution);
    $('model-info').textContent = `server model: ${info.model} (${info.head}, ${info.resolution}×${info.resolution})`;
  } catch {
    st.classes = classesOf('celeb');
    $('model-info').textContent = 'no server model: choose a model file to run in the browser';
    (document.querySelector('input[name=where][value=browser]') as HTMLInputElement).checked = true;
  }
  renderLegend();
  setStatus('idle', 'Choose or drop a photo.');
  document.body.dataset.ready = '1';
}

// ONNX Runtime Web may start this same script as a worker (wasm threads): no page there.
if (typeof document !== 'undefined') void init();
