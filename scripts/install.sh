#!/usr/bin/env bash
# Installs a3c for use outside this checkout: the binary into PREFIX/bin (default PREFIX: ~/.local),
# the Gymnasium bridge (its Python scripts, and a venv with requirements.txt) into
# PREFIX/share/swift-a3c. The binary finds the bridge beside itself, so the checkout may move or
# go afterwards. The Swift runtime is linked in; oneDNN and OpenBLAS come from Debian packages.
# Usage: scripts/install.sh [PREFIX]
set -euo pipefail
prefix=${1:-$HOME/.local}
cd "$(dirname "$0")/.."
mkdir -p "$prefix"
prefix=$(cd "$prefix" && pwd)

scripts/setup.sh --no-python
swift build -c release --product a3c --static-swift-stdlib --scratch-path .build/install

share=$prefix/share/swift-a3c
mkdir -p "$prefix/bin" "$share/python"
install -m 755 .build/install/release/a3c "$prefix/bin/a3c"
install -m 644 python/*.py "$share/python/"

venv=$share/venv
stamp=$venv/.requirements-stamp
if [ ! -x "$venv/bin/python" ] || ! cmp -s requirements.txt "$stamp"; then
    echo "install: preparing $venv (requirements.txt)" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r requirements.txt
    cp requirements.txt "$stamp"
fi
# The native Atari host (GPL-2.0, a program of its own) and the ROMs of the venv's ale-py.
A3C_PYTHON="$venv/bin/python" native/ale-host/build.sh
mkdir -p "$share/ale-host/roms"
install -m 755 .build/ale-host/a3c-ale-host "$share/ale-host/"
install -m 644 native/ale-host/LICENSE "$share/ale-host/"
install -m 644 .build/ale-host/roms/*.bin "$share/ale-host/roms/"
echo "installed $prefix/bin/a3c (bridge in $share)"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "add $prefix/bin to PATH to run a3c by name" ;; esac
