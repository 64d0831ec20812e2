#!/usr/bin/env bash
# Builds the tests with the thread sanitizer and runs the training tests under it. The only reports
# allowed are the lock-free Hogwild writes A3C is built on, listed by function in
# scripts/tsan-suppressions.txt with a reason each; anything else fails this script.
# Usage: scripts/tsan.sh [LOG]    (the sanitizer's output also goes to LOG, default .build/tsan.log)
set -euo pipefail
cd "$(dirname "$0")/.."
log=${1:-.build/tsan.log}
mkdir -p "$(dirname "$log")"
scripts/setup.sh
export TSAN_OPTIONS="suppressions=$(pwd)/scripts/tsan-suppressions.txt halt_on_error=0 print_suppressions=1"
swift build -c release --sanitize=thread --build-tests --scratch-path .build/tsan
set +e
swift test -c release --sanitize=thread --scratch-path .build/tsan --skip-build \
    --filter "ActorCriticTests" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
reports=$(grep -c "^WARNING: ThreadSanitizer" "$log" || true)
suppressed=$(grep -E "^ *[0-9]+ race:" "$log" | awk '{ s += $1 } END { print s + 0 }')
echo "tsan: tests exit $status; $reports unsuppressed reports; $suppressed suppressed (the intended Hogwild races)"
[ "$status" -eq 0 ] && [ "$reports" -eq 0 ]
