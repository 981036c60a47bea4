//! Located tree → policy model, with Cerbos's parse and field validation.
//!
//! Keys are accepted in JSON (`importDerivedRoles`) or proto
//! (`import_derived_roles`) form; unknown keys, wrong types and bad enum
//! names are parse errors; patterns, required fields, uniqueness and the
//! `internal/policy/validate.go` rules are validation errors. Every problem
//! is collected (not just the first) with the position Cerbos reports.

use super::diagnostics::{DiagnosticKind, ParseKind};
use super::model::*;
use super::yaml::{Entry, Node, Pos, Style, Value};

/// One problem found while reading a policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// Where Cerbos reports it.
    pub pos: Pos,
    /// Parse or validation.
    pub kind: DiagnosticKind,
    /// Message (validation messages are prefixed by the field path).
    pub message: String,
    /// JSON path, `$.resourcePolicy.scope`.
    pub path: String,
}

/// The expected `apiVersion`.
pub const API_VERSION: &str = "api.cerbos.dev/v1";

const SCOPE_PATTERN: &str = r"^(^$|\.|[0-9a-zA-Z][\w\-]*(\.\w[\w\-]*)*)$";
const NAME_PATTERN: &str = r"^[\w\-\.]+$";
const VERSION_PATTERN: &str = r"^\w+$";
const ROLE_VERSION_PATTERN: &str = r"^\w*$";
const NO_GLOB_PATTERN: &str = r"^[^!\*\?\[\]\{\}]+$";
const RULE_NAME_PATTERN: &str = r"^([a-zA-Z][\w\@\.\-]*)*$";

/// A pattern check and the pattern text reported when it fails.
type Check<'p> = (fn(&str) -> bool, &'p str);

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

pub(crate) fn matches_scope(s: &str) -> bool {
    if s.is_empty() || s == "." {
        return true;
    }
    let mut parts = s.split('.');
    let Some(first) = parts.next() else {
        return false;
    };
    let mut fc = first.chars();
    if !fc.next().is_some_and(|c| c.is_ascii_alphanumeric()) {
        return false;
    }
    if !fc.all(|c| is_word(c) || c == '-') {
        return false;
    }
    parts.all(|p| {
        let mut pc = p.chars();
        pc.next().is_some_and(is_word) && pc.all(|c| is_word(c) || c == '-')
    })
}

pub(crate) fn matches_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| is_word(c) || c == '-' || c == '.')
}

fn matches_version(s: &str) -> bool {
    !s.is_empty() && s.chars().all(is_word)
}

fn matches_no_glob(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| "!*?[]{}".contains(c))
}

fn matches_rule_name(s: &str) -> bool {
    s.is_empty()
        || (s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars().all(|c| is_word(c) || "@.-".contains(c)))
}

/// Field-path helper: `$`-rooted for positions, bare for validation messages.
#[derive(Clone)]
struct P(String);

impl P {
    fn root() -> P {
        P(String::new())
    }
    fn field(&self, name: &str) -> P {
        if self.0.is_empty() {
            P(name.to_string())
        } else {
            P(format!("{}.{}", self.0, name))
        }
    }
    fn key(&self, name: &str) -> P {
        if name.contains('.') {
            self.field(&format!("'{name}'"))
        } else {
            self.field(name)
        }
    }
    fn index(&self, i: usize) -> P {
        P(format!("{}[{}]", self.0, i))
    }
    fn json(&self) -> String {
        if self.0.is_empty() {
            "$".into()
        } else {
            format!("$.{}", self.0)
        }
    }
}

struct Reader {
    errors: Vec<ParseError>,
}

/// The fields of one mapping, looked up by canonical (JSON) name.
struct Fields<'n> {
    entries: Vec<(&'static str, &'n Entry)>,
}

impl<'n> Fields<'n> {
    fn get(&self, name: &str) -> Option<&'n Entry> {
        self.entries
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, e)| *e)
    }
}

/// camelCase → snake_case (`importDerivedRoles` → `import_derived_roles`).
fn snake(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl Reader {
    fn parse_err(&mut self, pos: Pos, kind: ParseKind, msg: impl Into<String>, path: &P) {
        self.errors.push(ParseError {
            pos,
            kind: DiagnosticKind::Parse(kind),
            message: msg.into(),
            path: path.json(),
        });
    }

    fn invalid(&mut self, pos: Pos, path: &P, msg: &str) {
        self.errors.push(ParseError {
            pos,
            kind: DiagnosticKind::Validation,
            message: format!("{}: {}", path.0, msg),
            path: path.json(),
        });
    }

    fn fields<'n>(&mut self, node: &'n Node, path: &P, allowed: &[&'static str]) -> Fields<'n> {
        let mut out = Fields {
            entries: Vec::new(),
        };
        match &node.value {
            Value::Map(entries) => {
                for e in entries {
                    let canon = allowed
                        .iter()
                        .find(|a| **a == e.key || snake(a) == e.key)
                        .copied();
                    match canon {
                        Some(c) => {
                            if out.get(c).is_some() {
                                self.parse_err(
                                    e.key_pos,
                                    ParseKind::DuplicateKey,
                                    format!("duplicate field \"{}\"", e.key),
                                    &path.key(&e.key),
                                );
                            } else {
                                out.entries.push((c, e));
                            }
                        }
                        None => self.parse_err(
                            e.key_pos,
                            ParseKind::UnknownField,
                            format!("unknown field \"{}\"", e.key),
                            &path.key(&e.key),
                        ),
                    }
                }
            }
            _ if node.is_null() => {}
            _ => self.parse_err(
                node.pos,
                ParseKind::WrongType,
                format!("expected object value got {}", node.type_name()),
                path,
            ),
        }
        out
    }

    fn string_node(&mut self, node: &Node, key: Pos, path: &P) -> Option<S<String>> {
        match &node.value {
            Value::Scalar(_, Style::Plain) if node.is_null() => Some(S {
                v: String::new(),
                at: node.pos,
                key,
            }),
            Value::Scalar(s, _) => Some(S {
                v: s.clone(),
                at: node.pos,
                key,
            }),
            _ => {
                self.parse_err(
                    node.pos,
                    ParseKind::WrongType,
                    format!("expected string value got {}", node.type_name()),
                    path,
                );
                None
            }
        }
    }

    fn string(&mut self, f: &Fields, name: &str, path: &P) -> Option<S<String>> {
        let e = f.get(name)?;
        self.string_node(&e.value, e.key_pos, &path.field(name))
    }

    fn bool(&mut self, f: &Fields, name: &str, path: &P) -> bool {
        let Some(e) = f.get(name) else {
            return false;
        };
        match e.value.to_json() {
            serde_json::Value::Bool(b) => b,
            serde_json::Value::Null => false,
            _ => {
                self.parse_err(
                    e.value.pos,
                    ParseKind::WrongType,
                    format!("expected bool value got {}", e.value.type_name()),
                    &path.field(name),
                );
                false
            }
        }
    }

    fn seq<'n>(&mut self, e: &'n Entry, path: &P) -> Vec<&'n Node> {
        match &e.value.value {
            Value::Seq(items) => items.iter().collect(),
            _ if e.value.is_null() => Vec::new(),
            _ => {
                self.parse_err(
                    e.value.pos,
                    ParseKind::WrongType,
                    format!("expected sequence value got {}", e.value.type_name()),
                    path,
                );
                Vec::new()
            }
        }
    }

    /// A list of strings with per-item pattern check and uniqueness.
    fn strings(
        &mut self,
        f: &Fields,
        name: &str,
        path: &P,
        check: Option<Check<'_>>,
        unique: bool,
    ) -> Vec<S<String>> {
        let Some(e) = f.get(name) else {
            return Vec::new();
        };
        let p = path.field(name);
        let mut out: Vec<S<String>> = Vec::new();
        for (i, item) in self.seq(e, &p).into_iter().enumerate() {
            let ip = p.index(i);
            let Some(s) = self.string_node(item, item.pos, &ip) else {
                continue;
            };
            if let Some((ok, pat)) = check {
                if !ok(&s.v) {
                    self.invalid(
                        item.pos,
                        &ip,
                        &format!("does not match regex pattern `{pat}`"),
                    );
                }
            } else if s.v.is_empty() {
                self.invalid(item.pos, &ip, "value length must be at least 1 characters");
            }
            if unique && out.iter().any(|o| o.v == s.v) {
                self.invalid(item.pos, &p, "repeated value must contain unique items");
            }
            out.push(s);
        }
        out
    }

    fn required_string(
        &mut self,
        f: &Fields,
        name: &str,
        path: &P,
        parent: Pos,
        check: Option<Check<'_>>,
    ) -> S<String> {
        let p = path.field(name);
        match self.string(f, name, path) {
            Some(s) => {
                if s.v.is_empty() {
                    self.invalid(s.key, &p, "value is required");
                } else if let Some((ok, pat)) = check {
                    if !ok(&s.v) {
                        self.invalid(s.key, &p, &format!("does not match regex pattern `{pat}`"));
                    }
                }
                s
            }
            None => {
                if f.get(name).is_none() {
                    self.invalid(parent, &p, "value is required");
                }
                S {
                    v: String::new(),
                    at: parent,
                    key: parent,
                }
            }
        }
    }

    fn optional_pattern(
        &mut self,
        f: &Fields,
        name: &str,
        path: &P,
        ok: fn(&str) -> bool,
        pat: &str,
    ) -> Option<S<String>> {
        let s = self.string(f, name, path)?;
        if !ok(&s.v) {
            self.invalid(
                s.key,
                &path.field(name),
                &format!("does not match regex pattern `{pat}`"),
            );
        }
        Some(s)
    }

    fn string_map(&mut self, e: &Entry, path: &P) -> LocMap<String> {
        let mut out = LocMap::default();
        match &e.value.value {
            Value::Map(entries) => {
                for x in entries {
                    let kp = path.key(&x.key);
                    if let Some(v) = self.string_node(&x.value, x.key_pos, &kp) {
                        out.0.push((
                            S {
                                v: x.key.clone(),
                                at: x.key_pos,
                                key: x.key_pos,
                            },
                            v,
                        ));
                    }
                }
            }
            _ if e.value.is_null() => {}
            _ => self.parse_err(
                e.value.pos,
                ParseKind::WrongType,
                format!("expected object value got {}", e.value.type_name()),
                path,
            ),
        }
        out
    }

    fn value_map(&mut self, e: &Entry, path: &P) -> LocMap<serde_json::Value> {
        let mut out = LocMap::default();
        match &e.value.value {
            Value::Map(entries) => {
                for x in entries {
                    out.0.push((
                        S {
                            v: x.key.clone(),
                            at: x.key_pos,
                            key: x.key_pos,
                        },
                        S {
                            v: x.value.to_json(),
                            at: x.value.pos,
                            key: x.key_pos,
                        },
                    ));
                }
            }
            _ if e.value.is_null() => {}
            _ => self.parse_err(
                e.value.pos,
                ParseKind::WrongType,
                format!("expected object value got {}", e.value.type_name()),
                path,
            ),
        }
        out
    }

    fn effect(&mut self, f: &Fields, path: &P, parent: Pos) -> S<Effect> {
        let p = path.field("effect");
        let s = self.string(f, "effect", path);
        let (v, at, key) = match &s {
            Some(s) => (s.v.as_str(), s.at, s.key),
            None => ("", parent, parent),
        };
        let eff = match v {
            "EFFECT_ALLOW" => Effect::Allow,
            "EFFECT_DENY" => Effect::Deny,
            "" => {
                if s.is_none() && f.get("effect").is_none() || v.is_empty() {
                    self.invalid(key, &p, "value must be one of the defined enum values");
                }
                Effect::Deny
            }
            "EFFECT_UNSPECIFIED" | "EFFECT_NO_MATCH" => {
                self.invalid(key, &p, "value must be in list [EFFECT_ALLOW, EFFECT_DENY]");
                Effect::Deny
            }
            other => {
                self.parse_err(
                    at,
                    ParseKind::WrongType,
                    format!("invalid value for enum field effect: \"{other}\""),
                    &p,
                );
                Effect::Deny
            }
        };
        S { v: eff, at, key }
    }

    fn scope_permissions(
        &mut self,
        f: &Fields,
        path: &P,
        role: bool,
    ) -> Option<S<ScopePermissions>> {
        let s = self.string(f, "scopePermissions", path)?;
        let p = path.field("scopePermissions");
        let v = match s.v.as_str() {
            "SCOPE_PERMISSIONS_UNSPECIFIED" | "" => ScopePermissions::Unspecified,
            "SCOPE_PERMISSIONS_OVERRIDE_PARENT" if !role => ScopePermissions::OverrideParent,
            "SCOPE_PERMISSIONS_OVERRIDE_PARENT" => {
                self.invalid(
                    s.key,
                    &p,
                    "value must be in list [SCOPE_PERMISSIONS_UNSPECIFIED, SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS]",
                );
                ScopePermissions::Unspecified
            }
            "SCOPE_PERMISSIONS_REQUIRE_PARENTAL_CONSENT_FOR_ALLOWS" => {
                ScopePermissions::RequireParentalConsentForAllows
            }
            other => {
                self.parse_err(
                    s.at,
                    ParseKind::WrongType,
                    format!("invalid value for enum field scopePermissions: \"{other}\""),
                    &p,
                );
                ScopePermissions::Unspecified
            }
        };
        Some(S {
            v,
            at: s.at,
            key: s.key,
        })
    }

    fn variables(&mut self, f: &Fields, path: &P) -> Option<Variables> {
        let e = f.get("variables")?;
        let p = path.field("variables");
        let vf = self.fields(&e.value, &p, &["import", "local"]);
        let import = self.strings(&vf, "import", &p, Some((matches_name, NAME_PATTERN)), true);
        let local = match vf.get("local") {
            Some(le) => self.string_map(le, &p.field("local")),
            None => LocMap::default(),
        };
        Some(Variables { import, local })
    }

    fn constants(&mut self, f: &Fields, path: &P) -> Option<Constants> {
        let e = f.get("constants")?;
        let p = path.field("constants");
        let cf = self.fields(&e.value, &p, &["import", "local"]);
        let import = self.strings(&cf, "import", &p, Some((matches_name, NAME_PATTERN)), true);
        let local = match cf.get("local") {
            Some(le) => self.value_map(le, &p.field("local")),
            None => LocMap::default(),
        };
        Some(Constants { import, local })
    }

    fn condition(&mut self, f: &Fields, path: &P) -> Option<LocCondition> {
        let e = f.get("condition")?;
        let p = path.field("condition");
        let cf = self.fields(&e.value, &p, &["match", "script"]);
        let cond = match (cf.get("match"), cf.get("script")) {
            (Some(m), None) => Condition::Match(self.matcher(&m.value, &p.field("match"), 0)?),
            (None, Some(s)) => {
                Condition::Script(self.string_node(&s.value, s.key_pos, &p.field("script"))?)
            }
            _ => {
                self.invalid(
                    e.key_pos,
                    &p.field("condition"),
                    "exactly one field is required in oneof",
                );
                return None;
            }
        };
        Some(LocCondition {
            cond,
            key: e.key_pos,
        })
    }

    fn matcher(&mut self, node: &Node, path: &P, depth: usize) -> Option<Match> {
        if depth > 32 {
            self.parse_err(
                node.pos,
                ParseKind::InvalidDocument,
                "condition nested too deeply",
                path,
            );
            return None;
        }
        let mf = self.fields(node, path, &["expr", "all", "any", "none"]);
        let present: Vec<_> = ["expr", "all", "any", "none"]
            .iter()
            .filter_map(|n| mf.get(n).map(|e| (*n, e)))
            .collect();
        if present.len() != 1 {
            self.invalid(
                node.pos,
                &path.field("op"),
                "exactly one field is required in oneof",
            );
            return None;
        }
        let (name, e) = present[0];
        if name == "expr" {
            return Some(Match::Expr(self.string_node(
                &e.value,
                e.key_pos,
                &path.field("expr"),
            )?));
        }
        let lp = path.field(name);
        let lf = self.fields(&e.value, &lp, &["of"]);
        let mut of = Vec::new();
        match lf.get("of") {
            Some(oe) => {
                let op = lp.field("of");
                let items = self.seq(oe, &op);
                if items.is_empty() {
                    self.invalid(oe.key_pos, &op, "value must contain at least 1 item(s)");
                }
                for (i, item) in items.into_iter().enumerate() {
                    if let Some(m) = self.matcher(item, &op.index(i), depth + 1) {
                        of.push(m);
                    }
                }
            }
            None => self.invalid(
                e.key_pos,
                &lp.field("of"),
                "value must contain at least 1 item(s)",
            ),
        }
        let list = ExprList { of };
        Some(match name {
            "all" => Match::All(list),
            "any" => Match::Any(list),
            _ => Match::None(list),
        })
    }

    fn output(&mut self, f: &Fields, path: &P) -> Option<Output> {
        let e = f.get("output")?;
        let p = path.field("output");
        let of = self.fields(&e.value, &p, &["expr", "when"]);
        let expr = self.string(&of, "expr", &p);
        let when = of.get("when").map(|we| {
            let wp = p.field("when");
            let wf = self.fields(&we.value, &wp, &["ruleActivated", "conditionNotMet"]);
            OutputWhen {
                rule_activated: self.string(&wf, "ruleActivated", &wp),
                condition_not_met: self.string(&wf, "conditionNotMet", &wp),
            }
        });
        Some(Output {
            expr,
            when,
            key: e.key_pos,
        })
    }

    fn rule_name(&mut self, f: &Fields, path: &P) -> Option<S<String>> {
        self.optional_pattern(f, "name", path, matches_rule_name, RULE_NAME_PATTERN)
    }

    fn schemas(&mut self, f: &Fields, path: &P) -> Option<Schemas> {
        let e = f.get("schemas")?;
        let p = path.field("schemas");
        let sf = self.fields(&e.value, &p, &["principalSchema", "resourceSchema"]);
        let one = |r: &mut Reader, name: &str| -> Option<Schema> {
            let se = sf.get(name)?;
            let sp = p.field(name);
            let ff = r.fields(&se.value, &sp, &["ref", "ignoreWhen"]);
            let reference = r.required_string(&ff, "ref", &sp, se.key_pos, None);
            let ignore_when = ff.get("ignoreWhen").map(|ie| {
                let ip = sp.field("ignoreWhen");
                let iff = r.fields(&ie.value, &ip, &["actions"]);
                if iff.get("actions").is_none() {
                    r.invalid(
                        ie.key_pos,
                        &ip.field("actions"),
                        "value must contain at least 1 item(s)",
                    );
                }
                IgnoreWhen {
                    actions: r.strings(&iff, "actions", &ip, None, true),
                }
            });
            Some(Schema {
                reference,
                ignore_when,
            })
        };
        let principal_schema = one(self, "principalSchema");
        let resource_schema = one(self, "resourceSchema");
        Some(Schemas {
            principal_schema,
            resource_schema,
        })
    }

    fn resource_policy(&mut self, e: &Entry, path: &P) -> ResourcePolicy {
        let f = self.fields(
            &e.value,
            path,
            &[
                "resource",
                "version",
                "importDerivedRoles",
                "rules",
                "scope",
                "schemas",
                "variables",
                "scopePermissions",
                "constants",
            ],
        );
        let resource = self.required_string(
            &f,
            "resource",
            path,
            e.key_pos,
            Some((matches_no_glob, NO_GLOB_PATTERN)),
        );
        let version = self.required_string(
            &f,
            "version",
            path,
            e.key_pos,
            Some((matches_version, VERSION_PATTERN)),
        );
        let import_derived_roles = self.strings(
            &f,
            "importDerivedRoles",
            path,
            Some((matches_name, NAME_PATTERN)),
            true,
        );
        let scope = self.optional_pattern(&f, "scope", path, matches_scope, SCOPE_PATTERN);
        let scope_permissions = self.scope_permissions(&f, path, false);
        let schemas = self.schemas(&f, path);
        let variables = self.variables(&f, path);
        let constants = self.constants(&f, path);
        let mut rules = Vec::new();
        if let Some(re) = f.get("rules") {
            let rp = path.field("rules");
            for (i, item) in self.seq(re, &rp).into_iter().enumerate() {
                let ip = rp.index(i);
                let rf = self.fields(
                    item,
                    &ip,
                    &[
                        "actions",
                        "derivedRoles",
                        "roles",
                        "condition",
                        "effect",
                        "name",
                        "output",
                    ],
                );
                if rf.get("actions").is_none() {
                    self.invalid(
                        item.pos,
                        &ip.field("actions"),
                        "value must contain at least 1 item(s)",
                    );
                }
                let actions = self.strings(&rf, "actions", &ip, None, true);
                if actions.is_empty() && rf.get("actions").is_some() {
                    self.invalid(
                        item.pos,
                        &ip.field("actions"),
                        "value must contain at least 1 item(s)",
                    );
                }
                let rule = ResourceRule {
                    actions,
                    derived_roles: self.strings(
                        &rf,
                        "derivedRoles",
                        &ip,
                        Some((matches_name, NAME_PATTERN)),
                        true,
                    ),
                    roles: self.strings(&rf, "roles", &ip, None, true),
                    condition: self.condition(&rf, &ip),
                    effect: self.effect(&rf, &ip, item.pos),
                    name: self.rule_name(&rf, &ip),
                    output: self.output(&rf, &ip),
                    at: item.pos,
                };
                rules.push(rule);
            }
        }
        // validate.go: named rules are unique within the policy.
        for (i, r) in rules.iter().enumerate() {
            let Some(n) = r.name.as_ref().filter(|n| !n.v.is_empty()) else {
                continue;
            };
            if let Some((j, first)) = rules[..i]
                .iter()
                .enumerate()
                .find(|(_, o)| o.name.as_ref().is_some_and(|on| on.v == n.v))
            {
                let fp = first.at;
                self.errors.push(ParseError {
                    pos: r.at,
                    kind: DiagnosticKind::Validation,
                    message: format!(
                        "duplicate rule name \"{}\": rule #{} has the same name as rule #{} defined at {}:{}",
                        n.v,
                        i + 1,
                        j + 1,
                        fp.line,
                        fp.col
                    ),
                    path: path.field("rules").index(i).json(),
                });
            }
        }
        ResourcePolicy {
            resource,
            version,
            import_derived_roles,
            rules,
            scope,
            schemas,
            variables,
            scope_permissions,
            constants,
        }
    }

    fn principal_policy(&mut self, e: &Entry, path: &P) -> PrincipalPolicy {
        let f = self.fields(
            &e.value,
            path,
            &[
                "principal",
                "version",
                "rules",
                "scope",
                "variables",
                "scopePermissions",
                "constants",
            ],
        );
        let principal = self.required_string(
            &f,
            "principal",
            path,
            e.key_pos,
            Some((matches_no_glob, NO_GLOB_PATTERN)),
        );
        let version = self.required_string(
            &f,
            "version",
            path,
            e.key_pos,
            Some((matches_version, VERSION_PATTERN)),
        );
        let scope = self.optional_pattern(&f, "scope", path, matches_scope, SCOPE_PATTERN);
        let scope_permissions = self.scope_permissions(&f, path, false);
        let variables = self.variables(&f, path);
        let constants = self.constants(&f, path);
        let mut rules: Vec<PrincipalRule> = Vec::new();
        if let Some(re) = f.get("rules") {
            let rp = path.field("rules");
            for (i, item) in self.seq(re, &rp).into_iter().enumerate() {
                let ip = rp.index(i);
                let rf = self.fields(item, &ip, &["resource", "actions"]);
                let resource = self.required_string(&rf, "resource", &ip, item.pos, None);
                let mut actions: Vec<PrincipalAction> = Vec::new();
                match rf.get("actions") {
                    Some(ae) => {
                        let ap = ip.field("actions");
                        let items = self.seq(ae, &ap);
                        if items.is_empty() {
                            self.invalid(ae.key_pos, &ap, "value must contain at least 1 item(s)");
                        }
                        for (k, a) in items.into_iter().enumerate() {
                            let kp = ap.index(k);
                            let af = self.fields(
                                a,
                                &kp,
                                &["action", "condition", "effect", "name", "output"],
                            );
                            let action = self.required_string(&af, "action", &kp, a.pos, None);
                            let act = PrincipalAction {
                                action,
                                condition: self.condition(&af, &kp),
                                effect: self.effect(&af, &kp, a.pos),
                                name: self.rule_name(&af, &kp),
                                output: self.output(&af, &kp),
                                at: a.pos,
                            };
                            if let Some(n) = act.name.as_ref().filter(|n| !n.v.is_empty()) {
                                if let Some((j, first)) = actions
                                    .iter()
                                    .enumerate()
                                    .find(|(_, o)| o.name.as_ref().is_some_and(|on| on.v == n.v))
                                {
                                    self.errors.push(ParseError {
                                        pos: a.pos,
                                        kind: DiagnosticKind::Validation,
                                        message: format!(
                                            "duplicate action rule name \"{}\": action rule #{} for resource \"{}\" has the same name as action rule #{} defined at {}:{}",
                                            n.v, k + 1, resource.v, j + 1, first.at.line, first.at.col
                                        ),
                                        path: kp.json(),
                                    });
                                }
                            }
                            actions.push(act);
                        }
                    }
                    None => self.invalid(
                        item.pos,
                        &ip.field("actions"),
                        "value must contain at least 1 item(s)",
                    ),
                }
                if let Some((j, _)) = rules
                    .iter()
                    .enumerate()
                    .find(|(_, o)| o.resource.v == resource.v)
                {
                    self.errors.push(ParseError {
                        pos: item.pos,
                        kind: DiagnosticKind::Validation,
                        message: format!(
                            "duplicate resource \"{}\": rule #{} has the same resource as rule #{}",
                            resource.v,
                            i + 1,
                            j + 1
                        ),
                        path: ip.json(),
                    });
                }
                rules.push(PrincipalRule {
                    resource,
                    actions,
                    at: item.pos,
                });
            }
        }
        PrincipalPolicy {
            principal,
            version,
            rules,
            scope,
            variables,
            scope_permissions,
            constants,
        }
    }

    fn role_policy(&mut self, e: &Entry, path: &P) -> RolePolicy {
        let f = self.fields(
            &e.value,
            path,
            &[
                "role",
                "version",
                "scope",
                "parentRoles",
                "rules",
                "variables",
                "constants",
                "scopePermissions",
            ],
        );
        let role = self.required_string(
            &f,
            "role",
            path,
            e.key_pos,
            Some((matches_no_glob, NO_GLOB_PATTERN)),
        );
        let version = self.optional_pattern(
            &f,
            "version",
            path,
            |s| s.chars().all(is_word),
            ROLE_VERSION_PATTERN,
        );
        let scope = self.optional_pattern(&f, "scope", path, matches_scope, SCOPE_PATTERN);
        let parent_roles = self.strings(&f, "parentRoles", path, None, true);
        let scope_permissions = self.scope_permissions(&f, path, true);
        let variables = self.variables(&f, path);
        let constants = self.constants(&f, path);
        let mut rules = Vec::new();
        if let Some(re) = f.get("rules") {
            let rp = path.field("rules");
            for (i, item) in self.seq(re, &rp).into_iter().enumerate() {
                let ip = rp.index(i);
                let rf = self.fields(
                    item,
                    &ip,
                    &["resource", "allowActions", "condition", "name", "output"],
                );
                let resource = self.required_string(&rf, "resource", &ip, item.pos, None);
                let allow_actions = self.strings(&rf, "allowActions", &ip, None, true);
                if allow_actions.is_empty() {
                    self.invalid(
                        item.pos,
                        &ip.field("allowActions"),
                        "value must contain at least 1 item(s)",
                    );
                }
                rules.push(RoleRule {
                    resource,
                    allow_actions,
                    condition: self.condition(&rf, &ip),
                    name: self.rule_name(&rf, &ip),
                    output: self.output(&rf, &ip),
                    at: item.pos,
                });
            }
        }
        RolePolicy {
            role,
            version,
            scope,
            parent_roles,
            rules,
            variables,
            constants,
            scope_permissions,
        }
    }

    fn derived_roles(&mut self, e: &Entry, path: &P) -> DerivedRoles {
        let f = self.fields(
            &e.value,
            path,
            &["name", "definitions", "variables", "constants"],
        );
        let name = self.required_string(
            &f,
            "name",
            path,
            e.key_pos,
            Some((matches_name, NAME_PATTERN)),
        );
        let variables = self.variables(&f, path);
        let constants = self.constants(&f, path);
        let mut definitions: Vec<RoleDef> = Vec::new();
        match f.get("definitions") {
            Some(de) => {
                let dp = path.field("definitions");
                let items = self.seq(de, &dp);
                if items.is_empty() {
                    self.invalid(de.key_pos, &dp, "value must contain at least 1 item(s)");
                }
                for (i, item) in items.into_iter().enumerate() {
                    let ip = dp.index(i);
                    let rf = self.fields(item, &ip, &["name", "parentRoles", "condition"]);
                    let dname = self.required_string(
                        &rf,
                        "name",
                        &ip,
                        item.pos,
                        Some((matches_name, NAME_PATTERN)),
                    );
                    let parent_roles = self.strings(&rf, "parentRoles", &ip, None, true);
                    if parent_roles.is_empty() {
                        self.invalid(
                            item.pos,
                            &ip.field("parentRoles"),
                            "value must contain at least 1 item(s)",
                        );
                    }
                    let def = RoleDef {
                        name: dname,
                        parent_roles,
                        condition: self.condition(&rf, &ip),
                        at: item.pos,
                    };
                    if let Some((j, first)) = definitions
                        .iter()
                        .enumerate()
                        .find(|(_, o)| o.name.v == def.name.v)
                    {
                        self.errors.push(ParseError {
                            pos: item.pos,
                            kind: DiagnosticKind::Validation,
                            message: format!(
                                "duplicate derived role definition \"{}\": definition #{} has the same name as definition #{} at {}:{}",
                                def.name.v, i + 1, j + 1, first.at.line, first.at.col
                            ),
                            path: ip.json(),
                        });
                    }
                    definitions.push(def);
                }
            }
            None => self.invalid(e.key_pos, &path.field("definitions"), "value is required"),
        }
        DerivedRoles {
            name,
            definitions,
            variables,
            constants,
        }
    }

    fn export_variables(&mut self, e: &Entry, path: &P) -> ExportVariables {
        let f = self.fields(&e.value, path, &["name", "definitions"]);
        let name = self.required_string(
            &f,
            "name",
            path,
            e.key_pos,
            Some((matches_name, NAME_PATTERN)),
        );
        let definitions = match f.get("definitions") {
            Some(de) => self.string_map(de, &path.field("definitions")),
            None => LocMap::default(),
        };
        ExportVariables { name, definitions }
    }

    fn export_constants(&mut self, e: &Entry, path: &P) -> ExportConstants {
        let f = self.fields(&e.value, path, &["name", "definitions"]);
        let name = self.required_string(
            &f,
            "name",
            path,
            e.key_pos,
            Some((matches_name, NAME_PATTERN)),
        );
        let definitions = match f.get("definitions") {
            Some(de) => self.value_map(de, &path.field("definitions")),
            None => LocMap::default(),
        };
        ExportConstants { name, definitions }
    }

    fn metadata(&mut self, e: &Entry, path: &P) -> Metadata {
        let p = path.field("metadata");
        let f = self.fields(
            &e.value,
            &p,
            &[
                "sourceFile",
                "annotations",
                "hash",
                "storeIdentifier",
                "storeIdentifer",
                "sourceAttributes",
            ],
        );
        let annotations = match f.get("annotations") {
            Some(ae) => self.string_map(ae, &p.field("annotations")),
            None => LocMap::default(),
        };
        let source_attributes = f.get("sourceAttributes").map(|se| {
            let sp = p.field("sourceAttributes");
            let sf = self.fields(&se.value, &sp, &["attributes"]);
            SourceAttributes {
                attributes: match sf.get("attributes") {
                    Some(ae) => self.value_map(ae, &sp.field("attributes")),
                    None => LocMap::default(),
                },
            }
        });
        let store_identifier = self
            .string(&f, "storeIdentifier", &p)
            .or_else(|| self.string(&f, "storeIdentifer", &p))
            .map(|s| s.v)
            .unwrap_or_default();
        Metadata {
            source_file: self
                .string(&f, "sourceFile", &p)
                .map(|s| s.v)
                .unwrap_or_default(),
            annotations,
            hash: f.get("hash").map(|h| h.value.to_json()),
            store_identifier,
            source_attributes,
        }
    }
}

const BODY_KEYS: [&str; 6] = [
    "resourcePolicy",
    "principalPolicy",
    "derivedRoles",
    "exportVariables",
    "exportConstants",
    "rolePolicy",
];

/// Reads one document into a policy. Returns the policy when it could be
/// built (even with validation errors, so callers can still report on it)
/// and every problem found.
pub fn parse_policy(doc: &Node) -> (Option<Policy>, Vec<ParseError>) {
    let mut r = Reader { errors: Vec::new() };
    let root = P::root();
    if !matches!(doc.value, Value::Map(_)) {
        r.parse_err(
            doc.pos,
            ParseKind::InvalidDocument,
            "invalid document: contents are not valid YAML or JSON",
            &root,
        );
        return (None, only_parse_errors(r.errors));
    }
    let mut allowed = vec![
        "apiVersion",
        "description",
        "disabled",
        "metadata",
        "variables",
        "$schema",
    ];
    allowed.extend(BODY_KEYS);
    let f = r.fields(doc, &root, &allowed);
    let api = r.string(&f, "apiVersion", &root);
    let api_version = match api {
        Some(s) => {
            if s.v != API_VERSION {
                r.invalid(
                    s.key,
                    &root.field("apiVersion"),
                    &format!("must equal `{API_VERSION}`"),
                );
            }
            s
        }
        None => {
            r.invalid(
                doc.pos,
                &root.field("apiVersion"),
                &format!("must equal `{API_VERSION}`"),
            );
            S {
                v: String::new(),
                at: doc.pos,
                key: doc.pos,
            }
        }
    };
    let description = r
        .string(&f, "description", &root)
        .map(|s| s.v)
        .unwrap_or_default();
    let disabled = r.bool(&f, "disabled", &root);
    let json_schema = r.string(&f, "$schema", &root).map(|s| s.v);
    let metadata = f.get("metadata").map(|e| r.metadata(e, &root));
    let variables = f.get("variables").map(|e| S {
        v: r.string_map(e, &root.field("variables")),
        at: e.value.pos,
        key: e.key_pos,
    });
    let bodies: Vec<(&str, &Entry)> = BODY_KEYS
        .iter()
        .filter_map(|k| f.get(k).map(|e| (*k, e)))
        .collect();
    if bodies.len() != 1 {
        r.invalid(
            doc.pos,
            &P("policyType".into()),
            "exactly one field is required in oneof",
        );
        return (None, only_parse_errors(r.errors));
    }
    let (kind, e) = bodies[0];
    let bp = root.field(kind);
    let body = match kind {
        "resourcePolicy" => Body::ResourcePolicy(r.resource_policy(e, &bp)),
        "principalPolicy" => Body::PrincipalPolicy(r.principal_policy(e, &bp)),
        "rolePolicy" => Body::RolePolicy(r.role_policy(e, &bp)),
        "derivedRoles" => Body::DerivedRoles(r.derived_roles(e, &bp)),
        "exportVariables" => Body::ExportVariables(r.export_variables(e, &bp)),
        _ => Body::ExportConstants(r.export_constants(e, &bp)),
    };
    if let Some(v) = &variables {
        let which = match body {
            Body::ExportVariables(_) => Some("export variables"),
            Body::ExportConstants(_) => Some("export constants"),
            _ => None,
        };
        if let Some(w) = which {
            r.errors.push(ParseError {
                pos: v.key,
                kind: DiagnosticKind::Validation,
                message: format!(
                    "{w} policies do not support the deprecated top-level variables field"
                ),
                path: "$.variables".into(),
            });
        }
    }
    let policy = Policy {
        api_version,
        description,
        disabled,
        metadata,
        variables,
        json_schema,
        body,
        body_at: e.key_pos,
        at: doc.pos,
    };
    (Some(policy), only_parse_errors(r.errors))
}

/// Field validation runs only on documents that parsed: when a document
/// has parse errors, those are the ones reported.
fn only_parse_errors(mut errors: Vec<ParseError>) -> Vec<ParseError> {
    if errors
        .iter()
        .any(|e| matches!(e.kind, DiagnosticKind::Parse(_)))
    {
        errors.retain(|e| matches!(e.kind, DiagnosticKind::Parse(_)));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiler::yaml::parse_documents;

    #[test]
    fn patterns() {
        assert!(matches_scope("acme.hr-1.uk"));
        assert!(matches_scope(""));
        assert!(!matches_scope("¬s"));
        assert!(!matches_scope("acme..hr"));
        assert!(matches_name("my_roles-1.x"));
        assert!(!matches_name(""));
        assert!(matches_rule_name("wildcard"));
        assert!(!matches_rule_name("1x"));
    }

    #[test]
    fn unknown_field_and_snake_case() {
        let src = "apiVersion: api.cerbos.dev/v1\nfoo: 1\nresourcePolicy:\n  resource: x\n  version: default\n  import_derived_roles: [a]\n";
        let docs = parse_documents(src).unwrap();
        let (p, errs) = parse_policy(&docs[0]);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].message, "unknown field \"foo\"");
        assert_eq!((errs[0].pos.line, errs[0].pos.col), (2, 1));
        let Some(Policy {
            body: Body::ResourcePolicy(rp),
            ..
        }) = p
        else {
            panic!("not a resource policy")
        };
        assert_eq!(rp.import_derived_roles[0].v, "a");
    }
}
