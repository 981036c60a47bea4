//! Helpers shared by the integration tests.

use std::path::PathBuf;

/// Root of the shared reference material (`../shared` from the crate, or
/// `PORTCULLIS_SHARED`), when `sub` exists under it.
///
/// Missing material fails the test under `CI=true`; elsewhere the test is
/// skipped with a loud message, never counted as passed.
pub fn shared_root(sub: &str) -> Option<PathBuf> {
    let root = std::env::var_os("PORTCULLIS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    if root.join(sub).is_dir() {
        return Some(root);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "shared material not found at {} (set PORTCULLIS_SHARED)",
        root.join(sub).display()
    );
    eprintln!(
        "\n*** SKIPPED: shared material not found at {} (set PORTCULLIS_SHARED) ***\n",
        root.join(sub).display()
    );
    None
}

/// `sub` under the shared material, as [`shared_root`] finds it.
#[allow(dead_code)] // not every test binary uses both helpers
pub fn shared_dir(sub: &str) -> Option<PathBuf> {
    shared_root(sub).map(|root| root.join(sub))
}
