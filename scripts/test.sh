#!/usr/bin/env bash
# Runs every Portcullis test: formatting, lints, Rust tests (unit, conformance,
# differential), the runtime wasm build and its size budget, TypeScript checks
# and the JavaScript tests against the real built wasm.
# `.ci/run` calls exactly this script.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=setup.sh
source "$root/scripts/setup.sh"
cd "$root"

step() { printf '\n\033[1;32m==> %s\033[0m\n' "$*" >&2; }
start=$(date +%s)

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (native, all targets)"
cargo clippy --all-targets -- -D warnings
step "cargo clippy (runtime wasm: no compiler)"
cargo clippy --target wasm32-unknown-unknown --no-default-features --features wasm -- -D warnings

step "cargo test"
cargo test --all-targets

step "runtime wasm build"
bash scripts/build-wasm.sh
gz=$(gzip -9 -c pkg/portcullis_bg.wasm | wc -c)
budget=400000
if [ "$gz" -gt "$budget" ]; then
  echo "runtime wasm is $gz bytes gzipped: over the $budget byte budget" >&2
  exit 1
fi

step "compiler wasm for the npm CLI (npx portcullis compile)"
npm run --silent build:compiler

step "TypeScript build (strict)"
# Exports wasm-bindgen's private instantiation helpers (see js/src/wasm.ts),
# type-checks and writes the declarations (tsc), then bundles each entry
# with esbuild (js/scripts/bundle.mjs).
npm run --silent build:js
# How an application's TypeScript sees the package (types via `exports`).
npx tsc -p tests/js/consumer

step "JavaScript tests (node --test, real wasm)"
# The native CLI compiles the test bundles and answers the parity requests.
cargo build --quiet --features cli --bin portcullis
# `npx portcullis compile` runs on a second wasm with the compiler, once
# src/wasm.rs exports compilePolicies; until then its test is skipped.
if grep -q 'js_name = compilePolicies' src/wasm.rs; then
  npm run --silent build:compiler >&2
else
  rm -rf pkg-compiler
fi
# The memory-flatness loop runs 100,000 checks here; the 1,000,000-check run
# is `PORTCULLIS_MEMORY_CHECKS=1000000 node --test tests/js/memory.test.mjs`.
# A test that hangs fails after $node_test_timeout ms instead of holding
# the run until CI's own limit (the slowest test takes about a minute).
node_test_timeout=600000
PORTCULLIS_MEMORY_CHECKS="${PORTCULLIS_MEMORY_CHECKS:-100000}" node --test --test-timeout="$node_test_timeout" tests/js/

step "JavaScript in workerd, edge-runtime (no wasm codegen) and chromium"
apt_install chromium chromium
node --test --test-timeout="$node_test_timeout" tests/runtimes/

step "examples/nextjs: next build, next start on 127.0.0.1, HTTP and Chromium checks per user"
npm_deps "$root/examples/nextjs"
(cd examples/nextjs && npm test)

step "differential tests against the real Cerbos 0.55.0"
node --test --test-timeout="$node_test_timeout" tests/differential/

echo "all tests passed in $(( $(date +%s) - start )) s" >&2
