#!/usr/bin/env bash
# The chapter's MobileNetV2 example against the PyTorch peer, one after the other on this machine
# (../shared/peers/pytorch_mobilenet_v2.py: torchvision's MobileNetV2 with Keras' BN settings, same data,
# batch, optimizer and epochs), then the board's side: int8 against f32 on the whole test set, and
# inference against ONNX Runtime on the same weights. Writes artifacts/bench-mnv2/*.log.
#   scripts/bench-mobilenet.sh [EPOCHS] [SIZE]     (defaults 3, 96: the issue's goal; ~45 minutes in all)
# needs: apt-get install python3-torch python3-torchvision libopenblas0-pthread (the peer), python3-onnx
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
epochs="${1:-3}"; size="${2:-96}"
out="$root/artifacts/bench-mnv2"
mkdir -p "$out"
dotnet build EdgeNet.sln -c Release -nologo -v q 2>&1 | tail -n 1
train="dotnet src/Trainer.Host/bin/Release/net10.0/edgenet-train.dll"
edgenet="dotnet src/EdgeRuntime/bin/Release/net10.0/edgenet.dll"
peer=(/usr/bin/python3 ../shared/peers/pytorch_mobilenet_v2.py --alpha 0.35 --batch 64 --threads 2)
ours=(mobilenet --data fashion --alpha 0.35 --batch-size 64)
echo "== the goal: both sides at BN momentum 0.99, $epochs epochs at ${size}x${size}, BN statistics recomputed from 100 batches"
"${peer[@]}" --size "$size" --epochs "$epochs" --bn-momentum 0.99 --recalibrate-bn 100 --no-bench | tee "$out/peer-0.99.log"
$train "${ours[@]}" --size "$size" --epochs "$epochs" --bn-momentum 0.99 --recalibrate-bn 100 --out "$out/mnv2.keras.enb" | tee "$out/edgenet-0.99.log"
echo "== Keras' momentum 0.999 and its repair: 2 epochs at 32x32, both sides"
"${peer[@]}" --size 32 --epochs 2 --bn-momentum 0.999 --recalibrate-bn 100 --no-bench | tee "$out/peer-0.999.log"
$train "${ours[@]}" --size 32 --epochs 2 --bn-momentum 0.999 --recalibrate-bn 100 | tee "$out/edgenet-0.999.log"
echo "== OpenCL (PoCL on this CPU): 60 steps at ${size}x${size}"
$train "${ours[@]}" --size "$size" --epochs 1 --steps-per-epoch 60 --recalibrate-bn 0 --device opencl | tee "$out/edgenet-opencl.log"
echo "== export and the board: int8 against f32 on the 10,000 test images"
$train export "$out/mnv2.keras.enb" --to "$out/mnv2.enb" --quantize all --data fashion --eval-limit 200 --calibration 500 | sed -n 1,7p | tee "$out/export.log"
$edgenet eval "$out/mnv2-int8.enb" --data fashion --threads 2 --compare "$out/mnv2-f32.enb" | tee "$out/eval.log"
echo "== inference against ONNX Runtime (alpha 1.0 at 224, alpha 0.35 at 96; batch 1 and 50; 1 and 2 threads)"
dotnet tests/EdgeNet.Benchmarks/bin/Release/net10.0/EdgeNet.Benchmarks.dll mobilenet 2 | tee "$out/inference.log"
