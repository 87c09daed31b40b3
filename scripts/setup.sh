#!/usr/bin/env bash
# Installs what tiersim needs on a fresh Debian/Ubuntu machine and builds it.
# Idempotent: does nothing that is already done. Needs root only to install Debian packages.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'tiersim setup: %s\n' "$*"; }

missing=()
ldconfig -p 2>/dev/null | grep -q 'libfuse\.so\.2 ' || missing+=(libfuse2)   # fuse-native's addon links libfuse.so.2
command -v fusermount >/dev/null || missing+=(fuse)                          # fuse-native unmounts with fusermount -uz
command -v numactl >/dev/null || missing+=(numactl)                          # numactl -H inside `tiersim shell`
command -v lsmem >/dev/null || missing+=(util-linux)                         # lsmem, unshare, setpriv
command -v sysctl >/dev/null || missing+=(procps)                            # sysctl inside `tiersim shell`
command -v python3 >/dev/null || missing+=(python3)                          # whole-read checks in the tests
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)  # the figures' text (src/plot loads this file)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "missing Debian packages: ${missing[*]}"
    say "run as root, or: sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
  say "installing ${missing[*]} (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ! -e /dev/fuse ]; then
  modprobe fuse 2>/dev/null || true
  [ -e /dev/fuse ] || say "warning: /dev/fuse is missing; mounting will fail (is this a container without FUSE?)"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm install --no-audit --no-fund --loglevel=error
fi
say "building"
npx tsc -p tsconfig.build.json
