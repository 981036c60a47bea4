#!/usr/bin/env bash
# Builds the runtime wasm (engine + JWT, no compiler) into pkg/ and prints its size.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=setup.sh
source "$root/scripts/setup.sh"
cd "$root"
# Speed vs size: the release profile's opt-level "z" makes a check about 1.3x
# slower than "s" (serde and the CEL interpreter want the inlining), for
# ~17 KB gzip. Measured on the 363 KB build (November 2026, node
# bench/js/split.mjs): "s" with `-Cllvm-args=-inline-threshold=90` (or 110)
# is ~6% faster for +9.6 KB gzip, 150 no faster for +16 KB; opt-level 2 for
# the portcullis crate is 405 KB (over the 400 KB budget), and 386 KB with
# the inlining threshold held at 75 (not timed). Dependencies at "z"
# (`profile.release.package."*"`) save only 2 KB gzip but make checks ~15%
# slower: with "s", generic code instantiated by a dependency (serde_json,
# hashbrown) is shared with this crate and takes the dependency's level;
# ring alone at "z" saves 2.3 KB but doubles RS256 verification time.
wasm-pack build --target web --out-dir pkg --out-name portcullis --release --no-pack --no-opt \
  -- --no-default-features --features wasm --config 'profile.release.opt-level="s"' >&2
# wasm-opt (binaryen from node_modules, see setup.sh) at -O2 without
# inlining functions into their only caller (-ocimfs=0): that inlining is
# what made -Os/-Oz files larger after gzip (+20 KB). Measured on the
# opt-level "s" build: 7 KB gzip smaller and checks ~5% faster than no
# wasm-opt (-Os -ocimfs=0 is 0.5 KB smaller still but slower than -O2).
# The features are those rustc's wasm32-unknown-unknown target emits; the
# `target_features` section that would tell wasm-opt is stripped.
wasm-opt -O2 -ocimfs=0 --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals pkg/portcullis_bg.wasm -o pkg/portcullis_bg.wasm
# Export the glue's own import builder so the wrapper can instantiate
# modules from another realm (js/src/wasm.ts).
node js/scripts/patch-glue.mjs >&2
raw=$(stat -c %s pkg/portcullis_bg.wasm)
gz=$(gzip -9 -c pkg/portcullis_bg.wasm | wc -c)
awk -v r="$raw" -v g="$gz" 'BEGIN{printf "runtime wasm: %d bytes raw, %d bytes gzip (%.1f KB)\n", r, g, g/1000}'
