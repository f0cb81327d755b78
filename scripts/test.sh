#!/usr/bin/env bash
# Builds the solution in Release and runs every MSTest project; ends with one summary line
# "Tests: N passed, N failed, N skipped".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log="$(mktemp)"
# The GEMM micro-kernels of every SIMD width are generated from one template: the checked-in file must be current.
if ! python3 scripts/gen-kernels.py --check; then echo "Tests: 0 passed, 1 failed (generated kernels out of date)"; exit 1; fi
# The AVX512-VNNI panel's machine code is compiled from its C source by GCC: the checked-in bytes must be current.
if ! python3 scripts/gen-vnni.py --check; then echo "Tests: 0 passed, 1 failed (the VNNI kernel's machine code is out of date)"; exit 1; fi
dotnet build EdgeNet.sln -c Release -nologo -v q 2>&1 | tail -n 20
build=${PIPESTATUS[0]}
if [ "$build" != 0 ]; then echo "Tests: 0 passed, 1 failed (the build failed)"; exit 1; fi
dotnet test EdgeNet.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
read -r passed failed skipped < <(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' |
  awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
# MSTest must have run tests: the capped runs and the arm64 check below count as one more, and must not hide an empty run.
if [ "$passed" = 0 ] && [ "$failed" = 0 ]; then echo "test: dotnet test ran no MSTest test" >&2; rc=1; fi
# The lower instruction-set levels this host can emulate by capping .NET's: the AVX2 kernels (what the
# NativeAOT x64 build runs) with the whole runtime suite, and the 128-bit ones with the golden kernel tests
# (capping AVX2 also removes hardware FMA, which .NET then emulates in software: training there crawls). On a
# host with AVX512-VNNI, the int8 panels the main run takes are the VNNI machine code: EDGENET_VNNI=0 runs the
# golden, imported-model and one-row dense tests once more on the AVX-512 C# panels (elsewhere the main run took them).
golden="--filter FullyQualifiedName~GoldenKernelTests|FullyQualifiedName~InstructionSetTests"
levels=("avx2 DOTNET_EnableAVX512=0" "vector128 DOTNET_EnableAVX2=0")
grep -qw avx512_vnni /proc/cpuinfo 2>/dev/null && levels=("avx512 EDGENET_VNNI=0" "${levels[@]}")
for level in "${levels[@]}"; do
  name="${level%% *}"; cap="${level#* }"
  echo "== again with $cap (the $name kernels)"
  runtime="tests/EdgeNet.Runtime.Tests"
  [ "$name" = vector128 ] && runtime="tests/EdgeNet.Runtime.Tests $golden"
  runs=("$runtime" "tests/EdgeNet.Trainer.Tests --filter FullyQualifiedName~GemmTests")
  [ "$name" = avx512 ] && runs=("tests/EdgeNet.Runtime.Tests $golden|FullyQualifiedName~ImportedModelTests|FullyQualifiedName~Int8DenseOneRowTests")
  expect="$name"; [ "$name" = avx512 ] && expect=""   # the VNNI-less pass: whatever this host's widest level is
  for run in "${runs[@]}"; do
    # shellcheck disable=SC2086
    env "$cap" EDGENET_EXPECT_ISA="$expect" dotnet test $run -c Release --no-build -nologo 2>&1 | tee "$log" | grep -E '^(Passed|Failed)!|^\s+Failed ' || true
    read -r p f s < <(grep -E '^(Passed|Failed)!' "$log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\2 \1 \3/' | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if [ "$p" = 0 ] || [ "$f" != 0 ]; then rc=1; fi
  done
done
rm -f "$log"
# The board build: NativeAOT linux-arm64 under qemu must match x64 and run the AdvSimd kernels.
if [ "${EDGENET_SKIP_ARM64:-0}" != 1 ]; then
  if firmware-tools/verify-arm64.sh "$root/artifacts/verify-arm64"; then passed=$((passed + 1)); else failed=$((failed + 1)); rc=1; fi
else
  echo "arm64: SKIPPED (EDGENET_SKIP_ARM64=1): the NativeAOT linux-arm64 build was not built or run under qemu"
  skipped=$((skipped + 1))
fi
echo "Tests: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
