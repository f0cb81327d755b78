#!/usr/bin/env bash
# The camera pipeline against OpenCV on the same frames, in one run:
#   scripts/bench-camera.sh MODEL.enb [FRAMES]
# MODEL: a digit model blob (the chapter's CNN as int8: edgenet-train cnn --data digits --out cnn.keras.enb,
# then edgenet-train export cnn.keras.enb --to cnn.enb --quantize all --data digits). The NativeAOT runtime
# runs the synthetic camera (held-out digits on unevenly lit 640x480 pages, YUYV) and saves the frames;
# OpenCV (Debian: apt-get install -y python3-opencv; run with /usr/bin/python3) preprocesses the same frames.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:?usage: bench-camera.sh MODEL.enb [FRAMES]}"
n="${2:-1000}"
/usr/bin/python3 -c 'import cv2' 2>/dev/null || { echo "bench-camera: OpenCV for Python is missing: apt-get install -y python3-opencv" >&2; exit 1; }
edgenet="$root/artifacts/edgenet-linux-x64/edgenet"
[ -x "$edgenet" ] || "$root/firmware-tools/publish.sh" linux-x64 "$root/artifacts/edgenet-linux-x64"
frames="$(mktemp -d)"
trap 'rm -rf "$frames"' EXIT
cd "$root"
ours=$("$edgenet" camera --synthetic "$n" --model "$model" --save-frames "$frames")
echo "$ours"
cv=$(/usr/bin/python3 "$root/scripts/bench-camera.py" "$frames" 640 480)
echo "$cv"
/usr/bin/python3 - "$ours" "$cv" <<'PY'
import re, sys
ours, cv = sys.argv[1], sys.argv[2]
d = re.search(r"decode ([0-9.]+)/([0-9.]+) ms, preprocess ([0-9.]+)/([0-9.]+) ms, inference ([0-9.]+)/([0-9.]+) ms", ours)
c = re.search(r"p50/p99: ([0-9.]+)/([0-9.]+) ms", cv)
dec, pre, inf = float(d.group(1)), float(d.group(3)), float(d.group(5))
print(f"edgenet YUYV->grey + preprocessing p50 {dec + pre:.3f} ms vs OpenCV's steps {float(c.group(1)):.3f} ms: "
      f"{float(c.group(1)) / (dec + pre):.2f}x; preprocessing + int8 inference p50 {pre + inf:.3f} ms (goal < 5 ms)")
PY
