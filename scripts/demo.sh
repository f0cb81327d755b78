#!/usr/bin/env bash
# The main job: train the chapter's MLP on the MNIST digits, quantize and export it (f32, f16,
# int8 with an accuracy report), publish the NativeAOT edge runtime and run the int8 blob on it:
# accuracy on the test split, one digit classified, latency; the runtime fine-tunes the f32 blob on the
# board for digits seen askew (a new camera mount). Then the chapter's MobileNetV2 (BatchNormalization in
# training mode, folded at export, int8 on the board) on resized Fashion-MNIST. Then the chapter's DQN: trained on
# CartPole-v1, exported as int8, its greedy policy run by the edge runtime in the Rig physics, as
# simulated and as a mismatched rig, where the board then keeps learning (DQN updates between the
# rig's ticks) and is measured again; last, the rig over GPIO (the device code a real cart-pole runs,
# on a simulated chip with mismatched physics): self-test, the host's policy, and the board learning on
# it until its greedy return recovers; then rig.json is calibrated and a signed bundle installed into a folder
# tree standing in for a board (edgenet system). Artifacts go to ./artifacts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out="$root/artifacts"
mkdir -p "$out"
echo "== build (Release)"
dotnet build EdgeNet.sln -c Release -nologo -v q 2>&1 | tail -n 2
train="dotnet src/Trainer.Host/bin/Release/net10.0/edgenet-train.dll"
echo "== train the chapter's MLP on the digits (Adam 1e-3, 6000 random batches of 50)"
$train mlp --data digits --steps 6000 --out "$out/mlp.keras.enb"
echo "== quantize and export: f32, f16, int8 (500 calibration samples)"
$train export "$out/mlp.keras.enb" --to "$out/mlp.enb" --quantize all --data digits
echo "== publish the edge runtime (NativeAOT, linux-x64)"
firmware-tools/publish.sh linux-x64 "$out/edgenet-linux-x64"
edgenet="$out/edgenet-linux-x64/edgenet"
echo "== run the int8 blob on the edge runtime"
$edgenet eval "$out/mlp-int8.enb" --data digits
python3 - "$root/data/mnist-digits/7.json" "$out/digit7.raw" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["data"][:784]
open(sys.argv[2], "wb").write(bytes(int(round(v * 255)) for v in d))
PY
$edgenet run "$out/mlp-int8.enb" --input "$out/digit7.raw"
$edgenet bench "$out/mlp-int8.enb" --batch 1,50 --seconds 1
$edgenet inspect "$out/mlp-int8.enb" --verify | head -n 25
echo "== the camera pipeline: 300 held-out digits drawn on unevenly lit 640x480 pages (scaled, rotated, blurred, noisy),"
echo "   as YUYV frames, preprocessed as MNIST was made and read by the int8 MLP (the CNN does better: docs/benchmarks.md)"
$edgenet camera --synthetic 300 --model "$out/mlp-int8.enb"
echo "== learning on the board: the digits seen through a camera mounted 20-30 degrees askew; the edge runtime"
echo "   fine-tunes the f32 MLP's last layer on 1,000 rotated digits, re-quantizes it to int8 and measures 1,000 other rotated ones"
$edgenet finetune "$out/mlp-f32.enb" --data digits --out "$out/mlp-rotated.enb" --rotate 20:30 --layers last:1 --steps 300 --lr 0.003 --train-limit 1000 --eval-limit 1000 --int8
$edgenet bench "$out/mlp-f32.enb" --train --batch 50 --seconds 1
echo "== the chapter's MobileNetV2(weights=None), trained with training=True on Fashion-MNIST resized to 48x48 and repeated to RGB"
echo "   (alpha 0.35, 400 steps of batch 64 here; scripts/bench-mobilenet.sh runs the chapter's 3 epochs at 96x96 against PyTorch),"
echo "   its BN statistics recomputed after training, folded into the convolutions at export, int8 on the board"
$train mobilenet --data fashion --alpha 0.35 --size 48 --epochs 1 --steps-per-epoch 400 --bn-momentum 0.99 --recalibrate-bn 50 --out "$out/mobilenet.keras.enb"
$train export "$out/mobilenet.keras.enb" --to "$out/mobilenet.enb" --quantize all --data fashion --eval-limit 200 --calibration 256 | sed -n 1,7p
$edgenet eval "$out/mobilenet-f32.enb" --data fashion --limit 2000
$edgenet eval "$out/mobilenet-int8.enb" --data fashion --limit 2000
python3 - "$out/sneaker.pgm" <<'PY'
import gzip, sys
raw = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()[16:]
labels = gzip.open("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz").read()[8:]
i = labels.index(7)   # the first sneaker of the test set, as a 28x28 grey photo
open(sys.argv[1], "wb").write(b"P5\n28 28\n255\n" + raw[i * 784:(i + 1) * 784])
PY
$edgenet classify "$out/sneaker.pgm" --model "$out/mobilenet-int8.enb"
echo "== the chapter's DQN on CartPole-v1 (rl-baselines3-zoo hyperparameters), exported as int8 for the board"
$train dqn --seed 1 --out "$out/dqn.keras.enb" --export "$out/dqn.enb" --quantize int8,f32
$edgenet run "$out/dqn-int8.enb" --obs 0.01,0,-0.02,0
$edgenet rollout "$out/dqn-int8.enb" --episodes 100
echo "== the same policy on a rig unlike the simulation (pole 1.5x heavier, 40 ms motor lag, one tick of latency, sensor noise)"
$edgenet rollout "$out/dqn-int8.enb" --episodes 100 --physics pole_mass=0.15,motor_lag=0.04,latency=1,noise=0.01
echo "== the board keeps learning on that rig: DQN updates between its ticks (20,000 ticks = 400 s of rig time)"
$edgenet learn "$out/dqn-f32.enb" --physics pole_mass=0.15,motor_lag=0.04,latency=1,noise=0.01 --steps 20000 --out "$out/dqn-rig.enb"
$edgenet rollout "$out/dqn-rig.enb" --episodes 100 --physics pole_mass=0.15,motor_lag=0.04,latency=1,noise=0.01
echo "== the rig over GPIO: the same board code that drives a real cart-pole (dotnet/iot DCMotor on an H-bridge, quadrature"
echo "   encoders, limit switches, e-stop, watchdog) on a simulated GPIO chip whose physics differ from the host's: pole 1.5x"
echo "   heavier, 40 ms motor lag, one tick of latency, encoder noise; the state comes from encoder counts"
rig="pole_mass=0.15,motor_lag=0.04,latency=1,noise=0.002"
$edgenet rig selftest --simulated --physics "$rig"
$edgenet rig run --simulated --physics "$rig" --model "$out/dqn-int8.enb" --episodes 5
echo "== the board learns on that rig: act every tick, half a DQN step between ticks, judged greedily on the rig (50,000 ticks = 1,000 s of rig time)"
rm -rf "$out/rig-q.enb.ckpt"
$edgenet rig train --simulated --physics "$rig" --model "$out/dqn-f32.enb" --out "$out/rig-q.enb" --ticks 50000 --eval-episodes 100
$train plot "$out/rig-q.csv" --out "$out/rig-q.png"
echo "== deploy: rig.json calibrated on the simulated rig, then a signed bundle (the runtime, the learned Q-network, rig.json,"
echo "   the systemd unit) installed by the runtime itself into a folder tree standing in for a board (artifacts/board):"
echo "   signature, board and hashes checked, switched, self-tested, committed; then the next release and the status"
fw="dotnet firmware-tools/EdgeNet.Firmware/bin/Release/net10.0/edgenet-fw.dll"
$edgenet rig calibrate --simulated --write "$out/rig.json"
[ -f "$out/keys/bundle-signing.key" ] || $fw keys --out "$out/keys"
board="$out/board"
rm -rf "$board" && mkdir -p "$board/proc" "$board/etc/edgenet"
grep -m1 -E '^flags' /proc/cpuinfo >"$board/proc/cpuinfo"
cp "$out/keys/bundle-signing.pub" "$board/etc/edgenet/keyring.pem"
for version in 1.0.0 1.0.1; do
  $fw bundle --target x64 --version "$version" --key "$out/keys/bundle-signing.key" --binary "$edgenet" --model "$out/rig-q.enb" \
    --rig "$out/rig.json" --simulated-rig --service "rig run --config rig.json --model models/rig-q.enb --episodes 1000000" --out "$out/bundles" | tail -n 2
  $edgenet system install "$out/bundles/edgenet-$version-x64.tar.gz" --root "$board"
done
$edgenet system status --root "$board"
echo "== a fleet: Debian's Mosquitto started here with a generated configuration (edgenet-train fleet broker: TLS from a CA"
echo "   made here, a password per board, the ACL), the learner, and two boards acting on their simulated rigs in real"
echo "   time (50 Hz) for a minute; the learner trains on both boards' transitions and announces a model every 128 updates,"
echo "   which each board checks and swaps in between two ticks (scripts/bench-fleet.sh: 1, 4 and 8 boards to a greedy 475)"
fleet="$out/fleet"
rm -rf "$fleet"
$train fleet broker --dir "$fleet/broker" --boards rig-01,rig-02 --port 18883
chmod -R a+rX "$fleet/broker"; chmod a+rwx "$fleet/broker/db"   # mosquitto reads them as its own user (demo keys only)
mosquitto -c "$fleet/broker/mosquitto.conf" & mq=$!
boards=()
learner=""
# SIGTERM, not SIGINT: a script's background jobs start with SIGINT ignored, and .NET keeps an ignored signal ignored.
trap 'kill -TERM "${boards[@]}" $learner $mq 2>/dev/null || true' EXIT
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/18883) 2>/dev/null && break; sleep 0.1; done
$train fleet learn --broker mqtts://127.0.0.1:18883 --password-file "$fleet/broker/learner.password" --ca "$fleet/broker/ca.pem" \
  --model "$out/dqn-f32.enb" --out "$fleet/fleet-best.enb" --judge-physics "$rig" --seconds 60 & learner=$!
sleep 2
for id in rig-01 rig-02; do
  $edgenet fleet join --broker mqtts://127.0.0.1:18883 --id $id --password-file "$fleet/broker/$id.password" --ca "$fleet/broker/ca.pem" \
    --model "$out/dqn-f32.enb" --rig simulated --physics "$rig" --realtime --seed "${id: -1}" --models-dir "$fleet/models-$id" \
    --log "$fleet/$id-accepted.csv" > "$fleet/$id.log" 2>&1 & boards+=($!)
done
wait $learner
learner=""
kill -TERM "${boards[@]}"; wait "${boards[@]}" || true
boards=()
kill -TERM $mq; wait $mq || true
trap - EXIT
grep -h "^fleet board" "$fleet"/rig-0?.log
