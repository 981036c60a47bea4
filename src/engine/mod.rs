//! The decision engine (being assembled): request/response types, config,
//! glob matching, naming rules, rule index and schema validation.

pub mod config;
#[allow(dead_code)]
mod glob;
#[allow(dead_code)]
mod index;
pub mod names;
pub mod request;
#[allow(dead_code)]
mod schema;

pub use config::{EngineConfig, RequestLimits, SchemaEnforcement};
pub use request::{
    ActionEffect, CheckInput, CheckOutput, CheckResourcesRequest, CheckResourcesResponse,
    DecodedAuxData, Effect, EvaluationError, OutputEntry, RequestError, ValidationError,
};
