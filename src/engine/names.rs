//! Cerbos naming rules (`internal/namer`): sanitized kinds, policy keys, scopes.

use std::borrow::Cow;

/// Cerbos's `sanitize`: names that match the pre-0.30 naming pattern have
/// every run of characters outside `[A-Za-z0-9_.]` replaced by one `_`;
/// other names are used verbatim.
pub fn sanitize(name: &str) -> String {
    sanitize_cow(name).into_owned()
}

/// [`sanitize`] without a copy when the name is already clean (the common
/// case, and the one the per-request path hits).
pub fn sanitize_cow(name: &str) -> Cow<'_, str> {
    // A name made only of kept characters comes out unchanged whether or
    // not it matches the pattern, so the pattern is only checked otherwise.
    if name
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
        || !matches_old_name_pattern(name)
    {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('_');
            in_run = true;
        }
    }
    Cow::Owned(out)
}

/// `^[[:alpha:]][[:word:]@.\-/]*(:[[:alpha:]][[:word:]@.\-/]*)*$` (ASCII classes).
fn matches_old_name_pattern(name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    name.split(':').all(|segment| {
        let mut chars = segment.chars();
        match chars.next() {
            Some(first) if first.is_ascii_alphabetic() => {
                chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '@' | '.' | '-' | '/'))
            }
            _ => false,
        }
    })
}

fn with_scope(mut key: String, scope: &str) -> String {
    if !scope.is_empty() {
        key.push('/');
        key.push_str(scope);
    }
    key
}

/// Policy key of a resource policy: `resource.<kind>.v<version>[/<scope>]`.
pub fn resource_policy_key(kind: &str, version: &str, scope: &str) -> String {
    with_scope(
        format!("resource.{}.v{}", sanitize_cow(kind), sanitize_cow(version)),
        scope,
    )
}

/// Policy key of a principal policy: `principal.<id>.v<version>[/<scope>]`.
pub fn principal_policy_key(id: &str, version: &str, scope: &str) -> String {
    with_scope(
        format!("principal.{}.v{}", sanitize_cow(id), sanitize_cow(version)),
        scope,
    )
}

/// Policy key of a role policy: `role.<role>.v<version>[/<scope>]`.
pub fn role_policy_key(role: &str, version: &str, scope: &str) -> String {
    with_scope(format!("role.{role}.v{version}"), scope)
}

/// `namer.ScopeValue`: a leading `.` is dropped, so `"."` means the root scope.
pub fn scope_value(scope: &str) -> &str {
    scope.strip_prefix('.').unwrap_or(scope)
}

/// Ancestors of a scope, most specific first: `a.b.c` → `a.b`, `a`, `""`.
/// The root scope has no ancestors.
pub fn scope_parents(scope: &str) -> impl Iterator<Item = &str> {
    let bytes = scope.as_bytes();
    (0..bytes.len())
        .rev()
        .filter(move |&i| i == 0 || bytes.get(i) == Some(&b'.'))
        .map(move |i| scope.get(..i).unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizes_like_cerbos() {
        assert_eq!(sanitize("album:object"), "album_object");
        assert_eq!(sanitize("the:one:ring"), "the_one_ring");
        assert_eq!(sanitize("leave_request"), "leave_request");
        assert_eq!(sanitize("*"), "*");
        assert_eq!(sanitize("a-b/c@d"), "a_b_c_d");
        assert_eq!(
            sanitize("arn:aws:iam::123456789012:user/johndoe"),
            "arn:aws:iam::123456789012:user/johndoe"
        );
    }

    #[test]
    fn walks_scope_parents() {
        let p: Vec<_> = scope_parents("a.b.c").collect();
        assert_eq!(p, vec!["a.b", "a", ""]);
        assert_eq!(scope_parents("").count(), 0);
        assert_eq!(scope_parents("a").collect::<Vec<_>>(), vec![""]);
        assert_eq!(scope_value("."), "");
        assert_eq!(
            resource_policy_key("x:y", "default", "a"),
            "resource.x_y.vdefault/a"
        );
    }
}
