#!/usr/bin/env bash
# The main job: train the chapter's MLP on the MNIST digits, save it, and inspect the blob with the
# edge runtime's command line. Artifacts go to ./artifacts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out="$root/artifacts"
mkdir -p "$out"
echo "== build (Release)"
dotnet build EdgeNet.sln -c Release -nologo -v q 2>&1 | tail -n 3
train="dotnet src/Trainer.Host/bin/Release/net10.0/edgenet-train.dll"
edgenet="dotnet src/EdgeRuntime/bin/Release/net10.0/edgenet.dll"
echo "== train the chapter's MLP on the digits (Adam 1e-3, 6000 random batches of 50)"
$train mlp --data digits --steps 6000 --out "$out/mlp.keras.enb"
echo "== inspect the saved model"
$edgenet inspect "$out/mlp.keras.enb" --verify
