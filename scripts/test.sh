#!/usr/bin/env bash
# The project's test command: installs what is missing, then runs every test in a release build
# (the learning tests train real agents; a debug build would be many times slower).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --build-tests
swift test -c release --skip-build "$@"
