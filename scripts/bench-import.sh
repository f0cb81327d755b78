#!/usr/bin/env bash
# The ONNX importer on torchvision's classification families: exports them (scripts/onnx-zoo.py: random weights,
# 96x96, opset 13), imports each with `edgenet-train import --check` (the imported model against ONNX Runtime) and
# prints one line per family: its parameters against the file's and the largest difference, or why it was refused.
# Needs the peers: apt-get install python3-torch python3-torchvision python3-onnx   usage: scripts/bench-import.sh [OUT]
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="${1:-artifacts/bench-import}"
mkdir -p "$out"
/usr/bin/python3 scripts/onnx-zoo.py "$out" --size 96 2>/dev/null | tee "$out/zoo.log"
dotnet build src/Trainer.Host -c Release -nologo -v q 2>&1 | grep -E " error |rror\(s\)" | grep -v " 0 Error" && exit 1
for f in "$out"/*.onnx; do
  name="$(basename "$f" .onnx)"
  line="$(dotnet src/Trainer.Host/bin/Release/net10.0/edgenet-train.dll import "$f" --to "$out/$name.enb" --check 2>&1 |
    grep -E "parameters:|largest difference|^edgenet-train:" | sed -E 's/^.*(parameters:)/\1/; s/ \(the imported model.*//' | tr '\n' ' ')"
  echo "$name: $line"
done | tee "$out/import.log"
