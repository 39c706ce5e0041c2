#!/usr/bin/env bash
# run.sh - build and run the libFuzzer driver tests/fuzz/fuzz_request.c.
#
#   tests/fuzz/run.sh [SECONDS] [-- extra libFuzzer flags]
#
# Builds build-fuzz/ with clang (Debian's clang 14: libFuzzer comes with
# it; if linking fails, apt-get install libclang-rt-14-dev) and ASan+UBSan:
#
#   CC=clang cmake -S . -B build-fuzz -DSLUICE_FUZZ=ON -DSLUICE_SANITIZE=ON
#   cmake --build build-fuzz --target fuzz_request
#
# then fuzzes for SECONDS (default 300) on all cores but one (-fork), seeded from
# the golden frames and response seeds (tests/corpus/{frames,responses}/,
# hex turned into raw files) and the findings in tests/fuzz/corpus.  The growing working corpus lives in
# build-fuzz/fuzz-work/corpus (kept between runs, never committed); crash
# files land in build-fuzz/fuzz-work/.
#
# A crash: reproduce with   build-fuzz/tests/fuzz/fuzz_request CRASHFILE
# minimize with             build-fuzz/tests/fuzz/fuzz_request -minimize_crash=1 \
#                               -runs=20000 -exact_artifact_path=min.bin CRASHFILE
# (tests/fuzz/corpus/README.md says the same)
# and copy the minimized file into tests/fuzz/corpus/ under a name that
# says what it breaks: ctest's fuzz_replay_corpus then replays it in every
# run (build-*/tests/fuzz/replay_corpus DIR... does the same by hand).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${SLUICE_FUZZ_BUILD:-$ROOT/build-fuzz}"
SECS="${1:-300}"
shift || true
[ "${1:-}" = "--" ] && shift

if ! command -v clang >/dev/null; then
  echo "run.sh: clang not found (apt-get install clang)" >&2
  exit 77
fi

CC=clang cmake -S "$ROOT" -B "$BUILD" -DSLUICE_FUZZ=ON -DSLUICE_SANITIZE=ON >/dev/null
cmake --build "$BUILD" --target fuzz_request -j"$(nproc)" >/dev/null
FUZZ="$BUILD/tests/fuzz/fuzz_request"

WORK="$BUILD/fuzz-work"
SEEDS="$WORK/seeds"
mkdir -p "$WORK/corpus" "$SEEDS"
rm -f "$SEEDS"/*
# Golden frames and response seeds: hex (with '#' comments) to raw bytes.
python3 - "$SEEDS" "$ROOT"/tests/corpus/frames/*.hex "$ROOT"/tests/corpus/responses/*.hex <<'EOF'
import os, re, sys
for f in sys.argv[2:]:
    text = re.sub(r"#[^\n]*", "", open(f).read())
    name = os.path.basename(os.path.dirname(f)) + "-" + os.path.basename(f)[:-4]
    with open(os.path.join(sys.argv[1], name), "wb") as out:
        out.write(bytes.fromhex("".join(text.split())))
EOF
for f in "$ROOT"/tests/fuzz/corpus/*; do
  case "$f" in *.md) continue ;; esac
  [ -f "$f" ] && cp "$f" "$SEEDS/"
done

JOBS=$(( $(nproc) > 1 ? $(nproc) - 1 : 1 ))
PAR=()
[ "$JOBS" -gt 1 ] && PAR=(-fork="$JOBS")
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd "$WORK"
# -max_len: the golden frames are below 2 KiB; 8 KiB leaves room to grow.
exec "$FUZZ" -max_total_time="$SECS" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
     -print_final_stats=1 "${PAR[@]}" "$@" \
     "$WORK/corpus" "$SEEDS"
