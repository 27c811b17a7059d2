#!/usr/bin/env bash
# Compares KeywardCrypto's Argon2id (Swift, release build) with argon2-cffi (libargon2, C) at
# Keyward's production parameters: m=19456 KiB, t=2, p=1, 32-byte tag. The two run alternately
# in the same invocation, ROUNDS times HASHES hashes each, and the script prints milliseconds per
# hash for both (best and median round) and the ratio Swift / C. Target: ratio <= 1.5.
# It reports figures; it never fails on a slow result.
#
# Environment:
#   HASHES=20                      hashes per round and implementation
#   ROUNDS=5                       alternating rounds
#   KEYWARD_PYTHON=python3         interpreter with argon2-cffi installed (default: the test
#                                  suite's .venv-test when scripts/test has made it, else python3)
#   ARGON2_BENCH_SCRATCH=<dir>     SwiftPM scratch directory (default Benchmarks/Argon2/.build)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
package="$here/Argon2"
hashes="${HASHES:-20}"
rounds="${ROUNDS:-5}"
# The test suite's virtual environment has argon2-cffi once scripts/test has run.
default_python=python3
[ -x "$(dirname "$0")/../.venv-test/bin/python" ] && default_python="$(dirname "$0")/../.venv-test/bin/python"
python="${KEYWARD_PYTHON:-$default_python}"
scratch="${ARGON2_BENCH_SCRATCH:-$package/.build}"

if ! "$python" -c 'import argon2.low_level' 2>/dev/null; then
    echo "error: $python cannot import argon2 (pip install argon2-cffi)" >&2
    exit 1
fi

echo "building Argon2Bench (release)…" >&2
swift build --package-path "$package" --scratch-path "$scratch" -c release --product Argon2Bench >&2
bench="$scratch/release/Argon2Bench"

python_bench='
import sys, time
from argon2.low_level import Type, hash_secret_raw
count = int(sys.argv[1])
salt = b"keyward-benchmark-salt"[:16]
hash_secret_raw(b"warm-up", salt, 2, 19456, 1, 32, Type.ID)
start = time.perf_counter()
for index in range(count):
    hash_secret_raw(b"password-%d" % index, salt, 2, 19456, 1, 32, Type.ID)
print("python_ms_per_hash=%.2f" % ((time.perf_counter() - start) * 1000 / count))
'

swift_times=()
python_times=()
for round in $(seq 1 "$rounds"); do
    swift_line="$("$bench" "$hashes")"
    python_line="$("$python" -c "$python_bench" "$hashes")"
    swift_ms="$(sed -n 's/.*swift_ms_per_hash=\([0-9.]*\).*/\1/p' <<<"$swift_line")"
    python_ms="$(sed -n 's/.*python_ms_per_hash=\([0-9.]*\).*/\1/p' <<<"$python_line")"
    printf 'round %d: swift %s ms/hash, argon2-cffi %s ms/hash\n' "$round" "$swift_ms" "$python_ms"
    swift_times+=("$swift_ms")
    python_times+=("$python_ms")
done

"$python" - "$hashes" "${swift_times[*]}" "${python_times[*]}" <<'PY'
import statistics, sys
hashes = sys.argv[1]
swift = [float(value) for value in sys.argv[2].split()]
python = [float(value) for value in sys.argv[3].split()]
print("Argon2id m=19456 KiB, t=2, p=1, 32-byte tag; %s hashes x %d rounds each" % (hashes, len(swift)))
for label, pick in (("best", min), ("median", statistics.median)):
    s, p = pick(swift), pick(python)
    print("%-6s  swift %7.2f ms/hash   argon2-cffi %7.2f ms/hash   ratio %.2fx" % (label, s, p, s / p))
ratio = statistics.median(swift) / statistics.median(python)
print("target ratio <= 1.50: %s" % ("met" if ratio <= 1.5 else "NOT met"))
PY
