#!/usr/bin/env bash
# Run ON A GPU MACHINE in one call (the device tool; prepare with bench/gpu-prepare.sh here):
#   run(command="bash bench/gpu-check.sh", carry=[".gpu"], timeout_s=570)
# Builds the addon against the machine's PyTorch (CUDA graphs in), runs the CUDA checks
# (test/cuda/graphs.check.ts) and `npm run bench -- cuda`, and leaves the logs in $OUT.
# GPU_CHECK_QUICK=1: MobileNet only, fewer runs (when device time is short).
# GPU_CHECK_BUILD_ONLY=1: stop after the build (rehearsal on a CPU machine).
set -uo pipefail
cd "$(dirname "$0")/.."
G=.gpu
OUT=${OUT:-/tmp/gpu-check-out}
mkdir -p "$OUT"
t0=$(date +%s)
say() { echo "== [$(( $(date +%s) - t0 ))s] $*"; }
[ -f "$G/node.xz" ] || { echo "no $G/node.xz: run bench/gpu-prepare.sh first and carry .gpu"; exit 2; }

if ! command -v node >/dev/null || [[ "$(node -v)" != "$(cat $G/node-version)" ]]; then
  mkdir -p /tmp/node-bin
  if command -v xz >/dev/null; then xz -dc "$G/node.xz" > /tmp/node-bin/node
  else python3 -c "import lzma,shutil; shutil.copyfileobj(lzma.open('$G/node.xz'), open('/tmp/node-bin/node','wb'))"; fi
  chmod +x /tmp/node-bin/node
  export PATH=/tmp/node-bin:$PATH
fi
PY=$(command -v python3)
{
  say "machine"
  node -v; g++ --version | head -1; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version(), torch.cuda.get_device_name(0))"
} 2>&1 | tee "$OUT/machine.txt"

say "addon: g++ against python3's torch (native/detect.js, LIBTORCH=python)"
export LIBTORCH=python PYTHON="$PY"
q() { node native/detect.js "$1"; }
DEFS=$(q defines | tr ' ' '\n' | sed 's/^/-D/' | tr '\n' ' ')
INCS=$(q include | tr ' ' '\n' | sed 's/^/-I/' | tr '\n' ' ')
echo "defines: $DEFS" | tee "$OUT/build.txt"
SRCS=$(node -e "console.log(JSON.parse(require('fs').readFileSync('native/binding.gyp','utf8')).targets[0].sources.join(' '))")
mkdir -p native/build/Release /tmp/segface-obj
pids=()
for s in $SRCS; do
  g++ -std=c++17 -O2 -fPIC -fexceptions -frtti -Wno-unused-parameter -Wno-deprecated-declarations \
    -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS $DEFS -I"$G/include" $INCS -Inative/shim -c "native/$s" -o "/tmp/segface-obj/$(basename "$s" .cc).o" >>"$OUT/build.txt" 2>&1 &
  pids+=($!)
done
ok=1; for p in "${pids[@]}"; do wait "$p" || ok=0; done
[ $ok = 1 ] && g++ -shared -o native/build/Release/segface_torch.node /tmp/segface-obj/*.o $(q ldflags) $(q libs) >>"$OUT/build.txt" 2>&1 || ok=0
if [ $ok = 0 ]; then tail -40 "$OUT/build.txt"; say "BUILD FAILED"; exit 1; fi
grep -q SEGFACE_CUDA_GRAPHS <<<"$DEFS" || say "WARNING: no CUDA headers found: graphs compiled out (set CUDA_HOME)"
export SEGFACE_TORCH_ADDON=$PWD/native/build/Release/segface_torch.node SEGFACE_FIXTURES=$PWD/$G/fixtures
[ "${GPU_CHECK_BUILD_ONLY:-}" = 1 ] && { say "built (GPU_CHECK_BUILD_ONLY)"; exit 0; }

say "CUDA checks"
node --test --test-reporter=spec "$G/graphs.check.mjs" 2>&1 | tee "$OUT/checks.txt"

export BENCH_PYTHON="$PY" BENCH_REFERENCE_PY=$PWD/bench/reference.py BENCH_DIR=/tmp/segface-bench
if [ "${GPU_CHECK_QUICK:-}" = 1 ]; then
  say "bench cuda (quick: mobilenet)"
  node "$G/cuda.mjs" --models mobilenet --batches 1,8 --runs 10 --warmup 5 --no-train 2>&1 | tee "$OUT/bench.txt"
else
  say "bench cuda: mobilenet batch 1, 8 (+ train step)"
  node "$G/cuda.mjs" --models mobilenet --batches 1,8 --runs 20 --warmup 10 2>&1 | tee "$OUT/bench.txt"
  say "bench cuda: swin_base batch 1"
  node "$G/cuda.mjs" --models swin_base --batches 1 --runs 20 --warmup 10 --no-train 2>&1 | tee -a "$OUT/bench.txt"
fi
say "done"
