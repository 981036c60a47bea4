#!/usr/bin/env bash
# The end-to-end demo: compile policies/ into a bundle with the native CLI,
# build the runtime wasm, and let the TypeScript wrapper answer a few
# CheckResources requests in Node. Needs no account and no network.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=setup.sh
source "$root/scripts/setup.sh"
cd "$root"

mkdir -p target/demo
cargo build --release --quiet --bin portcullis
./target/release/portcullis compile policies -o target/demo/policies.bundle.json
bash scripts/build-wasm.sh
node js/scripts/patch-glue.mjs
npx tsc -p js/tsconfig.json
node examples/node-demo.mjs target/demo/policies.bundle.json
