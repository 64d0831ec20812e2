#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and test swift-a3c:
# OpenBLAS and oneDNN (the matrix-product backends). Safe to run again; does nothing when all is there.
set -euo pipefail

packages=(libopenblas-dev libdnnl-dev)
missing=()
for package in "${packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done

if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6 is needed)" >&2; exit 1; }
