#!/usr/bin/env bash
# Builds the API documentation (DocC) of the library modules into .build/docs/<Module>; the
# ActorCritic catalog has the overview. Open .build/docs/ActorCritic/index.html through a web server.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .build/docs
for target in ActorCritic NeuralNet Environments RunArtifacts; do
    swift package --allow-writing-to-directory .build/docs generate-documentation --target "$target" \
        --output-path ".build/docs/$target" --transform-for-static-hosting \
        --hosting-base-path "$target"
done
echo "docs: .build/docs/{ActorCritic,NeuralNet,Environments,RunArtifacts}"
