#!/usr/bin/env bash
# Sets up everything on a fresh Debian bookworm machine with Node 20 and apt. Safe to run twice.
#   - apt: libtorch-dev (the optional training engine), libgloo-dev + python3-torch (distributed
#     training: c10d's Gloo headers, torchrun), build tools, Chromium (browser test)
#   - npm: dependencies (onnxruntime-node without its GPU download), TypeScript build, page bundle,
#     the face detector's weights copied and the 68-point landmark net converted into dist/detector/
#   - the native libtorch addon (skipped with a note if libtorch is unavailable)
#   - public-domain face photos from Debian packages into .assets/
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

# libgloo-dev: the headers of the Gloo library libtorch already links (distributed training);
# python3-torch(vision): torchrun, and the PyTorch DDP run the distributed tests compare against.
# OpenBLAS replaces the reference BLAS that libtorch-dev pulls in (10-50x faster GEMMs).
APT_PKGS=(libtorch-dev libgloo-dev python3-torch python3-torchvision libopenblas0-pthread g++ make python3 chromium)
missing=()
for p in "${APT_PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} from apt"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# Each step below is skipped when its inputs have not changed since it last ran, so a second run
# takes seconds.
export ONNXRUNTIME_NODE_INSTALL=skip # ONNX Runtime's CPU provider only (no GPU download)
deps_key=$(cat package.json package-lock.json 2>/dev/null | sha256sum | cut -c1-16)
if [ -f node_modules/.segface-deps ] && [ "$(cat node_modules/.segface-deps)" = "$deps_key" ]; then
  echo "setup: npm dependencies up to date"
else
  echo "setup: npm dependencies"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi
  echo "$deps_key" > node_modules/.segface-deps
fi

# Newer than the stamp: anything tsc or the page bundle reads.
changed_since() { [ ! -f "$1" ] || [ -n "$(find "${@:2}" -newer "$1" -print -quit 2>/dev/null)" ]; }
if changed_since dist/.segface-build src test scripts bench tsconfig.json package.json node_modules/.segface-deps; then
  echo "setup: TypeScript build"
  npm run --silent build
  echo "setup: page bundle (dist/web/app.js)"
  npm run --silent build:web >/dev/null
  echo "setup: face detector weights (dist/detector/, what the package ships)"
  npm run --silent build:detector >/dev/null
  touch dist/.segface-build
else
  echo "setup: TypeScript build, page bundle and detector weights up to date"
fi

if [ -f native/binding.gyp ]; then
  if [ -e /usr/include/torch/csrc/api/include/torch/torch.h ] || [ -n "${LIBTORCH:-}" ]; then
    addon=native/build/Release/segface_torch.node
    if [ -f "$addon" ] && ! changed_since "$addon" native/src native/binding.gyp native/detect.js; then
      echo "setup: native libtorch addon up to date"
    else
      log=/tmp/segface-native-build.log
      echo "setup: building the native libtorch addon with node-gyp (C++ against libtorch, 1-3 minutes; log: $log)"
      start=$SECONDS
      npm run --silent build:native >"$log" 2>&1 &
      pid=$!
      while kill -0 "$pid" 2>/dev/null; do
        sleep 15
        kill -0 "$pid" 2>/dev/null && echo "setup:   still compiling ($((SECONDS - start)) s, $(grep -c 'CXX\|SOLINK' "$log" || true) compile and link steps done)"
      done
      wait "$pid" || { tail -40 "$log"; exit 1; }
      echo "setup: native addon built in $((SECONDS - start)) s"
    fi
  else
    echo "setup: libtorch not found; skipping the training engine (parsing works without it)"
  fi
fi

bash scripts/fetch-photos.sh
echo "setup: done"
