#!/usr/bin/env bash
# The fleet's figures (issue #25, docs/benchmarks.md): boards are processes on this machine, the broker is Debian's
# Mosquitto started here with a generated configuration (edgenet-train fleet broker: TLS, passwords, the ACL).
#   1. one board alone: edgenet rig train on the mismatched simulated rig (virtual time; its ticks are rig time at 50 Hz)
#   2. fleets of 1, 4 and 8 boards in real time (each ticks at 50 Hz on the wall clock), the learner stopping at the
#      first judged greedy mean >= 475: time and env steps to it, staleness
#   3. faults: 2 boards; the broker restarted mid-run (SIGTERM, then started again), a board killed -9 mid-episode and
#      started again (a new incarnation), a blob that does not load announced with a correct hash; each board's log of
#      what the broker accepted against what the learner stored
# Usage: scripts/bench-fleet.sh [SIZES (default "1 4 8")] ; env: SECONDS_1/4/8 caps (900/420/300), SEED (1), OUT, FAULTS=0 (skip 3),
#   LEARN_ARGS (more fleet learn options, e.g. "--train-ratio 0.1").
# Needs mosquitto and mosquitto-clients (mosquitto_pub, for the bad announcement): installed here when missing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
sizes="${1-1 4 8}"   # "" runs no fleet (the fault phase alone)
seed="${SEED:-1}"
out="${OUT:-$root/artifacts/bench-fleet}"
rig="pole_mass=0.15,motor_lag=0.04,latency=1,noise=0.002"
for pkg in mosquitto:/usr/sbin/mosquitto mosquitto-clients:/usr/bin/mosquitto_pub; do
  [ -x "${pkg#*:}" ] || { echo "bench-fleet: installing ${pkg%%:*}"; apt-get install -y -q "${pkg%%:*}" >/dev/null; }
done
dotnet build EdgeNet.sln -c Release -nologo -v q 2>&1 | tail -n 1
mkdir -p "$out"
# The run uses copies of the builds: a rebuild meanwhile must not change what the running processes load.
rm -rf "$out/bin-train" "$out/bin-edge"
cp -r src/Trainer.Host/bin/Release/net10.0 "$out/bin-train"
cp -r src/EdgeRuntime/bin/Release/net10.0 "$out/bin-edge"
T="dotnet $out/bin-train/edgenet-train.dll"
E="${EDGENET:-dotnet $out/bin-edge/edgenet.dll}"
model="$out/dqn-f32.enb"
[ -f "$model" ] || [ ! -f artifacts/dqn-f32.enb ] || cp artifacts/dqn-f32.enb "$model"
[ -f "$model" ] || $T dqn --seed 1 --out "$out/dqn.keras.enb" --export "$model" --quantize f32 | tail -n 1
port=$((18000 + RANDOM % 1000))
broker="$out/broker"
rm -rf "$broker"
$T fleet broker --dir "$broker" --boards "$(seq -f 'rig-%02g' 1 8 | paste -sd,)" --port $port
chmod -R a+rX "$broker"; chmod a+rwx "$broker/db"   # mosquitto drops to its own user before reading (benchmark keys only)
mq=""
learner=""
pids=()
start_broker() {
  mosquitto -c "$broker/mosquitto.conf" 2>>"$out/mosquitto.err" & mq=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && return; sleep 0.1; done
  echo "bench-fleet: mosquitto did not listen on $port: $(tail -n 3 "$out/mosquitto.err")" >&2; exit 1
}
# Each phase starts from an empty broker: sessions and retained messages of the one before would leak into it.
fresh_broker() { rm -rf "$broker/db"/*; start_broker; }
stop_broker() { [ -z "$mq" ] || { kill -TERM $mq 2>/dev/null || true; wait $mq 2>/dev/null || true; }; }
# SIGTERM, not SIGINT: a script's background jobs start with SIGINT ignored, and .NET keeps an ignored signal ignored.
stop_boards() { [ ${#pids[@]} -eq 0 ] || { kill -TERM "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; }; pids=(); }
trap 'stop_boards; [ -z "$learner" ] || kill -TERM $learner 2>/dev/null || true; stop_broker' EXIT
url="mqtts://127.0.0.1:$port"
learn() { exec $T fleet learn --broker $url --password-file "$broker/learner.password" --ca "$broker/ca.pem" --model "$model" --judge-physics $rig --seed $seed ${LEARN_ARGS:-} "$@"; }
join() { local id=$1; shift; exec $E fleet join --broker $url --id $id --password-file "$broker/$id.password" --ca "$broker/ca.pem" --model "$model" --rig simulated --physics $rig --models-dir "$out/models-$id" "$@"; }

echo "== one board alone: edgenet rig train (virtual time), seed $seed"
rm -rf "$out/alone.enb.ckpt"
$E rig train --simulated --physics $rig --model "$model" --out "$out/alone.enb" --ticks 50000 --eval-episodes 20 --seed $seed > "$out/alone.log"
grep -E "judged at tick|after:|wrote" "$out/alone.log" | head -n 40 || true
python3 - "$out/alone.log" <<'PY'
import re, sys
for line in open(sys.argv[1]):
    m = re.search(r"judged at tick\s+(\d+).*greedy mean\s+([\d.]+)\s+<- kept", line)
    if m and float(m.group(2)) >= 475:
        print(f"alone: first kept judgement >= 475 ({m.group(2)}) at tick {m.group(1)} = {int(m.group(1)) / 50:.0f} s of rig time at 50 Hz (judging episodes included)")
        break
else:
    print("alone: no kept judgement reached 475")
PY

for n in $sizes; do
  [ "$n" -le 8 ] || { echo "bench-fleet: the broker has users rig-01..rig-08 only" >&2; exit 1; }
  echo "== a fleet of $n board(s), real time (50 Hz each)"
  fresh_broker
  cap_var="SECONDS_$n"; cap="${!cap_var:-$([ "$n" -le 1 ] && echo 900 || ([ "$n" -le 4 ] && echo 420 || echo 300))}"
  learn --out "$out/fleet-$n.enb" --stop-at-target --seconds "$cap" > "$out/learn-$n.log" 2>&1 & learner=$!
  sleep 3
  pids=()
  for i in $(seq 1 "$n"); do
    id=$(printf 'rig-%02d' "$i")
    join $id --realtime --seed $((seed * 100 + i)) --log "$out/accepted-$n-$id.csv" > "$out/board-$n-$id.log" 2>&1 & pids+=($!)
  done
  wait $learner || true
  learner=""
  stop_boards
  stop_broker
  grep -E "^(solved|not solved|staleness|received)" "$out/learn-$n.log" || true
done

[ "${FAULTS:-1}" = 1 ] || exit 0
echo "== faults: 2 boards; broker restart at 20 s, rig-02 killed -9 at 35 s and started again, a broken blob announced at 45 s"
rm -f "$out"/accepted-faults-*.csv
fresh_broker
learn --out "$out/faults.enb" --judge-every 0 > "$out/learn-faults.log" 2>&1 & learner=$!
sleep 3
join rig-01 --realtime --seed 11 --log "$out/accepted-faults-rig-01.csv" > "$out/board-faults-rig-01.log" 2>&1 & b1=$!
join rig-02 --realtime --seed 12 --log "$out/accepted-faults-rig-02.csv" > "$out/board-faults-rig-02.log" 2>&1 & b2=$!
pids=($b1 $b2)
sleep 17; echo "  broker: SIGTERM, restarted"; stop_broker; sleep 1; start_broker
sleep 15; echo "  rig-02: kill -9 mid-episode, started again"; kill -9 $b2; wait $b2 2>/dev/null || true
join rig-02 --realtime --seed 13 --log "$out/accepted-faults-rig-02.csv" > "$out/board-faults-rig-02b.log" 2>&1 & b2=$!
pids=($b1 $b2)
sleep 10
head -c 3000 "$model" > "$out/broken.enb"
python3 - "$out/broken.enb" "$out/broken.announcement" <<'PY'
import hashlib, struct, sys
blob = open(sys.argv[1], "rb").read()
open(sys.argv[2], "wb").write(struct.pack("<BBHIQ", 1, 1, 0, 999, len(blob)) + hashlib.sha256(blob).digest() + blob)
PY
mosquitto_pub --cafile "$broker/ca.pem" -h 127.0.0.1 -p $port -u learner -P "$(cat "$broker/learner.password")" -t edgenet/model/current -q 1 -f "$out/broken.announcement"
echo "  announced a broken blob (3,000 bytes of a model, its SHA-256 correct) as model 999"
sleep 10
stop_boards   # SIGTERM: each board sends what it has queued, then exits
sleep 5       # the learner takes the last batches
kill -TERM $learner; wait $learner || true
learner=""
stop_broker
grep -E "^(received|staleness)" "$out/learn-faults.log" || true
python3 - "$out" <<'PY'
import collections, glob, os, re, sys
out = sys.argv[1]
logged = collections.Counter()
for f in glob.glob(os.path.join(out, "accepted-faults-*.csv")):
    board = re.search(r"accepted-faults-(.*)\.csv", f).group(1)
    for line in open(f):
        first, count, _ = line.strip().split(",")
        logged[(board, int(first) >> 32)] += int(count)
stored = {}
for line in open(os.path.join(out, "learn-faults.log")):
    m = re.match(r"\s*stored from (\S+) incarnation ([0-9a-f]{8}): (\d+) transitions", line)
    if m:
        stored[(m.group(1), int(m.group(2), 16))] = int(m.group(3))
for key in sorted(set(logged) | set(stored)):
    print(f"  {key[0]} incarnation {key[1]:08x}: logged by the board as accepted {logged.get(key, 0)}, stored by the learner {stored.get(key, 0)}")
PY
grep -hE "^fleet board|refused|model 999" "$out"/board-faults-*.log | cut -c1-400 || true
