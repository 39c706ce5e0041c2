#!/usr/bin/env bash
# A user's build, warning-free: configure and build the source tree in DIR
# with compiler CC and build type TYPE, SLUICE_WERROR=ON and the test suite
# off, plus any extra cmake arguments.  With SLUICE_BATCH=OFF it also
# checks that the configure asked for nothing but the broker's libraries.
# Usage: build_check.sh SOURCE_DIR DIR CC TYPE [cmake args...]
set -euo pipefail
src=$1 dir=$2 cc=$3 type=$4
shift 4
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "SKIP: no $cc"
  exit 77
fi
rm -rf "$dir"
CC=$cc cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE="$type" -DSLUICE_WERROR=ON \
  -DSLUICE_TESTS=OFF "$@" >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
cmake --build "$dir" -j2
case " $* " in
  *" -DSLUICE_BATCH=OFF "*)
    # pkg_check_modules leaves <PREFIX>_FOUND in the cache for each lookup.
    bad=$(grep -E '^(JANSSON|AVRO|XXHASH|CRITERION)_FOUND' "$dir/CMakeCache.txt" || true)
    if [ -n "$bad" ]; then
      echo "a broker-only build looked for more than it needs:"
      echo "$bad"
      exit 1
    fi
    test -x "$dir/broker/sluiced" && test ! -e "$dir/client/sluice-batch"
    ;;
esac
echo "OK: $cc $type $*"
