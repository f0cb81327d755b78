#!/usr/bin/env bash
# Publishes the edge runtime (the `edgenet` command) with NativeAOT, trimmed, for a board.
#   firmware-tools/publish.sh linux-arm64 [OUT]   (Raspberry Pi 4/5, Jetson; cross-built from x64)
#   firmware-tools/publish.sh linux-x64   [OUT]
# Cross-building arm64 needs: clang lld llvm libc6-dev-arm64-cross libgcc-12-dev-arm64-cross
# (scripts/setup.sh --arm64 installs them).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rid="${1:?usage: publish.sh linux-arm64|linux-x64 [OUT]}"
out="${2:-$root/artifacts/edgenet-$rid}"
extra=()
[ "$rid" = linux-arm64 ] && extra+=(-p:LinkerFlavor=lld)
dotnet publish "$root/src/EdgeRuntime/EdgeNet.Runtime.csproj" -c Release -r "$rid" -o "$out" -nologo -v q "${extra[@]}" 2>&1 | grep -Ev '^\s*$' || true
[ -x "$out/edgenet" ] || { echo "publish: no binary at $out/edgenet" >&2; exit 1; }
echo "publish: $out/edgenet ($(stat -c %s "$out/edgenet") bytes)"
