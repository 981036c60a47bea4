//! Glob patterns with gobwas/glob semantics and `:` as the separator, as
//! Cerbos uses them for actions, roles and resource kinds.
//!
//! `*` matches any run of characters except `:`, `**` matches anything,
//! `?` one character except `:`, `[a-z]` / `[!a-z]` one character from / not
//! from a class, `{a,b}` alternatives, `\x` a literal `x`. A pattern that is
//! exactly `*` is treated as `**` (Cerbos's backward-compatibility rule).
//! Matching is a table-driven walk (no backtracking), so hostile values
//! cannot make it exponential.

const SEPARATOR: char = ':';
/// Upper bound on the alternatives a `{…}` pattern may expand into.
const MAX_ALTERNATIVES: usize = 256;
/// Upper bound on `{` nesting.
const MAX_NESTING: usize = 16;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Lit(char),
    /// `*`
    Star,
    /// `**`
    SuperStar,
    /// `?`
    Single,
    /// `[...]`
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// Shapes matched without the general table walk.
#[derive(Debug, Clone)]
enum Fast {
    /// `**`: everything.
    Any,
    /// `literal*`: the prefix, then no separator.
    PrefixStar(String),
    /// `literal`: exact text.
    Exact(String),
    /// Anything else.
    General,
}

/// A compiled glob.
#[derive(Debug, Clone)]
pub struct Glob {
    source: String,
    alternatives: Vec<Vec<Token>>,
    fast: Fast,
}

fn classify(alternatives: &[Vec<Token>]) -> Fast {
    let [tokens] = alternatives else {
        return Fast::General;
    };
    if matches!(tokens.as_slice(), [Token::SuperStar]) {
        return Fast::Any;
    }
    let lits: Option<String> = tokens
        .iter()
        .take(tokens.len().saturating_sub(1))
        .map(|t| match t {
            Token::Lit(c) => Some(*c),
            _ => None,
        })
        .collect();
    match (lits, tokens.last()) {
        (Some(prefix), Some(Token::Star)) => Fast::PrefixStar(prefix),
        (Some(mut prefix), Some(Token::Lit(c))) => {
            prefix.push(*c);
            Fast::Exact(prefix)
        }
        _ => Fast::General,
    }
}

impl Glob {
    /// Compiles a pattern; `None` when it is malformed (Cerbos then never matches it).
    pub fn new(pattern: &str) -> Option<Glob> {
        let pattern = if pattern == "*" { "**" } else { pattern };
        let chars: Vec<char> = pattern.chars().collect();
        let mut pos = 0;
        let alternatives = parse_seq(&chars, &mut pos, 0, false)?;
        if pos != chars.len() {
            return None;
        }
        let fast = classify(&alternatives);
        Some(Glob {
            source: pattern.to_string(),
            alternatives,
            fast,
        })
    }

    /// The pattern text (after the `*` → `**` rewrite).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether `value` matches the whole pattern.
    pub fn matches(&self, value: &str) -> bool {
        match &self.fast {
            Fast::Any => return true,
            Fast::PrefixStar(p) => {
                return value
                    .strip_prefix(p.as_str())
                    .is_some_and(|rest| !rest.contains(SEPARATOR))
            }
            Fast::Exact(e) => return value == e,
            Fast::General => {}
        }
        let value: Vec<char> = value.chars().collect();
        self.alternatives
            .iter()
            .any(|alt| match_tokens(alt, &value))
    }
}

/// Whether a rule-table key matches `value`, as Cerbos's index does: a key
/// containing `*` is a glob, any other key is a literal.
pub fn key_matches(key: &str, value: &str) -> bool {
    if key.contains('*') {
        matches_glob(key, value)
    } else {
        key == value
    }
}

/// Whether `pattern` (compiled as a glob even without `*`) matches `value`.
pub fn matches_glob(pattern: &str, value: &str) -> bool {
    Glob::new(pattern).is_some_and(|g| g.matches(value))
}

/// Parses a sequence up to the end, or up to `,`/`}` inside braces.
/// Returns every expansion of the alternatives it contains.
fn parse_seq(
    chars: &[char],
    pos: &mut usize,
    depth: usize,
    in_braces: bool,
) -> Option<Vec<Vec<Token>>> {
    if depth > MAX_NESTING {
        return None;
    }
    let mut results: Vec<Vec<Token>> = vec![Vec::new()];
    while let Some(&c) = chars.get(*pos) {
        match c {
            ',' | '}' if in_braces => break,
            '*' => {
                *pos += 1;
                let tok = if chars.get(*pos) == Some(&'*') {
                    *pos += 1;
                    Token::SuperStar
                } else {
                    Token::Star
                };
                results.iter_mut().for_each(|r| r.push(tok.clone()));
            }
            '?' => {
                *pos += 1;
                results.iter_mut().for_each(|r| r.push(Token::Single));
            }
            '\\' => {
                let lit = *chars.get(*pos + 1)?;
                *pos += 2;
                results.iter_mut().for_each(|r| r.push(Token::Lit(lit)));
            }
            '[' => {
                *pos += 1;
                let tok = parse_class(chars, pos)?;
                results.iter_mut().for_each(|r| r.push(tok.clone()));
            }
            '{' => {
                *pos += 1;
                let mut options: Vec<Vec<Token>> = Vec::new();
                loop {
                    let alt = parse_seq(chars, pos, depth + 1, true)?;
                    options.extend(alt);
                    match chars.get(*pos) {
                        Some(',') => *pos += 1,
                        Some('}') => {
                            *pos += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                let mut next = Vec::with_capacity(results.len() * options.len());
                for prefix in &results {
                    for option in &options {
                        let mut combined = prefix.clone();
                        combined.extend(option.iter().cloned());
                        next.push(combined);
                    }
                }
                if next.len() > MAX_ALTERNATIVES {
                    return None;
                }
                results = next;
            }
            _ => {
                *pos += 1;
                results.iter_mut().for_each(|r| r.push(Token::Lit(c)));
            }
        }
    }
    Some(results)
}

fn parse_class(chars: &[char], pos: &mut usize) -> Option<Token> {
    let negated = chars.get(*pos) == Some(&'!');
    if negated {
        *pos += 1;
    }
    let mut ranges = Vec::new();
    loop {
        let c = *chars.get(*pos)?;
        *pos += 1;
        match c {
            ']' => break,
            '\\' => {
                let lit = *chars.get(*pos)?;
                *pos += 1;
                ranges.push((lit, lit));
            }
            _ => {
                if chars.get(*pos) == Some(&'-') && chars.get(*pos + 1).is_some_and(|&n| n != ']') {
                    let hi = *chars.get(*pos + 1)?;
                    *pos += 2;
                    ranges.push((c, hi));
                } else {
                    ranges.push((c, c));
                }
            }
        }
    }
    Some(Token::Class { negated, ranges })
}

/// Dynamic-programming match: `next[j]` says whether the tokens after the
/// current one match `value[j..]`.
fn match_tokens(tokens: &[Token], value: &[char]) -> bool {
    let n = value.len();
    // Row for the empty token suffix: only the empty value suffix matches.
    let mut next: Vec<bool> = (0..=n).map(|j| j == n).collect();
    for tok in tokens.iter().rev() {
        let mut cur = vec![false; n + 1];
        for j in (0..=n).rev() {
            let here = value.get(j).copied();
            let single = |pred: &dyn Fn(char) -> bool| -> bool {
                here.is_some_and(pred) && next.get(j + 1).copied().unwrap_or(false)
            };
            cur[j] = match tok {
                Token::Lit(l) => single(&|c| c == *l),
                Token::Single => single(&|c| c != SEPARATOR),
                Token::Class { negated, ranges } => {
                    single(&|c| ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated)
                }
                // Zero characters, or one allowed character and still in the star.
                Token::Star => {
                    next[j]
                        || (here.is_some_and(|c| c != SEPARATOR)
                            && cur.get(j + 1).copied().unwrap_or(false))
                }
                Token::SuperStar => {
                    next[j] || (here.is_some() && cur.get(j + 1).copied().unwrap_or(false))
                }
            };
        }
        next = cur;
    }
    next.first().copied().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, v: &str) -> bool {
        matches_glob(p, v)
    }

    #[test]
    fn gobwas_semantics_with_colon_separator() {
        assert!(m("*", "a:b:c"));
        assert!(m("view:*", "view:public"));
        assert!(!m("view:*", "view"));
        assert!(!m("view:*", "view:a:b"));
        assert!(m("a:*:d", "a:x:d"));
        assert!(m("a:**", "a:x:d"));
        assert!(m("v?ew", "view"));
        assert!(!m("a?b", "a:b"));
        assert!(m("[a-c]x", "bx"));
        assert!(!m("[!a-c]x", "bx"));
        assert!(m("{view,edit}:*", "edit:x"));
        assert!(m("*_request", "leave_request"));
        assert!(!m("*_request", "a:leave_request"));
        assert!(m("", ""));
        assert!(!m("{a", "a"));
        assert!(m("a\\*", "a*"));
        assert!(!m("a\\*", "ab"));
        assert!(m("view:*", "view:"));
        assert!(m("ab", "ab"));
    }

    #[test]
    fn many_stars_stay_linear() {
        let value = "a".repeat(2000);
        assert!(!m("*a*a*a*a*a*a*a*a*b", &value));
    }
}
