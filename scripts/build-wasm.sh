#!/usr/bin/env bash
# Builds the runtime wasm (engine + JWT, no compiler) into pkg/ and prints its size.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=setup.sh
source "$root/scripts/setup.sh"
cd "$root"
wasm-pack build --target web --out-dir pkg --out-name portcullis --release --no-pack \
  -- --no-default-features --features wasm >&2
# Export the glue's own import builder so the wrapper can instantiate
# modules from another realm (js/src/wasm.ts).
node js/scripts/patch-glue.mjs >&2
raw=$(stat -c %s pkg/portcullis_bg.wasm)
gz=$(gzip -9 -c pkg/portcullis_bg.wasm | wc -c)
awk -v r="$raw" -v g="$gz" 'BEGIN{printf "runtime wasm: %d bytes raw, %d bytes gzip (%.1f KB)\n", r, g, g/1000}'
