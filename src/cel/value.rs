//! Placeholder: owned by the CEL work in progress.
