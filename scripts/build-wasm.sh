#!/usr/bin/env bash
# Builds the runtime wasm (engine + JWT, no compiler) into pkg/ and prints its size.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=setup.sh
source "$root/scripts/setup.sh"
cd "$root"
# Speed vs size: the release profile's opt-level "z" makes a check about 1.3x
# slower than "s" (serde and the CEL interpreter want the inlining), for
# ~17 KB gzip; opt-level 2/3, or "s" with a larger inlining threshold, are
# faster still but over the 400 KB budget. wasm-opt (-Oz in Cargo.toml, still
# used by the compiler wasm) is skipped here: on "s" builds it made the
# gzipped file larger, not smaller.
wasm-pack build --target web --out-dir pkg --out-name portcullis --release --no-pack --no-opt \
  -- --no-default-features --features wasm --config 'profile.release.opt-level="s"' >&2
# Export the glue's own import builder so the wrapper can instantiate
# modules from another realm (js/src/wasm.ts).
node js/scripts/patch-glue.mjs >&2
raw=$(stat -c %s pkg/portcullis_bg.wasm)
gz=$(gzip -9 -c pkg/portcullis_bg.wasm | wc -c)
awk -v r="$raw" -v g="$gz" 'BEGIN{printf "runtime wasm: %d bytes raw, %d bytes gzip (%.1f KB)\n", r, g, g/1000}'
