//! Go's slash-separated `path/filepath` functions (Unix flavour), which
//! Cerbos's cross-platform path helpers are built on.

/// Go's `filepath.Clean`.
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if matches!(out.last(), Some(p) if *p != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            p => out.push(p),
        }
    }
    let joined = out.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Base`.
pub fn base(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_string();
    }
    match trimmed.rfind('/') {
        Some(i) => trimmed[i + 1..].to_string(),
        None => trimmed.to_string(),
    }
}

/// Go's `filepath.Dir`.
pub fn dir(path: &str) -> String {
    let i = path.rfind('/').map(|i| i + 1).unwrap_or(0);
    clean(&path[..i])
}

/// Go's `filepath.Ext`.
pub fn ext(path: &str) -> String {
    for (i, c) in path.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return path[i..].to_string();
        }
    }
    String::new()
}

/// Go's `filepath.Join` of two elements.
pub fn join2(a: &str, b: &str) -> String {
    let parts: Vec<&str> = [a, b].into_iter().filter(|p| !p.is_empty()).collect();
    if parts.is_empty() {
        return String::new();
    }
    clean(&parts.join("/"))
}

/// Go's `filepath.Rel`.
pub fn rel(basepath: &str, targpath: &str) -> Result<String, String> {
    let base = clean(basepath);
    let targ = clean(targpath);
    if targ == base {
        return Ok(".".to_string());
    }
    // Go (1.26, as Cerbos 0.55 is built) treats a `.` on either side as
    // the empty path: Rel("a", "") is "..".
    let base_s = if base == "." { "" } else { base.as_str() };
    let targ_s = if targ == "." { "" } else { targ.as_str() };
    let base_rooted = base_s.starts_with('/');
    let targ_rooted = targ_s.starts_with('/');
    if base_rooted != targ_rooted {
        return Err(format!("Rel: can't make {targpath} relative to {basepath}"));
    }
    let bl: Vec<&str> = base_s.split('/').filter(|s| !s.is_empty()).collect();
    let tl: Vec<&str> = targ_s.split('/').filter(|s| !s.is_empty()).collect();
    let mut i = 0;
    while i < bl.len() && i < tl.len() && bl[i] == tl[i] {
        i += 1;
    }
    let rest_base = &bl[i..];
    if rest_base.contains(&"..") {
        return Err(format!("Rel: can't make {targpath} relative to {basepath}"));
    }
    let mut out: Vec<&str> = vec![".."; rest_base.len()];
    out.extend_from_slice(&tl[i..]);
    if out.is_empty() {
        return Ok(".".to_string());
    }
    Ok(out.join("/"))
}

/// Go's `filepath.Match` (`*`, `?`, `[...]`, `\` escapes; `*` stops at `/`).
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, String> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let r = match_from(&p, &n, 0)?;
    if !r {
        // Go still reports a malformed remainder of the pattern.
        validate(&p)?;
    }
    Ok(r)
}

const BAD: &str = "syntax error in pattern";

fn validate(p: &[char]) -> Result<(), String> {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' => {
                if i + 1 >= p.len() {
                    return Err(BAD.into());
                }
                i += 2;
            }
            '[' => {
                let (_, next) = class_end(p, i)?;
                i = next;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Returns the end (exclusive) of the class starting at `p[start] == '['`.
fn class_end(p: &[char], start: usize) -> Result<(bool, usize), String> {
    let mut i = start + 1;
    let negated = p.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut first = true;
    loop {
        match p.get(i) {
            None => return Err(BAD.into()),
            Some(']') if !first => return Ok((negated, i + 1)),
            Some(_) => {
                let (_, ni) = class_char(p, i)?;
                i = ni;
                if p.get(i) == Some(&'-') {
                    let (_, ni2) = class_char(p, i + 1)?;
                    i = ni2;
                }
            }
        }
        first = false;
    }
}

fn class_char(p: &[char], i: usize) -> Result<(char, usize), String> {
    match p.get(i) {
        None | Some('-') | Some(']') => Err(BAD.into()),
        Some('\\') => p
            .get(i + 1)
            .map(|c| (*c, i + 2))
            .ok_or_else(|| BAD.to_string()),
        Some(c) => Ok((*c, i + 1)),
    }
}

fn class_matches(p: &[char], start: usize, c: char) -> Result<(bool, usize), String> {
    let (negated, end) = class_end(p, start)?;
    let mut i = start + 1 + usize::from(negated);
    let mut matched = false;
    while i < end - 1 {
        let (lo, ni) = class_char(p, i)?;
        i = ni;
        let mut hi = lo;
        if p.get(i) == Some(&'-') {
            let (h, ni2) = class_char(p, i + 1)?;
            hi = h;
            i = ni2;
        }
        if lo <= c && c <= hi {
            matched = true;
        }
    }
    Ok((matched != negated, end))
}

fn match_from(p: &[char], n: &[char], depth: usize) -> Result<bool, String> {
    if depth > 64 {
        return Err(BAD.into());
    }
    let (mut pi, mut ni) = (0usize, 0usize);
    while pi < p.len() {
        match p[pi] {
            '*' => {
                while pi < p.len() && p[pi] == '*' {
                    pi += 1;
                }
                if pi == p.len() {
                    return Ok(!n[ni..].contains(&'/'));
                }
                let mut k = ni;
                loop {
                    if match_from(&p[pi..], &n[k..], depth + 1)? {
                        return Ok(true);
                    }
                    if k >= n.len() || n[k] == '/' {
                        return Ok(false);
                    }
                    k += 1;
                }
            }
            '?' => {
                if ni >= n.len() || n[ni] == '/' {
                    return Ok(false);
                }
                pi += 1;
                ni += 1;
            }
            '[' => {
                let Some(c) = n.get(ni).copied() else {
                    class_end(p, pi)?;
                    return Ok(false);
                };
                if c == '/' {
                    class_end(p, pi)?;
                    return Ok(false);
                }
                let (ok, next) = class_matches(p, pi, c)?;
                if !ok {
                    return Ok(false);
                }
                pi = next;
                ni += 1;
            }
            '\\' => {
                let c = *p.get(pi + 1).ok_or_else(|| BAD.to_string())?;
                if n.get(ni) != Some(&c) {
                    return Ok(false);
                }
                pi += 2;
                ni += 1;
            }
            c => {
                if n.get(ni) != Some(&c) {
                    return Ok(false);
                }
                pi += 1;
                ni += 1;
            }
        }
    }
    Ok(ni == n.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_path_semantics() {
        assert_eq!(clean("a//b/./c/.."), "a/b");
        assert_eq!(clean("/../a"), "/a");
        assert_eq!(clean("../../a"), "../../a");
        assert_eq!(base("/a/b/"), "b");
        assert_eq!(dir("/a/b"), "/a");
        assert_eq!(dir("a"), ".");
        assert_eq!(ext("a/b.tar.gz"), ".gz");
        assert_eq!(rel("/a", "/a/b/c"), Ok("b/c".into()));
        assert_eq!(rel("/a/x", "/a/b"), Ok("../b".into()));
        assert!(glob_match("*.txt", "a.txt").unwrap_or(false));
        assert!(!glob_match("*.txt", "d/a.txt").unwrap_or(true));
        assert!(glob_match("a[b-c]?", "acd").unwrap_or(false));
        assert!(glob_match("[", "a").is_err());
    }
}
