#!/usr/bin/env bash
# Installs everything Portcullis needs to build and test, on a fresh machine or
# an old one. Idempotent: each step checks first and skips what is present.
# Sourced by the other scripts (they rely on the PATH it exports).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
say() { printf '\033[1;34m[setup]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to run: $*" >&2; return 1; fi
}

apt_updated=0
apt_install() { # apt_install <command-to-probe> <package>...
  local probe="$1"; shift
  if command -v "$probe" >/dev/null 2>&1; then return 0; fi
  say "installing $* from Debian"
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v cargo >/dev/null || { echo "Rust is required: install it with rustup (https://rustup.rs)" >&2; exit 1; }
command -v node >/dev/null || { echo "Node.js >= 20 is required" >&2; exit 1; }

# ring's C code for wasm32 is compiled with clang.
apt_install clang clang

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
    rustup component add "$component"
  fi
done

export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v wasm-pack >/dev/null; then
  say "installing wasm-pack"
  cargo install wasm-pack
fi

# wasm-pack must find the wasm-bindgen CLI of exactly the version in Cargo.lock,
# or it tries to download one.
[ -f "$root/Cargo.lock" ] || (cd "$root" && cargo generate-lockfile)
bindgen_version=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' "$root/Cargo.lock")
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$bindgen_version" ]; then
  say "installing wasm-bindgen-cli $bindgen_version"
  cargo install wasm-bindgen-cli --version "$bindgen_version" --force
fi

# npm_deps DIR: installs DIR's npm dependencies unless they match its lock.
# `npm ci` refuses these locks: workerd and Next list macOS/Windows binaries
# the registry here does not serve. `install --no-save` follows the lock and
# leaves it as is.
npm_deps() {
  local dir="$1"
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    say "installing npm dependencies in ${dir#"$root"/}"
    (cd "$dir" && npm install --no-save --no-audit --no-fund --loglevel=error)
  fi
}

# binaryen provides wasm-opt, which wasm-pack would otherwise download.
npm_deps "$root"
export PATH="$root/node_modules/.bin:$PATH"
