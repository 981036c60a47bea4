//! `portcullis test`: runs Cerbos-format policy test suites.
//!
//! Suites (`*_test.{yaml,yml,json}`) and their `testdata/` fixtures are read
//! the way `cerbos compile` reads them; every principal × resource × action
//! cell of a test becomes one check against the engine, and the results are
//! reported as a tree for people, as Cerbos's `TestResults` JSON, or as JUnit.

pub mod render;
pub mod results;
pub mod time;
pub mod txtar;

pub use render::{render_tree, to_json, to_junit};
pub use results::TestResults;
