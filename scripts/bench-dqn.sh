#!/usr/bin/env bash
# DQN on CartPole-v1, EdgeNet against the PyTorch peer in one run on this machine (docs/benchmarks.md):
#   - one gradient step (batch 64, 4-256-256-2) and one greedy action, with the step's FLOPs at the SGEMM
#     rate measured in the same process;
#   - the whole 50,000-step run for each seed, plain and Double DQN: env steps to solve, wall time;
#   - the exported int8 Q-network against its float original;
#   - ../shared/peers/pytorch_dqn_cartpole.py (same hyperparameters, 2 threads) for seed 1.
# usage: scripts/bench-dqn.sh [SEEDS...]   (default 1 2 3 4 5); peers: apt-get install python3-torch libopenblas0-pthread
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seeds=("${@:-1 2 3 4 5}")
[ "$#" -gt 0 ] || seeds=(1 2 3 4 5)
out="$root/artifacts/bench-dqn"
mkdir -p "$out"
dotnet build EdgeNet.sln -c Release -nologo -v q 2>&1 | tail -n 1
train="dotnet src/Trainer.Host/bin/Release/net10.0/edgenet-train.dll"
bench="dotnet tests/EdgeNet.Benchmarks/bin/Release/net10.0/EdgeNet.Benchmarks.dll"
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
$bench dqn 3
for mode in plain double; do
  flag=""; [ "$mode" = double ] && flag="--double"
  for seed in "${seeds[@]}"; do
    echo "== edgenet-train dqn --seed $seed $flag (1 thread)"
    $train dqn --seed "$seed" $flag --out "$out/dqn-$mode-$seed.keras.enb" | grep -E '^(run|solved|kept)'
  done
done
$bench dqn-int8 "$out"/dqn-plain-*.keras.enb
peer="$root/../shared/peers/pytorch_dqn_cartpole.py"
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import torch' 2>/dev/null && [ -f "$peer" ]; then
  echo "== PyTorch peer, seed 1 (2 threads)"
  /usr/bin/python3 "$peer" --seed 1 --threads 2 | tail -n 4
else
  echo "== PyTorch peer skipped: apt-get install python3-torch libopenblas0-pthread"
fi
