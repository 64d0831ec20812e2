#!/usr/bin/env bash
# CI: installs into a temporary prefix and trains Pong for a few thousand steps from another
# directory with the checkout moved away (the binary was built from it), so only the installed
# bridge can serve. The checkout is moved back afterwards, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout=$(pwd)
away="$checkout.moved-away-$$"
work=$(mktemp -d)
restore() {
    cd /
    [ -d "$away" ] && mv "$away" "$checkout"
    rm -rf "$work"
}
trap restore EXIT
scripts/install.sh "$work/prefix"
mkdir "$work/elsewhere"
cd "$work/elsewhere"
mv "$checkout" "$away"
for host in native python; do
    env -u A3C_PYTHON -u A3C_ENV_HOST -u A3C_ALE_HOST "$work/prefix/bin/a3c" train --env ALE/Pong-v5 --steps 2000 --quiet \
        --atari-host "$host" --out "run-$host"
    test -s "run-$host/summary.json"
    grep -q '"steps"' "run-$host/summary.json"
    echo "check-install: the installed a3c trained ALE/Pong-v5 from $work/elsewhere with the $host host"
done
