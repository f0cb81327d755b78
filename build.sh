#!/usr/bin/env bash
# EdgeNet's two entry points (see README.md):
#   ./build.sh demo   set up, then train -> quantize -> export -> run on the edge runtime
#   ./build.sh test   set up, then build and run every test
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
case "${1:-}" in
  demo) shift; scripts/setup.sh; exec scripts/demo.sh "$@" ;;
  test) shift; scripts/setup.sh --arm64; exec scripts/test.sh "$@" ;;
  *) echo "usage: ./build.sh demo|test" >&2; exit 2 ;;
esac
