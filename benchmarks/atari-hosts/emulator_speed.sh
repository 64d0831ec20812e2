#!/usr/bin/env bash
# One thread, one game at a time: the emulator as native/ale-host/build.sh compiles it (g++ -O3),
# the same with profile-guided optimisation (trained on the games it is then timed on), and ale-py's
# wheel from Python. Needs native/ale-host/build.sh to have run. Run on an idle machine.
#   benchmarks/atari-hosts/emulator_speed.sh [FRAMES] [GAME...]     e.g. 400000 pong breakout
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
host=$root/.build/ale-host
frames=${1:-400000}
shift || true
games=("$@")
[ ${#games[@]} -eq 0 ] && games=(pong breakout)
roms=()
for game in "${games[@]}"; do roms+=("$host/roms/$game.bin"); done
[ -f "$host/Makefile" ] || { echo "emulator_speed.sh: run native/ale-host/build.sh first" >&2; exit 1; }
work=${TMPDIR:-/tmp}/a3c-emulator-speed
include="-I$host/ale_py-0.12.1/src -I$host/include"
objects=$(grep '^objects +=' "$host/Makefile" | awk '{print $3}' | grep -v ale_host)

build() { # NAME FLAGS
    mkdir -p "$work/$1" && cp "$host/Makefile" "$work/$1/"
    # shellcheck disable=SC2086
    make -s -C "$work/$1" -j "$(nproc)" CXXFLAGS="-O3 -DNDEBUG -std=c++17 -w $include $2" $objects
    # shellcheck disable=SC2086
    g++ -O3 -DNDEBUG -std=c++17 $include $2 -o "$work/$1/emulator_speed" "$root/benchmarks/atari-hosts/emulator_speed.cpp" \
        $(cd "$work/$1" && find "$PWD/objects" -name '*.o') -lz -lpthread
}
build plain ""
build profiled "-fprofile-generate -fprofile-update=single"
(cd "$work/profiled" && ./emulator_speed "$frames" "${roms[@]}" > /dev/null)
find "$work/profiled/objects" -name '*.o' -delete
build profiled "-fprofile-use -fprofile-correction -Wno-missing-profile"

echo "# emulator_speed.sh $frames ${games[*]}: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
for sitting in 1 2; do
    echo "## sitting $sitting"
    echo "g++ -O3 (the native host's build):"; "$work/plain/emulator_speed" "$frames" "${roms[@]}"
    echo "g++ -O3 with profile-guided optimisation:"; "$work/profiled/emulator_speed" "$frames" "${roms[@]}"
    echo "ale-py's wheel, from Python:"; "$root/.venv/bin/python" "$root/benchmarks/atari-hosts/emulator_speed.py" "$frames" "${roms[@]}" 2>/dev/null
done
