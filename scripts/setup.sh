#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, run and test swift-a3c. Safe to run
# again; does nothing when all is there.
#   Debian packages: OpenBLAS and oneDNN (matrix products), zlib, librsvg2-bin (PNG plots), g++,
#                    make and curl (the native Atari host),
#                    ffmpeg (MP4 videos), Open MPI (distributed runs; a3c loads it only for them).
#   .build/ale-host: the native Atari host (native/ale-host/build.sh), built once.
#   .venv: the pinned Python packages of requirements.txt (Gymnasium, ale-py with its ROMs, ViZDoom,
#          Box2D, MuJoCo: the bridge's side) and requirements-test.txt (what the tests read our files with).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenblas-dev libdnnl-dev zlib1g-dev librsvg2-bin fonts-dejavu-core ffmpeg libopenmpi-dev openmpi-bin python3-venv g++ make curl)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
# python3-venv is only needed when this Python lacks a working venv module.
if python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
    missing=("${missing[@]/python3-venv}")
fi
missing=(${missing[@]+"${missing[@]}"})

if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6 is needed)" >&2; exit 1; }

if [ "${1:-}" != "--no-python" ]; then
    stamp=.venv/.requirements-stamp
    if [ ! -x .venv/bin/python ] || ! cat requirements.txt requirements-test.txt | cmp -s - "$stamp"; then
        echo "setup: preparing .venv (requirements.txt, requirements-test.txt)" >&2
        python3 -m venv .venv
        .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt -r requirements-test.txt
        cat requirements.txt requirements-test.txt > "$stamp"
    fi
    # The native Atari host, from the pinned ale-py source distribution (its ROMs from .venv).
    native/ale-host/build.sh
fi
