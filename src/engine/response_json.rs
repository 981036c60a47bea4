//! The CheckResources response written as JSON text for the wasm surface.
//!
//! The output is byte for byte what `serde_json::to_string` writes for
//! [`CheckResourcesResponse`] (a test checks it). It exists because most of
//! the response's strings are policy keys, actions, scopes and expression
//! sources that need no escaping, and serde_json's per-byte escaping scan
//! was most of the serialization time (callgrind: ~9k of ~11k
//! instructions for the leave_request response). Strings that do need
//! escaping, and the rare parts (outputs, validation errors), still go
//! through serde_json.

use super::request::{
    ActionMap, CheckOutput, CheckResourcesRequest, CheckResourcesResponse, Effect, EffectMeta,
    EvaluationError, ResultEntry,
};

/// Marks a compact answer (a JSON answer starts with `{`).
pub(crate) const COMPACT_MARK: char = '!';

/// The compact form of a plain answer: [`COMPACT_MARK`], then per resource
/// entry in request order one `A` (allow) or `D` (deny) per action in the
/// entry's order, entries separated by `,`.
///
/// The wrapper rebuilds the full response from it and the request it sent
/// (the response echoes the request's resources and id), so only answers
/// that hold nothing else qualify: no metadata, outputs, validation errors
/// or evaluation errors, and actions decided in exactly that order. Any
/// other answer is `None` and goes out as JSON.
pub(crate) fn compact_answer(
    req: &CheckResourcesRequest,
    outputs: &[CheckOutput],
) -> Option<String> {
    let entries = req.resources.iter().filter(|e| e.resource.is_some());
    if req.include_meta || entries.clone().count() != outputs.len() {
        return None;
    }
    let effects: usize = outputs.iter().map(|o| o.actions.0.len() + 1).sum();
    let mut out = String::with_capacity(effects + 1);
    out.push(COMPACT_MARK);
    for (i, (entry, result)) in entries.zip(outputs).enumerate() {
        let plain = result.outputs.is_empty()
            && result.validation_errors.is_empty()
            && result.evaluation_errors.is_empty();
        if !plain {
            return None;
        }
        if i > 0 {
            out.push(',');
        }
        // Cerbos refuses repeated actions, so the answer lists each
        // action of the entry once; the order must be the entry's too.
        if result.actions.0.len() != entry.actions.len() {
            return None;
        }
        for ((name, decision), action) in result.actions.0.iter().zip(&entry.actions) {
            if name.as_ref() != action.as_str() {
                return None;
            }
            out.push(match decision.effect {
                Effect::Allow => 'A',
                Effect::Deny => 'D',
            });
        }
    }
    Some(out)
}

/// Writes `s` as a JSON string.
pub(super) fn string(out: &mut Vec<u8>, s: &str) {
    // No early exit, so the check compiles to a straight loop; serde_json
    // escapes exactly these bytes.
    let clean = s
        .bytes()
        .fold(true, |ok, b| ok & (b >= 0x20) & (b != b'"') & (b != b'\\'));
    if clean {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde(out, s);
    }
}

/// Writes `value` with serde_json.
fn serde<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // INVARIANT: writing to a Vec cannot fail, and these types serialize
    // without error (plain data, string map keys).
    let _ = serde_json::to_writer(&mut *out, value);
}

/// Writes `,` between the entries of an array or object.
fn separator(out: &mut Vec<u8>, first: &mut bool) {
    if !std::mem::take(first) {
        out.push(b',');
    }
}

/// Writes `items` as a JSON array, each with `item`.
fn array<T>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    mut item: impl FnMut(&mut Vec<u8>, T),
) {
    out.push(b'[');
    let mut first = true;
    for x in items {
        separator(out, &mut first);
        item(out, x);
    }
    out.push(b']');
}

fn action_map<T>(out: &mut Vec<u8>, map: &ActionMap<T>, mut value: impl FnMut(&mut Vec<u8>, &T)) {
    out.push(b'{');
    let mut first = true;
    for (action, v) in &map.0 {
        separator(out, &mut first);
        string(out, action);
        out.push(b':');
        value(out, v);
    }
    out.push(b'}');
}

fn effect(out: &mut Vec<u8>, e: &Effect) {
    out.extend_from_slice(match e {
        Effect::Allow => b"\"EFFECT_ALLOW\"",
        Effect::Deny => b"\"EFFECT_DENY\"",
    });
}

fn effect_meta(out: &mut Vec<u8>, m: &EffectMeta) {
    out.push(b'{');
    let mut first = true;
    for (key, v) in [
        (&b"\"matchedPolicy\":"[..], &m.matched_policy),
        (&b"\"matchedScope\":"[..], &m.matched_scope),
    ] {
        if !v.is_empty() {
            separator(out, &mut first);
            out.extend_from_slice(key);
            string(out, v);
        }
    }
    out.push(b'}');
}

fn result_entry(out: &mut Vec<u8>, r: &ResultEntry) {
    out.extend_from_slice(b"{\"resource\":{\"id\":");
    string(out, &r.resource.id);
    out.extend_from_slice(b",\"kind\":");
    string(out, &r.resource.kind);
    if !r.resource.policy_version.is_empty() {
        out.extend_from_slice(b",\"policyVersion\":");
        string(out, &r.resource.policy_version);
    }
    if !r.resource.scope.is_empty() {
        out.extend_from_slice(b",\"scope\":");
        string(out, &r.resource.scope);
    }
    out.extend_from_slice(b"},\"actions\":");
    action_map(out, &r.actions, effect);
    if !r.validation_errors.is_empty() {
        out.extend_from_slice(b",\"validationErrors\":");
        serde(out, &r.validation_errors);
    }
    if let Some(meta) = &r.meta {
        out.extend_from_slice(b",\"meta\":{\"actions\":");
        action_map(out, &meta.actions, effect_meta);
        if !meta.effective_derived_roles.is_empty() {
            out.extend_from_slice(b",\"effectiveDerivedRoles\":");
            array(out, &meta.effective_derived_roles, |out, role| {
                string(out, role)
            });
        }
        out.push(b'}');
    }
    if !r.outputs.is_empty() {
        out.extend_from_slice(b",\"outputs\":");
        serde(out, &r.outputs);
    }
    out.push(b'}');
}

fn evaluation_error(out: &mut Vec<u8>, e: &EvaluationError) {
    out.extend_from_slice(b"{\"celError\":{\"expression\":");
    string(out, &e.cel_error.expression);
    out.extend_from_slice(b",\"message\":");
    string(out, &e.cel_error.message);
    out.extend_from_slice(b"}}");
}

impl CheckResourcesResponse {
    /// The response as compact JSON text, exactly as `serde_json::to_string`
    /// writes it.
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(256 + 384 * self.results.len());
        out.extend_from_slice(b"{\"requestId\":");
        string(&mut out, &self.request_id);
        out.extend_from_slice(b",\"results\":");
        array(&mut out, &self.results, result_entry);
        out.extend_from_slice(b",\"evaluationErrors\":");
        array(&mut out, &self.evaluation_errors, evaluation_error);
        out.push(b'}');
        // INVARIANT: only UTF-8 text (from `&str`s and serde_json) was written.
        String::from_utf8(out).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::engine::request::{
        CelError, OutputEntry, ResultMeta, ResultResource, ValidationError, ValidationSource,
    };

    fn entry(text: &str, with_meta: bool) -> ResultEntry {
        let name: Arc<str> = Arc::from(text);
        ResultEntry {
            resource: ResultResource {
                id: text.to_string(),
                kind: "album:object".to_string(),
                policy_version: if with_meta {
                    "v\"1".to_string()
                } else {
                    String::new()
                },
                scope: if with_meta {
                    "acme.hr".to_string()
                } else {
                    String::new()
                },
            },
            actions: ActionMap(vec![
                (name.clone(), Effect::Allow),
                (Arc::from("view:*"), Effect::Deny),
            ]),
            validation_errors: if with_meta {
                vec![ValidationError {
                    path: "/a\\b".to_string(),
                    message: "bad \"value\"".to_string(),
                    source: ValidationSource::Resource,
                }]
            } else {
                Vec::new()
            },
            meta: with_meta.then(|| ResultMeta {
                actions: ActionMap(vec![
                    (
                        name.clone(),
                        EffectMeta {
                            matched_policy: Arc::from("resource.x.vdefault/acme"),
                            matched_scope: Arc::from(""),
                        },
                    ),
                    (
                        Arc::from("b"),
                        EffectMeta {
                            matched_policy: Arc::from(""),
                            matched_scope: Arc::from("acme"),
                        },
                    ),
                ]),
                effective_derived_roles: vec![name.clone(), Arc::from("owner")],
            }),
            outputs: if with_meta {
                vec![OutputEntry {
                    src: "resource.x#rule".to_string(),
                    val: Some(serde_json::json!({"k": [1, 2.5, "\u{1}"]})),
                    action: text.to_string(),
                    error: String::new(),
                }]
            } else {
                Vec::new()
            },
        }
    }

    #[test]
    fn writes_what_serde_json_writes() {
        // Clean text, every escape serde_json makes, and non-ASCII text.
        let texts = [
            "view",
            "",
            "a\"b\\c\nd\te\u{1f}",
            "caf\u{e9} \u{1f600}",
            "\u{7f}",
        ];
        for text in texts {
            for with_meta in [false, true] {
                let resp = CheckResourcesResponse {
                    request_id: text.to_string(),
                    results: vec![entry(text, with_meta), entry("x", !with_meta)],
                    evaluation_errors: vec![EvaluationError {
                        cel_error: CelError {
                            expression: Arc::from(format!("P.attr.{text} == \"x\"").as_str()),
                            message: format!("no such key: {text}"),
                        },
                    }],
                };
                let want = serde_json::to_string(&resp).expect("serializes");
                assert_eq!(resp.to_json(), want);
            }
        }
        let empty = CheckResourcesResponse::default();
        assert_eq!(
            empty.to_json(),
            serde_json::to_string(&empty).expect("serializes")
        );
    }
}
