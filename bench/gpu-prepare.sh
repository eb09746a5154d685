#!/usr/bin/env bash
# Run HERE (the CPU machine) before a GPU session: fills .gpu/ (git-ignored, ~45 MB) with what
# bench/gpu-check.sh needs on a GPU machine that has PyTorch, g++ and CUDA but no Node and no
# network: Node itself (xz), the Node-API and node-addon-api headers, the CUDA checks and the
# benchmark bundled with esbuild (no node_modules there), and two parity fixtures.
# Then, in one device call: run(command="bash bench/gpu-check.sh", carry=[".gpu"], timeout_s=570)
set -euo pipefail
cd "$(dirname "$0")/.."
G=.gpu
npx tsc -p tsconfig.json
rm -rf "$G" && mkdir -p "$G/include" "$G/fixtures"
node_inc=$(dirname "$(dirname "$(command -v node)")")/include/node
[ -f "$node_inc/node_api.h" ] || node_inc=$(find "$HOME/.cache/node-gyp" -name node_api.h -printf '%h\n' 2>/dev/null | head -1)
cp "$node_inc"/node_api.h "$node_inc"/node_api_types.h "$node_inc"/js_native_api.h "$node_inc"/js_native_api_types.h "$G/include/"
cp node_modules/node-addon-api/napi*.h "$G/include/"
# ORT, sharp and the browser build are not needed there (the bench loads ORT only if it imports).
# --splitting keeps ONNX Runtime (imported lazily by the bench) out of the entry files.
npx esbuild dist/bench/cuda.js dist/test/cuda/graphs.check.js --bundle --splitting --platform=node --format=esm \
  --outdir="$G" --entry-names='[name]' --chunk-names='chunk-[hash]' --out-extension:.js=.mjs --log-level=warning \
  --external:onnxruntime-node --external:onnxruntime-web --external:sharp --external:playwright-core \
  --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
for f in mobilenet_hash_256 swin_base_hash_224; do cp -r "../shared/fixtures/$f" "$G/fixtures/"; done
xz -T2 -6 -c "$(command -v node)" > "$G/node.xz"
node -v > "$G/node-version"
du -sh "$G"
