#!/usr/bin/env bash
# Builds the runtime wasm (engine + JWT, no compiler) into pkg/ and prints its size.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=setup.sh
source "$root/scripts/setup.sh"
cd "$root"
# Speed vs size: the release profile's opt-level "z" makes a check about 1.6x
# slower than "s" with a larger inlining threshold (inlining is what serde and
# the CEL interpreter need), which costs ~31 KB gzip and stays inside the
# 400 KB budget; opt-level 2/3 are faster still but over the budget. wasm-opt
# (-Oz in Cargo.toml, still used by the compiler wasm) is skipped here: on
# these builds it made the gzipped file larger, not smaller.
wasm-pack build --target web --out-dir pkg --out-name portcullis --release --no-pack --no-opt \
  -- --no-default-features --features wasm \
  --config 'profile.release.opt-level="s"' \
  --config 'target.wasm32-unknown-unknown.rustflags=["-Cllvm-args=-inline-threshold=120"]' >&2
# Export the glue's own import builder so the wrapper can instantiate
# modules from another realm (js/src/wasm.ts).
node js/scripts/patch-glue.mjs >&2
raw=$(stat -c %s pkg/portcullis_bg.wasm)
gz=$(gzip -9 -c pkg/portcullis_bg.wasm | wc -c)
awk -v r="$raw" -v g="$gz" 'BEGIN{printf "runtime wasm: %d bytes raw, %d bytes gzip (%.1f KB)\n", r, g, g/1000}'
