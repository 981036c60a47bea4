use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::*;
#[derive(Deserialize)] #[serde(rename_all = "camelCase")]
struct Entity { #[serde(default)] id: String, #[serde(default)] kind: String, #[serde(default)] roles: Vec<String>, #[serde(default)] attr: BTreeMap<String, serde_json::Value>, #[serde(default)] policy_version: String, #[serde(default)] scope: String }
#[derive(Deserialize)] struct Check { resource: Entity, actions: Vec<String> }
#[derive(Deserialize)] #[serde(rename_all = "camelCase")]
struct Req { #[serde(default)] request_id: String, principal: Entity, resources: Vec<Check> }
#[derive(Serialize)] #[serde(rename_all = "camelCase")]
struct ResRes { id: String, kind: String, policy_version: String, scope: String }
#[derive(Serialize)] struct Result1 { resource: ResRes, actions: BTreeMap<String, &'static str> }
#[derive(Serialize)] #[serde(rename_all = "camelCase")]
struct Resp { request_id: String, results: Vec<Result1> }
fn answer(r: Req) -> Resp {
    let n = r.principal.attr.len() + r.principal.roles.len();
    Resp { request_id: r.request_id, results: r.resources.into_iter().map(|c| Result1 {
        resource: ResRes { id: c.resource.id, kind: c.resource.kind, policy_version: if c.resource.policy_version.is_empty() {"default".into()} else {c.resource.policy_version}, scope: c.resource.scope },
        actions: c.actions.into_iter().enumerate().map(|(i, a)| (a, if (i + n + c.resource.attr.len()) % 2 == 0 {"EFFECT_ALLOW"} else {"EFFECT_DENY"})).collect() }).collect() }
}
#[wasm_bindgen] pub fn rt_json(req: &str) -> String { match serde_json::from_str::<Req>(req) { Ok(r) => serde_json::to_string(&answer(r)).unwrap_or_default(), Err(e) => e.to_string() } }
#[wasm_bindgen] pub fn rt_swb(req: JsValue) -> JsValue {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    match serde_wasm_bindgen::from_value::<Req>(req) { Ok(r) => answer(r).serialize(&ser).unwrap_or(JsValue::NULL), Err(e) => JsValue::from_str(&e.to_string()) } }
#[wasm_bindgen] pub fn noop_str(s: &str) -> usize { s.len() }
