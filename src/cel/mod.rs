//! The CEL language as Cerbos uses it.
//!
//! Stages, as in cel-go: `parser` (source → [`ast::Expr`], macros expanded)
//! and `checker` (Cerbos's compile-time checks) run only in the compiler;
//! the bundle stores the checked [`ast::Expr`]; at run time [`program`]
//! prepares an expression once (names resolved, functions bound) and
//! [`interp`] evaluates the prepared plan over [`value::Value`]s.

pub mod ast;
pub mod cerbos;
#[cfg(feature = "compiler")]
pub mod checker;
mod ext;
pub mod functions;
mod goip;
mod gopath;
pub mod interp;
mod net;
#[cfg(feature = "compiler")]
pub mod parser;
#[cfg(feature = "compiler")]
pub mod printer;
pub mod program;
pub mod re2;
#[cfg(feature = "compiler")]
pub mod re2_tables;
pub mod time;
pub mod tz;
pub mod value;
