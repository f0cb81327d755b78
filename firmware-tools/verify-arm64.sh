#!/usr/bin/env bash
# Cross-publishes the runtime for linux-arm64 with NativeAOT, runs it under qemu-aarch64 on a blob
# the trainer exports, and checks (1) its outputs equal the x64 build's within 1e-5 and (2) it runs
# the AdvSimd kernels. Prints one "arm64: ... ok" line, exits non-zero on any difference.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="${1:-$root/artifacts/verify-arm64}"
mkdir -p "$work"
command -v qemu-aarch64-static >/dev/null || { echo "arm64: qemu-aarch64-static missing (scripts/setup.sh --arm64)" >&2; exit 1; }
"$root/firmware-tools/publish.sh" linux-x64 "$work/x64" >/dev/null
"$root/firmware-tools/publish.sh" linux-arm64 "$work/arm64" >/dev/null
"$root/firmware-tools/publish.sh" linux-arm64-dotprod "$work/arm64-dotprod" >/dev/null
train="dotnet $root/src/Trainer.Host/bin/Release/net10.0/edgenet-train.dll"
# The blobs are made anew by this build's trainer every time (no blob of an older build is reused).
rm -f "$work"/*.enb
$train mlp --data digits --steps 300 --seed 5 --out "$work/mlp.keras.enb" >/dev/null
$train export "$work/mlp.keras.enb" --to "$work/mlp.enb" --quantize all --eval-limit 200 --calibration 200 >/dev/null
$train cnn --data digits --steps 40 --seed 5 --out "$work/cnn.keras.enb" >/dev/null
$train export "$work/cnn.keras.enb" --to "$work/cnn.enb" --quantize all --eval-limit 50 --calibration 100 >/dev/null
$train lstm --steps 30 --units 64 --export "$work/lstm.enb" >/dev/null
qemu="qemu-aarch64-static -L /usr/aarch64-linux-gnu"
# compare X64_VALUES ARM_VALUES LABEL BUILD [relative [TOLERANCE]]: the largest difference (relative to
# max(1, |x|) with "relative") of two space-separated output lists must be <= TOLERANCE (default 1e-5).
compare() {
  python3 - "$@" <<'PY'
import sys
a = [float(v) for v in sys.argv[1].split()]; b = [float(v) for v in sys.argv[2].split()]
rel = len(sys.argv) > 5 and sys.argv[5] == "relative"
tol = float(sys.argv[6]) if len(sys.argv) > 6 else 1e-5
d = max(abs(x - y) / (max(1.0, abs(x)) if rel else 1.0) for x, y in zip(a, b)) if len(a) == len(b) and a else float("inf")
print(f"{sys.argv[4]}: {sys.argv[3]} vs x64: max {'relative ' if rel else ''}diff = {d:.2e} over {len(a)} values")
sys.exit(0 if d <= tol else 1)
PY
}
digits="$root/data/mnist-digits"
# A real digit as a raw 28x28 image.
python3 - "$digits/3.json" "$work/digit.raw" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["data"][:784]
open(sys.argv[2], "wb").write(bytes(int(round(v * 255)) for v in d))
PY
fail=0
for blobname in mlp-f32 mlp-f16 mlp-int8 cnn-f32 cnn-f16 cnn-int8; do
  blob="$work/$blobname.enb"
  scheme="$blobname"
  x64=$("$work/x64/edgenet" run "$blob" --input "$work/digit.raw" --print-outputs | sed -n 's/^outputs: //p')
  arm=$($qemu "$work/arm64/edgenet" run "$blob" --input "$work/digit.raw" --print-outputs | sed -n 's/^outputs: //p')
  dot=$($qemu -cpu max "$work/arm64-dotprod/edgenet" run "$blob" --input "$work/digit.raw" --print-outputs | sed -n 's/^outputs: //p')
  for pair in "arm64:$arm" "arm64-dotprod:$dot"; do
    compare "$x64" "${pair#*:}" "$scheme" "${pair%%:*}" || fail=1
  done
done
# A batch larger than 1 (50 real digits in one Invoke): every output value as on x64.
for blobname in mlp-f32 mlp-f16 mlp-int8 cnn-f32 cnn-int8; do
  batch=(eval "$work/$blobname.enb" --data digits --limit 50 --batch 50 --print-outputs)
  x64=$("$work/x64/edgenet" "${batch[@]}" | sed -n 's/^outputs: //p')
  arm=$($qemu "$work/arm64/edgenet" "${batch[@]}" | sed -n 's/^outputs: //p')
  compare "$x64" "$arm" "$blobname (batch 50)" arm64 || fail=1
done
# MobileNetV2 (depthwise convolutions, residual adds, global average pooling, BN folded, ReLU6; its image
# pipeline from the blob's metadata): a short training at 32x32 on Fashion-MNIST, f32 within 1e-5 and int8
# equal to x64's on every build, for 20 images in batches of 10.
$train mobilenet --data fashion --alpha 0.35 --size 32 --epochs 1 --steps-per-epoch 8 --train-limit 600 --batch-size 16 --recalibrate-bn 4 --out "$work/mnv2.keras.enb" >/dev/null
$train export "$work/mnv2.keras.enb" --to "$work/mnv2.enb" --quantize all --data fashion --eval-limit 20 --calibration 64 >/dev/null
for scheme in f32 int8; do
  mb=(eval "$work/mnv2-$scheme.enb" --data fashion --limit 20 --batch 10 --print-outputs)
  x64=$("$work/x64/edgenet" "${mb[@]}" | sed -n 's/^outputs: //p')
  arm=$($qemu "$work/arm64/edgenet" "${mb[@]}" | sed -n 's/^outputs: //p')
  dot=$($qemu -cpu max "$work/arm64-dotprod/edgenet" "${mb[@]}" | sed -n 's/^outputs: //p')
  tol=1e-5; [ "$scheme" = int8 ] && tol=1e-6   # int8: equal logits; the float softmax after them may differ in an ulp
  for pair in "arm64:$arm" "arm64-dotprod:$dot"; do
    compare "$x64" "${pair#*:}" "mobilenet_v2-$scheme (batch 10)" "${pair%%:*}" relative "$tol" || fail=1
  done
done
# Models PyTorch's exporter wrote (squeeze-and-excitation gates, hard swish, SiLU: mul and the int8 lookup tables,
# NEON's tbl; ShuffleNetV2's channel split, concatenation and shuffle, NEON's zip): imported, calibrated on
# Fashion-MNIST, f32 within 1e-5 and int8 equal on every build.
for model in se_block shuffle; do
$train import "$root/tests/EdgeNet.Trainer.Tests/OnnxFiles/$model.onnx" --to "$work/$model.enb" --quantize all --calibration fashion --normalize 0.5,0.5 >/dev/null
for scheme in f32 int8; do
  se=(eval "$work/$model-$scheme.enb" --data fashion --limit 20 --batch 10 --print-outputs)
  x64=$("$work/x64/edgenet" "${se[@]}" | sed -n 's/^outputs: //p')
  arm=$($qemu "$work/arm64/edgenet" "${se[@]}" | sed -n 's/^outputs: //p')
  dot=$($qemu -cpu max "$work/arm64-dotprod/edgenet" "${se[@]}" | sed -n 's/^outputs: //p')
  tol=1e-5; [ "$scheme" = int8 ] && tol=1e-6
  for pair in "arm64:$arm" "arm64-dotprod:$dot"; do
    compare "$x64" "${pair#*:}" "imported $model-$scheme (batch 10)" "${pair%%:*}" relative "$tol" || fail=1
  done
done
done
# The char-LSTM (lstm op, fused vector cell): the same sampled text on every build.
gen=(generate "$work/lstm.enb" --seed "the " --temperature 0.5 --length 60 --random-seed 3)
lx64=$("$work/x64/edgenet" "${gen[@]}")
larm=$($qemu "$work/arm64/edgenet" "${gen[@]}")
ldot=$($qemu -cpu max "$work/arm64-dotprod/edgenet" "${gen[@]}")
if [ "$lx64" = "$larm" ] && [ "$lx64" = "$ldot" ] && [ -n "$lx64" ]; then
  echo "arm64: char-LSTM generates the same $(printf %s "$lx64" | wc -c) bytes as x64 on both builds"
else
  printf 'arm64: char-LSTM text differs\n  x64:   %s\n  arm64: %s\n  dot:   %s\n' "$lx64" "$larm" "$ldot" >&2
  fail=1
fi
# The DQN Q-network (a vector model; f32 and int8 with float input layer and head): the same Q-values
# for three observations and the same greedy returns in the Rig physics on every build. Trained anew
# each time (a 3,000-step run takes seconds), so no stale blob is reused.
$train dqn --steps 3000 --eval-every 0 --seed 2 --export "$work/dqn-f32.enb" >/dev/null
$train dqn --steps 3000 --eval-every 0 --seed 2 --export "$work/dqn-int8.enb" --quantize int8 >/dev/null
for scheme in f32 int8; do
  for obs in 0.01,0,-0.02,0 -0.4,0.3,0.1,-0.5 1.1,-0.9,-0.15,1.2; do
    x64=$("$work/x64/edgenet" run "$work/dqn-$scheme.enb" --obs "$obs" --print-outputs | sed -n 's/^outputs: //p')
    arm=$($qemu "$work/arm64/edgenet" run "$work/dqn-$scheme.enb" --obs "$obs" --print-outputs | sed -n 's/^outputs: //p')
    compare "$x64" "$arm" "dqn-$scheme ($obs) Q-values" arm64 relative || fail=1
  done
  rx64=$("$work/x64/edgenet" rollout "$work/dqn-$scheme.enb" --episodes 20 | head -n 1)
  rarm=$($qemu "$work/arm64/edgenet" rollout "$work/dqn-$scheme.enb" --episodes 20 | head -n 1)
  if [ "$rx64" = "$rarm" ] && [ -n "$rx64" ]; then
    echo "arm64: dqn-$scheme rollout as on x64: $rarm"
  else
    printf 'arm64: dqn-%s rollout differs
  x64:   %s
  arm64: %s
' "$scheme" "$rx64" "$rarm" >&2
    fail=1
  fi
done
# Training on the board: the same fine-tune steps (the MLP and the CNN, every layer) give the same loss
# sequence on x64 and arm64 within 1e-4 relative (the GEMMs sum in other orders at other widths, and
# Adam carries the differences from step to step).
for spec in "mlp-f32 50 16" "cnn-f32 50 4"; do
  read -r blobname steps batch <<<"$spec"
  ft=(finetune "$work/$blobname.enb" --data digits --steps "$steps" --batch "$batch" --train-limit 400 --eval-limit 50 --print-losses)
  x64=$("$work/x64/edgenet" "${ft[@]}" --out "$work/$blobname-ft-x64.enb" | sed -n 's/^losses: //p')
  arm=$($qemu "$work/arm64/edgenet" "${ft[@]}" --out "$work/$blobname-ft-arm64.enb" | sed -n 's/^losses: //p')
  compare "$x64" "$arm" "$blobname fine-tune losses ($steps steps, batch $batch)" arm64 relative 1e-4 || fail=1
done
# The rig over GPIO on the board build (the device classes, the simulated chip, the watchdog thread, the
# control loop): the self-test passes, the host's policy gets the same returns on the simulated rig as on
# x64, and the board learns on it (a short run: it must finish and write its blob and checkpoint).
st=$($qemu "$work/arm64/edgenet" rig selftest --simulated | tail -n 1)
[ "$st" = "self-test passed" ] && echo "arm64: rig selftest on the simulated GPIO chip: passed" || { echo "arm64: rig selftest: $st" >&2; fail=1; }
rr=(rig run --simulated --physics pole_mass=0.15,latency=1 --model "$work/dqn-f32.enb" --episodes 3)
rx64=$("$work/x64/edgenet" "${rr[@]}" | grep -E '^  episode' || true)
rarm=$($qemu "$work/arm64/edgenet" "${rr[@]}" | grep -E '^  episode' || true)
if [ "$rx64" = "$rarm" ] && [ -n "$rx64" ]; then
  echo "arm64: rig run on the simulated GPIO rig as on x64: $(echo "$rarm" | tr -s ' ' | tr '\n' ';')"
else
  printf 'arm64: rig run differs\n  x64:   %s\n  arm64: %s\n' "$rx64" "$rarm" >&2
  fail=1
fi
if $qemu "$work/arm64/edgenet" rig train --simulated --physics pole_mass=0.15,latency=1 --model "$work/dqn-f32.enb" --out "$work/rig-arm64.enb" \
    --ticks 1500 --learning-starts 300 --judge-every 500 --judge-episodes 2 --eval-episodes 2 --replay-mb 1 >"$work/rig-train.log" 2>&1 \
    && [ -f "$work/rig-arm64.enb.ckpt/state.json" ]; then
  echo "arm64: rig train: $(grep '^wrote' "$work/rig-train.log" | cut -c1-160)"
else
  cat "$work/rig-train.log" >&2
  echo "arm64: rig train failed" >&2
  fail=1
fi
# Signed bundles (edgenet system): the host's edgenet-fw bundles the arm64 binary for a Pi 4 and a Pi 5; the arm64
# build verifies them under qemu against a folder tree standing in for each board (device tree, cpuinfo, device
# nodes), and refuses a bad signature, a changed file, the wrong board, a too-old glibc and a missing device node.
fw="dotnet $root/firmware-tools/EdgeNet.Firmware/bin/Release/net10.0/edgenet-fw.dll"
rm -rf "$work/deploy" && mkdir -p "$work/deploy"
d="$work/deploy"
$fw keys --out "$d/keys" >/dev/null
$fw keys --out "$d/other" >/dev/null
printf '{"motor": {"pwm_chip": 0}}\n' >"$d/rig.json"
bundle() { $fw bundle --target "$1" --version "$2" --key "$3" --binary "$work/$4/edgenet" --model "$work/mlp-int8.enb" --rig "$d/rig.json" --service "rig run --config rig.json --model models/mlp-int8.enb" --out "$d/b" | sed -n 's/^bundle: \([^ ]*\).*/\1/p'; }
pi4=$(bundle rpi4 1.0.0 "$d/keys/bundle-signing.key" arm64)
pi5=$(bundle rpi5 1.0.0 "$d/keys/bundle-signing.key" arm64-dotprod)
foreign=$(bundle rpi4 1.0.1 "$d/other/bundle-signing.key" arm64)
board() { # board NAME COMPATIBLE FEATURES [no-pwm]
  mkdir -p "$d/$1/proc/device-tree" "$d/$1/dev" "$d/$1/etc/edgenet"
  printf '%s' "$2" >"$d/$1/proc/device-tree/compatible"
  printf 'processor\t: 0\nFeatures\t: %s\n' "$3" >"$d/$1/proc/cpuinfo"
  : >"$d/$1/dev/gpiochip0"
  [ "${4:-}" = no-pwm ] || mkdir -p "$d/$1/sys/class/pwm/pwmchip0"
  cp "$d/keys/bundle-signing.pub" "$d/$1/etc/edgenet/keyring.pem"
}
board pi4 $'raspberrypi,4-model-b\0brcm,bcm2711\0' "fp asimd evtstrm crc32 cpuid"
board pi5 $'raspberrypi,5-model-b\0brcm,bcm2712\0' "fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp"
board pi4-no-pwm $'raspberrypi,4-model-b\0brcm,bcm2711\0' "fp asimd evtstrm crc32 cpuid" no-pwm
python3 - "$pi4" "$d/changed.tar.gz" <<'PY'
import io, sys, tarfile
src, dst = sys.argv[1], sys.argv[2]
with tarfile.open(src, "r:gz") as tin, tarfile.open(dst, "w:gz") as tout:
    for m in tin.getmembers():
        data = bytearray(tin.extractfile(m).read())
        if m.name.startswith("models/"):
            data[-3] ^= 1
        m.size = len(data)
        tout.addfile(m, io.BytesIO(bytes(data)))
PY
# expect NAME BUNDLE ROOT WANT [ARGS...]: edgenet system verify under qemu exits 0 (WANT ok) or 2 with WANT in its message.
expect() {
  local name="$1" bundle="$2" tree="$3" want="$4"; shift 4
  local out rc=0
  out=$($qemu "$work/arm64/edgenet" system verify "$bundle" --root "$d/$tree" "$@" 2>&1) || rc=$?
  if { [ "$want" = ok ] && [ "$rc" = 0 ]; } || { [ "$want" != ok ] && [ "$rc" = 2 ] && [[ "$out" == *"$want"* ]]; }; then
    echo "arm64: system verify, $name: $(echo "$out" | head -n 1 | cut -c1-150)"
  else
    printf 'arm64: system verify, %s: expected %s, got (exit %s):\n%s\n' "$name" "$want" "$rc" "$out" >&2
    fail=1
  fi
}
expect "rpi4 bundle on a Pi 4" "$pi4" pi4 ok
expect "rpi5 bundle (SDOT build) on a Pi 5" "$pi5" pi5 ok
expect "bad signature" "$foreign" pi4 "signature: manifest.json is not signed by a key in"
expect "changed file" "$d/changed.tar.gz" pi4 "files[models/mlp-int8.enb].sha256: the archive's file"
expect "wrong board" "$pi5" pi4 "compatible: the bundle is for rpi5"
expect "too-old glibc" "$pi4" pi4 "min_glibc: needs glibc 2.34, this board has 2.31" --assume-glibc 2.31
expect "missing device node" "$pi4" pi4-no-pwm "devices: /sys/class/pwm/pwmchip0 does not exist"
isa=$($qemu "$work/arm64/edgenet" eval "$work/mlp-int8.enb" --limit 100)
echo "arm64: $isa"
case "$isa" in *advsimd*) ;; *) echo "arm64: the arm64 build does not report AdvSimd kernels" >&2; fail=1 ;; esac
dotisa=$($qemu -cpu max "$work/arm64-dotprod/edgenet" eval "$work/mlp-int8.enb" --limit 100)
echo "arm64-dotprod: $dotisa"
case "$dotisa" in *sdot*) ;; *) echo "arm64: the dotprod build does not run the SDOT int8 kernel" >&2; fail=1 ;; esac
[ "$fail" = 0 ] && echo "arm64: NativeAOT linux-arm64 ($(stat -c %s "$work/arm64/edgenet") bytes; +dotprod $(stat -c %s "$work/arm64-dotprod/edgenet")) under qemu matches x64 and uses AdvSimd (and SDOT): ok"
exit "$fail"
