#!/usr/bin/env bash
# Public-domain test photos from Debian packages (not committed): astronaut.png (scikit-image
# data, NASA, public domain) and grace_hopper.jpg (matplotlib sample data, public domain).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .assets
fetch() { # package, path inside the package, target name
  local pkg=$1 inner=$2 name=$3
  [ -s ".assets/$name" ] && return 0
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download "$pkg" >/dev/null 2>&1) || { echo "fetch-photos: could not download $pkg"; rm -rf "$tmp"; return 1; }
  dpkg -x "$tmp"/*.deb "$tmp/x"
  local f; f=$(find "$tmp/x" -path "*$inner" | head -n1)
  [ -n "$f" ] || { echo "fetch-photos: $inner not in $pkg"; rm -rf "$tmp"; return 1; }
  cp "$f" ".assets/$name"
  rm -rf "$tmp"
}
fetch python3-skimage skimage/data/astronaut.png astronaut.png
fetch python-matplotlib-data sample_data/grace_hopper.jpg grace_hopper.jpg
