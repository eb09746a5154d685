// The web page served at `/` (its script is the bundle of app.ts at /app.js).
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SegFace face parsing</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #222; background: #f6f6f4; }
  body { margin: 0; }
  header { display: flex; align-items: baseline; gap: 1em; padding: .6em 1em; background: #23313f; color: #fff; }
  header h1 { font-size: 1.2em; margin: 0; }
  #model-info { font-size: .85em; opacity: .8; }
  #controls { display: flex; flex-wrap: wrap; gap: .8em 1.5em; align-items: center; padding: .8em 1em; }
  #drop { border: 2px dashed #889; border-radius: 8px; padding: .8em 1.2em; background: #fff; }
  #drop.over { background: #e8f0ff; border-color: #36c; }
  fieldset { border: 1px solid #ccd; border-radius: 6px; padding: .3em .8em; }
  #status { padding: .3em 1em; min-height: 1.4em; font-size: .9em; }
  #status[data-state=error] { color: #b00; }
  main { display: flex; gap: 1em; padding: 0 1em 1em; align-items: flex-start; }
  .view { flex: 1; min-width: 0; position: relative; }
  /* The photo fills the column's width (up or down), keeping its aspect ratio. */
  #view, #video { display: block; width: 100%; height: auto; max-height: 85vh; object-fit: contain; background: #ddd; border-radius: 4px; }
  #view[width="0"] { display: none; }
  /* Face boxes: a transparent canvas laid exactly over the view. */
  #faces-layer { position: absolute; left: 0; top: 0; display: block; width: 100%; height: auto; max-height: 85vh; object-fit: contain; pointer-events: none; }
  #faces-layer[width="0"] { display: none; }
  aside { width: 17em; }
  aside h2 { font-size: 1em; margin: .4em 0; }
  #legend { list-style: none; padding: 0; margin: 0 0 .6em; }
  #legend li { display: flex; align-items: center; gap: .4em; padding: 1px 0; font-size: .9em; }
  #legend label { display: flex; align-items: center; gap: .4em; flex: 1; cursor: pointer; }
  #legend .swatch { display: inline-block; flex: none; width: 1em; height: 1em; border-radius: 2px; border: 1px solid #0003; }
  #legend .share { margin-left: auto; font-variant-numeric: tabular-nums; opacity: .7; }
  #legend li.absent { opacity: .45; }
  button { cursor: pointer; }
  #faces { padding-left: 1.4em; margin: 0 0 .6em; font-size: .9em; }
  #faces li { cursor: pointer; }
  #faces li.only { font-weight: bold; }
</style>
</head>
<body>
<header><h1>SegFace face parsing</h1><span id="model-info">loading…</span></header>
<section id="controls">
  <label id="drop">Drop a photo here or choose one: <input type="file" id="photo" accept="image/*"></label>
  <span><button id="camera-btn" type="button">Use the camera</button> <button id="capture-btn" type="button" hidden>Capture</button></span>
  <fieldset><legend>Run the model</legend>
    <label><input type="radio" name="where" value="server" checked> on the server</label>
    <label><input type="radio" name="where" value="browser"> in this browser (ONNX Runtime Web)</label>
  </fieldset>
  <fieldset id="browser-model"><legend>Model in the browser</legend>
    <input type="file" id="model-file" accept=".pt,.pth,.onnx" title="a model_299.pt or an exported .onnx (default: the server's model)">
    <label>resolution <input type="number" id="resolution" value="512" min="32" step="32" style="width:5em"></label>
  </fieldset>
  <label title="find every face and parse each aligned (off: the photo is one face crop)"><input type="checkbox" id="detect" checked> find faces</label>
  <label>opacity <input type="range" id="alpha" min="0" max="100" value="50"></label>
</section>
<div id="status" data-state="idle">Choose or drop a photo.</div>
<main>
  <div class="view"><canvas id="view" width="0" height="0"></canvas><canvas id="faces-layer" width="0" height="0"></canvas><video id="video" hidden playsinline muted></video></div>
  <aside>
    <h2>Classes <button id="all-on" type="button">all</button> <button id="all-off" type="button">none</button></h2>
    <ul id="legend"></ul>
    <h2>Faces</h2>
    <ol id="faces"></ol>
    <h2>Download</h2>
    <button id="dl-labels" type="button" disabled>labels PNG</button>
    <button id="dl-overlay" type="button" disabled>overlay PNG</button>
    <button id="dl-masks" type="button" disabled>masks of the shown classes (zip)</button>
  </aside>
</main>
<script type="module" src="/app.js"></script>
</body>
</html>
`;
