#!/usr/bin/env bash
# The end-to-end demo, with no account and no network: compile policies/
# into a bundle with the native CLI, build the runtime wasm and the npm
# package, print a few decisions from Node, then start the Next.js example
# (Clerk and WorkOS identities minted locally) on 127.0.0.1 and print its
# URL, the demo users and ready-to-paste curl lines.
# PORTCULLIS_DEMO_ONCE=1 stops the app after printing instead of serving.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=setup.sh
source "$root/scripts/setup.sh"
cd "$root"

mkdir -p target/demo
cargo build --release --quiet --bin portcullis
./target/release/portcullis compile policies -o target/demo/policies.bundle.json
bash scripts/build-wasm.sh
npm run --silent build:js
node examples/node-demo.mjs target/demo/policies.bundle.json

npm_deps "$root/examples/nextjs"
cd examples/nextjs
if [ "${PORTCULLIS_DEMO_ONCE:-0}" = 1 ]; then
  node scripts/demo.mjs
else
  node scripts/demo.mjs --keep
fi
