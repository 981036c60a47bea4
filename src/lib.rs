//! Portcullis: Cerbos-compatible authorization at the edge.
//!
//! The crate is laid out along the pipeline it implements:
//!
//! ```text
//! policy files ──► compiler ──► bundle ──► engine ──► wasm surface ──► JS wrapper
//!   (YAML/JSON)    (compile      (JSON)     (CheckResources,  (`wasm` feature)
//!                   feature)                 CEL interpreter, JWT)
//! ```
//!
//! * [`cel`] — the CEL language: AST (shared), parser and checker (compile
//!   side), values and interpreter (runtime side).
//! * `compiler` — reads a policy folder, validates it the way Cerbos does and
//!   produces a [`bundle::Bundle`]. Only with the `compiler` feature.
//! * [`bundle`] — the precompiled, versioned bundle format the runtime loads.
//! * [`engine`] — evaluates CheckResources requests against a bundle.
//! * [`jwt`] — JWS/JWT verification over `ring`.
//! * `wasm` — the thin wasm-bindgen surface. Only with the `wasm` feature.
//!
//! The runtime wasm is built with `--no-default-features --features wasm`, so
//! nothing under the `compiler` feature (YAML, CEL parser, diagnostics, CLI)
//! ends up in it.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bundle;
pub mod cel;
#[cfg(feature = "compiler")]
pub mod compiler;
pub mod engine;
pub mod jwt;
mod sort;
#[cfg(feature = "compiler")]
pub mod verify;
#[cfg(feature = "wasm")]
pub mod wasm;

/// The integration tests' one lookup of the shared reference material, for
/// unit tests that read it too.
#[cfg(test)]
#[path = "../tests/support/mod.rs"]
pub(crate) mod test_support;
