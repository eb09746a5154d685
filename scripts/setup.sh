#!/usr/bin/env bash
# Sets up everything on a fresh Debian bookworm machine with Node 20 and apt. Safe to run twice.
#   - apt: libtorch-dev (the optional training engine), libgloo-dev + python3-torch (distributed
#     training: c10d's Gloo headers, torchrun), build tools, Chromium (browser test)
#   - npm: dependencies (onnxruntime-node without its GPU download), TypeScript build
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

echo "setup: npm dependencies"
export ONNXRUNTIME_NODE_INSTALL=skip
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else npm install --no-audit --no-fund --loglevel=error; fi

echo "setup: TypeScript build"
npm run --silent build

if [ -f native/binding.gyp ]; then
  if [ -e /usr/include/torch/csrc/api/include/torch/torch.h ] || [ -n "${LIBTORCH:-}" ]; then
    echo "setup: native libtorch addon"
    npm run --silent build:native >/tmp/segface-native-build.log 2>&1 || { tail -40 /tmp/segface-native-build.log; exit 1; }
  else
    echo "setup: libtorch not found; skipping the training engine (parsing works without it)"
  fi
fi

bash scripts/fetch-photos.sh
echo "setup: done"
