#!/usr/bin/env bash
# Builds a3c-ale-host: ALE's C++ emulator from the pinned ale-py source distribution (no Python, no
# SDL) and ale_host.cpp, into OUT (default .build/ale-host), with the ROMs of the ale-py wheel that
# .venv holds. The source distribution is fetched once from PyPI (or taken from $A3C_ALE_SDIST) and
# checked against its SHA-256; nothing is fetched at run time.
# Usage: native/ale-host/build.sh [OUT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/.build/ale-host}
# Must be requirements.txt's ale-py: the host plays exactly as that version's Python side does.
version=0.12.1
sha256=c503d574c5983e1063b451201ccb779d935919c0f6bf116fb0f4f8aa4c86d249
url=https://files.pythonhosted.org/packages/3e/e8/e69da8a5fb5feafa9fffb32ed8c2b306b7571b77faf779f61e4eb53304ec/ale_py-$version.tar.gz
python=${A3C_PYTHON:-$root/.venv/bin/python}

mkdir -p "$out"
tarball=$out/ale_py-$version.tar.gz
if [ -n "${A3C_ALE_SDIST:-}" ]; then cp "$A3C_ALE_SDIST" "$tarball"; fi
if [ ! -f "$tarball" ] || ! echo "$sha256  $tarball" | sha256sum -c --status; then
    echo "ale-host: fetching the ale-py $version source distribution" >&2
    curl -fsSL --retry 3 -o "$tarball.part" "$url"
    echo "$sha256  $tarball.part" | sha256sum -c --status \
        || { echo "ale-host: $url does not have the pinned SHA-256" >&2; rm -f "$tarball.part"; exit 1; }
    mv "$tarball.part" "$tarball"
fi
source=$out/ale_py-$version
[ -d "$source/src/ale" ] || tar xzf "$tarball" -C "$out"

generated=$out/include
mkdir -p "$generated"
IFS=. read -r major minor patch <<< "$version"
sed -e "s/@ALE_VERSION@/$version/" -e "s/@ALE_VERSION_MAJOR@/$major/" -e "s/@ALE_VERSION_MINOR@/$minor/" \
    -e "s/@ALE_VERSION_PATCH@/$patch/" -e "s/@ALE_VERSION_GIT_SHA@//" \
    "$source/src/ale/version.hpp.in" > "$generated/version.hpp.new"
cmp -s "$generated/version.hpp.new" "$generated/version.hpp" || mv "$generated/version.hpp.new" "$generated/version.hpp"
rm -f "$generated/version.hpp.new"

# The emulator's sources as its CMake lists them: everything but the Python, vector and WASM front ends.
sources=$(cd "$source/src/ale" && ls ale_interface.cpp common/*.c* emucore/*.cxx environment/*.cpp games/*.cpp games/supported/*.cpp)
{
    echo "CXX ?= g++"
    echo "CXXFLAGS := -O3 -DNDEBUG -std=c++17 -w -I$source/src -I$generated"
    echo "objects :="
    for file in $sources; do
        object="objects/${file%.*}.o"
        echo "objects += $object"
        echo "$object: $source/src/ale/$file $generated/version.hpp"
        printf '\t@mkdir -p $(dir $@) && $(CXX) $(CXXFLAGS) -c $< -o $@\n'
    done
    echo "objects/ale_host.o: $here/ale_host.cpp $generated/version.hpp"
    printf '\t@mkdir -p $(dir $@) && $(CXX) $(CXXFLAGS) -Wall -c $< -o $@\n'
    echo "a3c-ale-host: \$(objects) objects/ale_host.o"
    printf '\t@$(CXX) -o $@ $^ -lz -lpthread\n'
} > "$out/Makefile"
[ -x "$out/a3c-ale-host" ] || echo "ale-host: building the native Atari host into $out (a few minutes, once)" >&2
make -s -C "$out" -j "$(nproc)" a3c-ale-host

roms=$("$python" -c "import os, ale_py.roms; print(os.path.dirname(ale_py.roms.__file__))")
mkdir -p "$out/roms"
cp -u "$roms"/*.bin "$out/roms/"
