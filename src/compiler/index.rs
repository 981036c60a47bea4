//! Cross-file checks (Cerbos `internal/storage/index/builder.go`) and names
//! (`internal/namer/namer.go`).

use std::collections::{BTreeMap, BTreeSet};

use super::diagnostics::{Diagnostic, DiagnosticKind, IndexKind, Position};
use super::model::{Body, Policy, ScopePermissions};
use super::yaml::Pos;

/// A parsed, valid policy and where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    /// File relative to the root.
    pub file: String,
    /// File content (for positions inside expressions).
    pub src: String,
    /// The policy.
    pub policy: Policy,
    /// Policy key (FQN without `cerbos.`).
    pub key: String,
}

pub(crate) fn pos(p: Pos) -> Position {
    Position {
        line: p.line,
        column: p.col,
    }
}

use crate::engine::names::role_policy_key;
pub use crate::engine::names::{
    principal_policy_key as principal_key, resource_policy_key as resource_key, sanitize,
};

/// A role policy's version (`default` when not given).
pub(crate) fn role_version(p: &super::model::RolePolicy) -> &str {
    match &p.version {
        Some(v) if !v.v.is_empty() => v.v.as_str(),
        _ => "default",
    }
}

/// Key of any policy.
pub(crate) fn policy_key(p: &Policy) -> String {
    let scope = p.scope();
    match &p.body {
        Body::ResourcePolicy(r) => resource_key(&r.resource.v, &r.version.v, scope),
        Body::PrincipalPolicy(r) => principal_key(&r.principal.v, &r.version.v, scope),
        Body::RolePolicy(r) => role_policy_key(&r.role.v, role_version(r), scope),
        Body::DerivedRoles(d) => format!("derived_roles.{}", d.name.v),
        Body::ExportVariables(d) => format!("export_variables.{}", d.name.v),
        Body::ExportConstants(d) => format!("export_constants.{}", d.name.v),
    }
}

pub use crate::engine::glob::key_matches as glob_match;

fn body_name(b: &Body) -> &'static str {
    match b {
        Body::ResourcePolicy(_) => "resourcePolicy",
        Body::PrincipalPolicy(_) => "principalPolicy",
        Body::RolePolicy(_) => "rolePolicy",
        Body::DerivedRoles(_) => "derivedRoles",
        Body::ExportVariables(_) => "exportVariables",
        Body::ExportConstants(_) => "exportConstants",
    }
}

/// Runs the index checks; returns the enabled, unique policies in file order.
pub(crate) fn build(units: Vec<Unit>, diags: &mut Vec<Diagnostic>) -> Vec<Unit> {
    let mut kept: Vec<Unit> = Vec::new();
    let mut by_key: BTreeMap<String, usize> = BTreeMap::new();
    for u in units {
        if u.policy.disabled {
            diags.push(
                Diagnostic::error(
                    &u.file,
                    pos(u.policy.at),
                    DiagnosticKind::Index(IndexKind::Disabled),
                    format!("policy {} is disabled", u.key),
                )
                .warning(),
            );
            continue;
        }
        if let Some(&other) = by_key.get(&u.key) {
            diags.push(Diagnostic::error(
                &u.file,
                pos(u.policy.at),
                DiagnosticKind::Index(IndexKind::DuplicateDefinition),
                format!(
                    "policy {} is already defined in {}",
                    u.key, kept[other].file
                ),
            ));
            continue;
        }
        by_key.insert(u.key.clone(), kept.len());
        kept.push(u);
    }

    let names = |pred: fn(&Body) -> Option<&str>| -> BTreeSet<String> {
        kept.iter()
            .filter_map(|u| pred(&u.policy.body).map(str::to_string))
            .collect()
    };
    let dr_names = names(|b| match b {
        Body::DerivedRoles(d) => Some(&d.name.v),
        _ => None,
    });
    let var_names = names(|b| match b {
        Body::ExportVariables(d) => Some(&d.name.v),
        _ => None,
    });
    let const_names = names(|b| match b {
        Body::ExportConstants(d) => Some(&d.name.v),
        _ => None,
    });

    for u in &kept {
        let b = body_name(&u.policy.body);
        let (vars, consts, drs) = match &u.policy.body {
            Body::ResourcePolicy(r) => (&r.variables, &r.constants, &r.import_derived_roles[..]),
            Body::PrincipalPolicy(r) => (&r.variables, &r.constants, &[][..]),
            Body::RolePolicy(r) => (&r.variables, &r.constants, &[][..]),
            Body::DerivedRoles(r) => (&r.variables, &r.constants, &[][..]),
            _ => continue,
        };
        let mut missing = |kind: &str, name: &super::model::S<String>, path: String| {
            diags.push(
                Diagnostic::error(
                    &u.file,
                    pos(name.at),
                    DiagnosticKind::Index(IndexKind::MissingImport),
                    format!(
                        "cannot find {kind} '{}' imported by policy {}",
                        name.v, u.key
                    ),
                )
                .with_path(path),
            );
        };
        for (i, d) in drs.iter().enumerate() {
            if !dr_names.contains(&d.v) {
                missing("derived roles", d, format!("$.{b}.importDerivedRoles[{i}]"));
            }
        }
        if let Some(v) = vars {
            for (i, d) in v.import.iter().enumerate() {
                if !var_names.contains(&d.v) {
                    missing("variables", d, format!("$.{b}.variables.import[{i}]"));
                }
            }
        }
        if let Some(c) = consts {
            for (i, d) in c.import.iter().enumerate() {
                if !const_names.contains(&d.v) {
                    missing("constants", d, format!("$.{b}.constants.import[{i}]"));
                }
            }
        }
    }

    check_scopes(&kept, &by_key, diags);
    kept
}

fn check_scopes(kept: &[Unit], by_key: &BTreeMap<String, usize>, diags: &mut Vec<Diagnostic>) {
    // Role policies per (scope, version): their rule resources, for the
    // tolerance of missing resource-policy ancestors.
    let mut role_resources: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for u in kept {
        if let Body::RolePolicy(r) = &u.policy.body {
            role_resources
                .entry((u.policy.scope().to_string(), role_version(r).to_string()))
                .or_default()
                .extend(r.rules.iter().map(|x| x.resource.v.clone()));
        }
    }
    let mut perms: BTreeMap<String, Vec<(ScopePermissions, &Unit)>> = BTreeMap::new();
    for u in kept {
        let scope = u.policy.scope();
        let (name, version, sp, is_resource) = match &u.policy.body {
            Body::ResourcePolicy(r) => (&r.resource.v, &r.version.v, &r.scope_permissions, true),
            Body::PrincipalPolicy(r) => (&r.principal.v, &r.version.v, &r.scope_permissions, false),
            _ => continue,
        };
        let sp = match sp.as_ref().map(|s| s.v) {
            None | Some(ScopePermissions::Unspecified) => ScopePermissions::OverrideParent,
            Some(x) => x,
        };
        perms.entry(scope.to_string()).or_default().push((sp, u));
        if scope.is_empty() {
            continue;
        }
        let parts: Vec<&str> = scope.split('.').collect();
        for n in (0..parts.len()).rev() {
            let anc = parts[..n].join(".");
            let key = if is_resource {
                resource_key(name, version, &anc)
            } else {
                principal_key(name, version, &anc)
            };
            if by_key.contains_key(&key) {
                continue;
            }
            if is_resource {
                let tolerated = role_resources
                    .get(&(anc.clone(), version.clone()))
                    .is_some_and(|rs| rs.iter().any(|g| glob_match(g, name)));
                if tolerated {
                    continue;
                }
            }
            diags.push(Diagnostic::error(
                &u.file,
                pos(u.policy.at),
                DiagnosticKind::Index(IndexKind::MissingScope),
                format!(
                    "Missing ancestor policy \"{key}\" (required by \"{}\")",
                    u.key
                ),
            ));
        }
    }
    for (scope, list) in perms {
        let Some((first, fu)) = list.first() else {
            continue;
        };
        for (sp, u) in &list[1..] {
            if sp != first {
                diags.push(Diagnostic::error(
                    &u.file,
                    pos(u.policy.at),
                    DiagnosticKind::Index(IndexKind::ScopePermissionsConflict),
                    format!(
                        "scope permissions conflict in scope \"{scope}\": {} uses {:?} but {} uses {:?}",
                        u.key, sp, fu.key, first
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(sanitize("album:object"), "album_object");
        assert_eq!(sanitize("the:one:ring"), "the_one_ring");
        assert_eq!(sanitize("leave_request"), "leave_request");
        assert_eq!(sanitize("*"), "*");
        assert_eq!(sanitize("a//b"), "a_b");
        assert_eq!(
            resource_key("leave_request", "20210210", "acme.hr"),
            "resource.leave_request.v20210210/acme.hr"
        );
    }

    #[test]
    fn globs() {
        assert!(glob_match("*", "a:b"));
        assert!(glob_match("view:*", "view:public"));
        assert!(!glob_match("v*", "view:public"));
        assert!(glob_match("leave_*", "leave_request"));
        assert!(!glob_match("a", "b"));
    }
}
