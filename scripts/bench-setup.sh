#!/usr/bin/env bash
# Reference side of the benchmarks only (PyTorch eager on CPU from Debian); the main set-up
# does not need it.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if /usr/bin/python3 -c 'import torch, torchvision, numpy' 2>/dev/null; then
  echo "bench-setup: python3-torch, python3-torchvision and python3-numpy already installed"
  exit 0
fi
apt-get update -q
apt-get install -y -q --no-install-recommends python3-torch python3-torchvision python3-numpy
/usr/bin/python3 -c 'import torch, torchvision; print("torch", torch.__version__, "torchvision", torchvision.__version__)'
