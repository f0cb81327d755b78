#!/usr/bin/env bash
# Publishes the edge runtime (the `edgenet` command) with NativeAOT, trimmed, for a board.
#   firmware-tools/publish.sh linux-arm64 [OUT]   (Raspberry Pi 4/5, Jetson; cross-built from x64)
#   firmware-tools/publish.sh linux-x64   [OUT]
#   firmware-tools/publish.sh linux-arm64-dotprod [OUT]  (Pi 5, Jetson Orin: ARMv8.2 with SDOT for int8;
#                                                         not for the Pi 4, whose Cortex-A72 lacks it)
# Cross-building arm64 needs: clang lld llvm libc6-dev-arm64-cross libgcc-12-dev-arm64-cross
# (scripts/setup.sh --arm64 installs them).
#   ... --inference-only   leaves training on the board out of the binary (smaller; no finetune/learn/bench --train/rig train)
#   ... --no-rig           leaves the cart-pole rig over GPIO out (no 'edgenet rig', no GPIO drivers; about 0.7 MB less)
#   ... --no-camera        leaves the camera out (no 'edgenet camera'/'classify', no V4L2; about 0.17 MB less)
#   ... --no-system        leaves 'edgenet system' out (signed bundle installs: ECDSA through OpenSSL, tar, the installer)
#   ... --no-fleet         leaves 'edgenet fleet' out (MQTT over TLS through MQTTnet; --no-rig leaves it out too)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
extra=()
args=()
for a in "$@"; do
  case "$a" in
    --inference-only) extra+=(-p:EdgeNetTraining=false) ;;
    --no-rig) extra+=(-p:EdgeNetRig=false) ;;
    --no-camera) extra+=(-p:EdgeNetCamera=false) ;;
    --no-system) extra+=(-p:EdgeNetSystem=false) ;;
    --no-fleet) extra+=(-p:EdgeNetFleet=false) ;;
    *) args+=("$a") ;;
  esac
done
target="${args[0]:?usage: publish.sh linux-arm64|linux-arm64-dotprod|linux-x64 [OUT] [--inference-only] [--no-rig] [--no-camera] [--no-system] [--no-fleet]}"
out="${args[1]:-$root/artifacts/edgenet-$target}"
rid="$target"
case "$target" in
  linux-arm64) extra+=(-p:LinkerFlavor=lld) ;;
  linux-arm64-dotprod) rid=linux-arm64; extra+=(-p:LinkerFlavor=lld "-p:IlcInstructionSet=armv8.2-a%2Cdotprod") ;;
esac
# A failed publish must fail here, never leave an older binary in place to be used instead.
rm -f "$out/edgenet"
log="$(mktemp)"
if ! dotnet publish "$root/src/EdgeRuntime/EdgeNet.EdgeRuntime.csproj" -c Release -r "$rid" -o "$out" -nologo -v q "${extra[@]}" >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "publish: dotnet publish for $target failed (log above)" >&2
  exit 1
fi
grep -Ev '^\s*$' "$log" || true   # the packages' own trim warnings (see ARCHITECTURE.md), if any
rm -f "$log"
[ -x "$out/edgenet" ] || { echo "publish: dotnet publish reported success but left no binary at $out/edgenet" >&2; exit 1; }
echo "publish: $out/edgenet ($(stat -c %s "$out/edgenet") bytes)"
