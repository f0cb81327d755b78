#!/usr/bin/env bash
# All benchmark figures of docs/benchmarks.md in one run, peers included, nothing else running:
# EdgeNet's SGEMM against the FMA roofline, training steps/s of the chapter's models on the CPU
# backend, inference of the edge runtime (f32, int8) against ONNX Runtime on the same weights,
# the DQN's gradient step and greedy action, and the PyTorch peer (../shared/peers/pytorch_chapter_bench.py,
# Debian python3-torch + OpenBLAS: apt-get install python3-torch libopenblas0-pthread).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-3}"
dotnet build tests/EdgeNet.Benchmarks -c Release -nologo -v q 2>&1 | tail -n 1
bench="dotnet tests/EdgeNet.Benchmarks/bin/Release/net10.0/EdgeNet.Benchmarks.dll"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
$bench gemm "$seconds"
$bench train "$seconds"
$bench inference "$seconds"
$bench opencl "$seconds"
$bench dqn "$seconds"
peer="$root/../shared/peers/pytorch_chapter_bench.py"
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import torch' 2>/dev/null && [ -f "$peer" ]; then
  echo "== PyTorch peer (2 threads)"
  /usr/bin/python3 "$peer" --threads 2 --seconds "$seconds"
else
  echo "== PyTorch peer skipped: apt-get install python3-torch libopenblas0-pthread"
fi
echo "== DQN on CartPole against the PyTorch DQN peer (5 seeds, plain and Double DQN, about 8 minutes): scripts/bench-dqn.sh"
