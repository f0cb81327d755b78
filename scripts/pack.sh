#!/usr/bin/env bash
# Packs the seven libraries (EdgeNet.Formats, .Kernels, .Rig, .Rig.Gpio, .Trainer, .Runtime, .Runtime.Devices) into artifacts/packages, the
# local feed samples/nuget.config names, and forgets the samples' restored copies so they take the new ones.
#   scripts/pack.sh             build in Release and pack
#   scripts/pack.sh --no-build  pack what `dotnet build EdgeNet.sln -c Release` made (the samples tests do this)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/artifacts/packages"
mkdir -p "$out"
rm -f "$out"/EdgeNet.*.nupkg
dotnet pack "$root/EdgeNet.sln" -c Release -o "$out" -nologo -v q "$@" 2>&1 | { grep -v "warning NU1603" || true; }
rm -rf "$root"/samples/obj/packages/edgenet.*
ls -l "$out"/EdgeNet.*.nupkg | awk '{printf "%s %\047d B\n", $NF, $5}'
