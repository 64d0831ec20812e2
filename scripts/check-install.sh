#!/usr/bin/env bash
# CI: installs into a temporary prefix and trains Pong for a few thousand steps from another
# directory with the checkout's .venv out of the way, so only the installed bridge can serve.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$(pwd)
work=$(mktemp -d)
restore() {
    [ -d "$work/checkout-venv" ] && mv "$work/checkout-venv" "$checkout/.venv"
    rm -rf "$work"
}
trap restore EXIT
scripts/install.sh "$work/prefix"
[ -d .venv ] && mv .venv "$work/checkout-venv"
mkdir "$work/elsewhere"
cd "$work/elsewhere"
env -u A3C_PYTHON -u A3C_ENV_HOST "$work/prefix/bin/a3c" train --env ALE/Pong-v5 --steps 2000 --quiet --out run
test -s run/summary.json
grep -q '"steps"' run/summary.json
echo "check-install: the installed a3c trained ALE/Pong-v5 from $work/elsewhere"
