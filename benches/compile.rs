//! Compiles the Cerbos conformance store repeatedly and reports the time per run.
//!
//! Run with `cargo bench --bench compile` (release profile). Reads the store
//! from `$PORTCULLIS_SHARED/conformance/cerbos/store` (default `../shared`).

use std::path::PathBuf;
use std::time::Instant;

use portcullis::compiler::{compile_dir, CompileOptions};

fn main() {
    let shared = std::env::var("PORTCULLIS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let store = shared.join("conformance/cerbos/store");
    if !store.is_dir() {
        println!("SKIPPED: shared material not found at {}", store.display());
        return;
    }
    let opts = CompileOptions::default();
    // Warm-up, and make sure the store compiles at all.
    match compile_dir(&store, &opts) {
        Ok(c) => println!(
            "store: {} policies, {} rows",
            c.bundle.policies.len(),
            c.bundle.rows.len()
        ),
        Err(e) => {
            println!("store does not compile: {e}");
            return;
        }
    }
    let runs = 20u32;
    let start = Instant::now();
    for _ in 0..runs {
        let _ = compile_dir(&store, &opts);
    }
    let per = start.elapsed() / runs;
    println!(
        "compile store/: {:.2} ms per run ({runs} runs)",
        per.as_secs_f64() * 1e3
    );
}
