//! RE2 (Go `regexp`) patterns on top of `regex-lite`.
//!
//! Cerbos evaluates `matches` and the `regex.*` functions with Go's RE2
//! dialect; the runtime matches with `regex-lite`, whose syntax and meaning
//! differ in places (`\s` includes `\v`, `(?i)` folds ASCII only, no
//! `\p{..}`, `\Q..\E`, octal escapes or literal `{`, nested classes and
//! class set operations, `\<` is an assertion, `(?x)` is accepted, no
//! repetition limit). [`translate`] parses a pattern the way Go's
//! `regexp/syntax` does (`Perl` flags) and prints an equivalent pattern in
//! a small common subset of both dialects: explicit character classes,
//! escaped literals, `(?:..)`, `(?m:^)`/`(?m:$)`, `(?s:.)`, and no flags.
//! The output is itself RE2 with the same meaning, so translating it again
//! gives the same regex.
//!
//! Unicode tables (`\p{Greek}`, case folding of non-ASCII letters) come
//! from a [`Tables`] implementation: the compiler supplies full tables and
//! stores the translated pattern in the bundle; the runtime's
//! [`AsciiTables`] refuse what they cannot resolve, so a pattern built at
//! run time that needs them fails closed with an error naming the construct.

use std::sync::Arc;

/// Why a pattern was not translated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Re2Error {
    /// RE2 rejects the pattern; the text is Go's wording.
    #[error("error parsing regexp: {0}")]
    Syntax(String),
    /// The pattern needs Unicode tables this build does not carry.
    #[error("regexp needs Unicode tables not available at run time: {0}")]
    NeedsUnicode(String),
    /// `regex-lite` refused the translated pattern (e.g. its size limit).
    #[error("error compiling regexp: {0}")]
    Engine(String),
}

/// A set of code points as sorted, non-overlapping, non-adjacent ranges.
pub type Ranges = Vec<(u32, u32)>;

/// Unicode data a translation may need.
pub trait Tables {
    /// The code points of `\p{name}` (Go 1.25 name lookup), before case folding.
    fn property(&self, name: &str) -> Result<Ranges, Re2Error>;
    /// `set` closed under Unicode simple case folding.
    fn fold(&self, set: &Ranges) -> Result<Ranges, Re2Error>;
}

/// Tables without Unicode data: `\p{Any}`, `\p{ASCII}` and case folding of
/// ASCII sets (with RE2's `k`→U+212A and `s`→U+017F); anything else is
/// [`Re2Error::NeedsUnicode`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AsciiTables;

impl Tables for AsciiTables {
    fn property(&self, name: &str) -> Result<Ranges, Re2Error> {
        match canonical_name(name).as_str() {
            "Any" => Ok(vec![(0, MAX_CHAR)]),
            "Ascii" => Ok(vec![(0, 0x7F)]),
            _ => Err(Re2Error::NeedsUnicode(format!("\\p{{{name}}}"))),
        }
    }

    fn fold(&self, set: &Ranges) -> Result<Ranges, Re2Error> {
        if let Some(&(lo, _)) = set.iter().find(|&&(_, hi)| hi > 0x7F) {
            let c = lo.max(0x80);
            return Err(Re2Error::NeedsUnicode(format!(
                "case-insensitive matching of non-ASCII characters (U+{c:04X})"
            )));
        }
        let mut out = set.clone();
        for &(lo, hi) in set {
            for c in lo..=hi {
                let extra: &[u32] = match char::from_u32(c).unwrap_or('\0') {
                    'k' | 'K' => &[0x212A],
                    's' | 'S' => &[0x17F],
                    _ => &[],
                };
                if let Some(ch) = char::from_u32(c).filter(char::is_ascii_alphabetic) {
                    let other = if ch.is_ascii_lowercase() {
                        ch.to_ascii_uppercase()
                    } else {
                        ch.to_ascii_lowercase()
                    };
                    out.push((other as u32, other as u32));
                }
                for &x in extra {
                    out.push((x, x));
                }
            }
        }
        Ok(normalize(out))
    }
}

/// Largest Unicode scalar value.
pub const MAX_CHAR: u32 = 0x10FFFF;

/// Go's `regexp/syntax.canonicalName`: first letter upper case, the rest
/// lower case, spaces, underscores and hyphens dropped.
pub fn canonical_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().filter(|c| !matches!(c, '_' | '-' | ' ')) {
        if out.is_empty() {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Sorts and merges ranges. Sets are small; insertion keeps the runtime
/// free of a generic sort instantiation (wasm size).
pub fn normalize(r: Ranges) -> Ranges {
    let mut out: Ranges = Vec::with_capacity(r.len());
    for (lo, hi) in r {
        let at = out.partition_point(|&(l, _)| l < lo);
        out.insert(at, (lo, hi));
    }
    let mut merged: Ranges = Vec::with_capacity(out.len());
    for (lo, hi) in out {
        match merged.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => merged.push((lo, hi)),
        }
    }
    merged
}

/// The complement of a normalized set within `0..=MAX_CHAR`.
pub fn negate(r: &Ranges) -> Ranges {
    let mut out = Vec::with_capacity(r.len() + 1);
    let mut next = 0u32;
    for &(lo, hi) in r {
        if lo > next {
            out.push((next, lo - 1));
        }
        next = hi.saturating_add(1);
    }
    if next <= MAX_CHAR {
        out.push((next, MAX_CHAR));
    }
    out
}

/// A translated pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translated {
    /// The pattern in the common subset (see the module docs).
    pub pattern: String,
    /// Number of capturing groups.
    pub groups: usize,
    /// Whether the pattern needed more than [`AsciiTables`] (so the
    /// runtime could not translate the original itself).
    pub used_unicode: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Flags {
    fold: bool,
    multi_line: bool,
    dot_nl: bool,
    non_greedy: bool,
}

/// An open group.
struct Frame {
    saved: Flags,
    /// Output position where the group's `(` starts (None for the root).
    start: Option<usize>,
    /// Largest product of counted repetitions inside the group so far.
    product: u32,
}

/// The last item of the current branch, which a repetition applies to.
#[derive(Clone, Copy)]
struct Atom {
    start: usize,
    product: u32,
    /// Repetitions and assertions get wrapped in `(?:..)` before repeating.
    wrap: bool,
}

struct Translator<'a> {
    src: &'a str,
    pos: usize,
    out: String,
    flags: Flags,
    stack: Vec<Frame>,
    atom: Option<Atom>,
    /// Set right after a repetition operator (Go's `lastRepeat`).
    last_repeat: Option<usize>,
    groups: usize,
    tables: &'a dyn Tables,
    used_unicode: bool,
}

fn syntax(code: &str, expr: &str) -> Re2Error {
    Re2Error::Syntax(format!("{code}: `{expr}`"))
}

/// Translates an RE2 pattern (see the module docs).
pub fn translate(pattern: &str, tables: &dyn Tables) -> Result<Translated, Re2Error> {
    let mut t = Translator {
        src: pattern,
        pos: 0,
        out: String::with_capacity(pattern.len() + 8),
        flags: Flags::default(),
        stack: vec![Frame {
            saved: Flags::default(),
            start: None,
            product: 1,
        }],
        atom: None,
        last_repeat: None,
        groups: 0,
        tables,
        used_unicode: false,
    };
    t.run()?;
    Ok(Translated {
        pattern: t.out,
        groups: t.groups,
        used_unicode: t.used_unicode,
    })
}

fn is_meta(c: char) -> bool {
    matches!(
        c,
        '\\' | '.'
            | '+'
            | '*'
            | '?'
            | '('
            | ')'
            | '|'
            | '['
            | ']'
            | '{'
            | '}'
            | '^'
            | '$'
            | '#'
            | '&'
            | '-'
            | '~'
    )
}

fn push_char(out: &mut String, c: u32) {
    match char::from_u32(c) {
        Some(ch) if ch.is_ascii_alphanumeric() || ch == '_' || ch == ' ' => out.push(ch),
        Some(ch) if is_meta(ch) => {
            out.push('\\');
            out.push(ch);
        }
        Some(ch) if ch.is_ascii_graphic() => out.push(ch),
        _ => {
            use std::fmt::Write;
            let _ = write!(out, "\\x{{{c:X}}}");
        }
    }
}

/// Writes a class. Surrogates are not characters in either engine; a
/// class with no characters becomes a never-matching lookahead-free form.
fn push_class(out: &mut String, set: &Ranges) {
    let set = clip_surrogates(set);
    if set.is_empty() {
        // Matches nothing: a character that is both a digit and not one.
        out.push_str("[^\\x{0}-\\x{10FFFF}]");
        return;
    }
    if let [(lo, hi)] = set.as_slice() {
        if lo == hi {
            push_char(out, *lo);
            return;
        }
    }
    let (neg, body) =
        if set.first().is_some_and(|r| r.0 == 0) || set.last().is_some_and(|r| r.1 == MAX_CHAR) {
            (true, clip_surrogates(&negate(&set)))
        } else {
            (false, set)
        };
    if neg && body.is_empty() {
        out.push_str("(?s:.)");
        return;
    }
    out.push('[');
    if neg {
        out.push('^');
    }
    for (lo, hi) in body {
        push_char(out, lo);
        if hi > lo {
            if hi > lo + 1 {
                out.push('-');
            }
            push_char(out, hi);
        }
    }
    out.push(']');
}

/// `set` without the surrogate code points (not characters in Rust or Go strings).
pub fn clip_surrogates(set: &Ranges) -> Ranges {
    let mut out = Vec::with_capacity(set.len());
    for &(lo, hi) in set {
        if hi < 0xD800 || lo > 0xDFFF {
            out.push((lo, hi));
            continue;
        }
        if lo < 0xD800 {
            out.push((lo, 0xD7FF));
        }
        if hi > 0xDFFF {
            out.push((0xE000, hi));
        }
    }
    out
}

const PERL_DIGIT: &[(u32, u32)] = &[(0x30, 0x39)];
const PERL_SPACE: &[(u32, u32)] = &[(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)];
const PERL_WORD: &[(u32, u32)] = &[(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)];

fn posix_class(name: &str) -> Option<&'static [(u32, u32)]> {
    Some(match name {
        "alnum" => &[(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
        "alpha" => &[(0x41, 0x5A), (0x61, 0x7A)],
        "ascii" => &[(0, 0x7F)],
        "blank" => &[(0x09, 0x09), (0x20, 0x20)],
        "cntrl" => &[(0, 0x1F), (0x7F, 0x7F)],
        "digit" => PERL_DIGIT,
        "graph" => &[(0x21, 0x7E)],
        "lower" => &[(0x61, 0x7A)],
        "print" => &[(0x20, 0x7E)],
        "punct" => &[(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
        "space" => &[(0x09, 0x0D), (0x20, 0x20)],
        "upper" => &[(0x41, 0x5A)],
        "word" => PERL_WORD,
        "xdigit" => &[(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
        _ => return None,
    })
}

impl Translator<'_> {
    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek2(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn frame(&mut self) -> &mut Frame {
        // INVARIANT: the root frame is never popped.
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    /// Records that an atom was written starting at `start`.
    fn atom_done(&mut self, start: usize, product: u32, wrap: bool) {
        let f = self.frame();
        f.product = f.product.max(product);
        self.atom = Some(Atom {
            start,
            product,
            wrap,
        });
    }

    fn run(&mut self) -> Result<(), Re2Error> {
        while let Some(c) = self.peek() {
            let mut repeat_at = None;
            let start = self.pos;
            match c {
                '(' => self.open_group()?,
                '|' => {
                    self.bump();
                    self.out.push('|');
                    self.atom = None;
                }
                ')' => self.close_group()?,
                '^' | '$' => {
                    self.bump();
                    let s = self.out.len();
                    self.out.push_str(match (c, self.flags.multi_line) {
                        ('^', false) => "^",
                        ('^', true) => "(?m:^)",
                        (_, false) => "$",
                        (_, true) => "(?m:$)",
                    });
                    self.atom_done(s, 1, true);
                }
                '.' => {
                    self.bump();
                    let s = self.out.len();
                    self.out
                        .push_str(if self.flags.dot_nl { "(?s:.)" } else { "." });
                    self.atom_done(s, 1, false);
                }
                '[' => self.class()?,
                '*' | '+' | '?' => {
                    self.bump();
                    let op = c.to_string();
                    self.repeat(&op, None, start)?;
                    repeat_at = Some(start);
                }
                '{' => match self.parse_repeat() {
                    Some((min, max, len)) => {
                        let text = self.src.get(start..start + len).unwrap_or("");
                        if min > 1000 || max.is_some_and(|m| m > 1000 || min > m) {
                            return Err(syntax("invalid repeat count", text));
                        }
                        self.pos += len;
                        let op = match max {
                            Some(m) if m == min => format!("{{{min}}}"),
                            Some(m) => format!("{{{min},{m}}}"),
                            None => format!("{{{min},}}"),
                        };
                        self.repeat(&op, Some((min, max)), start)?;
                        repeat_at = Some(start);
                    }
                    None => {
                        self.bump();
                        self.literal('{' as u32)?;
                    }
                },
                '\\' => self.escape()?,
                _ => {
                    self.bump();
                    self.literal(c as u32)?;
                }
            }
            self.last_repeat = repeat_at;
        }
        if self.stack.len() > 1 {
            return Err(syntax("missing closing )", self.src));
        }
        Ok(())
    }

    /// Go's `parseRepeat`: `{n}`, `{n,}`, `{n,m}` with no leading zeros;
    /// anything else means `{` is a literal. Returns (min, max, length).
    fn parse_repeat(&self) -> Option<(u32, Option<u32>, usize)> {
        let s = self.rest().as_bytes();
        let mut i = 1;
        let num = |i: &mut usize| -> Option<u32> {
            let st = *i;
            while s.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            if *i == st || (*i - st >= 2 && s.get(st) == Some(&b'0')) {
                return None;
            }
            // Go caps at 1e8 (then reports a bad count); so do we.
            let mut n: u32 = 0;
            for &d in s.get(st..*i)? {
                if n >= 100_000_000 {
                    return Some(u32::MAX);
                }
                n = n * 10 + u32::from(d - b'0');
            }
            Some(n)
        };
        let min = num(&mut i)?;
        let max = if s.get(i) == Some(&b',') {
            i += 1;
            if s.get(i) == Some(&b'}') {
                None
            } else {
                Some(num(&mut i)?)
            }
        } else {
            Some(min)
        };
        if s.get(i) != Some(&b'}') {
            return None;
        }
        Some((min, max, i + 1))
    }

    fn repeat(
        &mut self,
        op: &str,
        counted: Option<(u32, Option<u32>)>,
        start: usize,
    ) -> Result<(), Re2Error> {
        let mut op = op.to_string();
        let mut greedy = !self.flags.non_greedy;
        if self.peek() == Some('?') {
            self.bump();
            greedy = !greedy;
        }
        let text = self.src.get(start..self.pos).unwrap_or("");
        if let Some(prev) = self.last_repeat {
            let t = self.src.get(prev..self.pos).unwrap_or("");
            return Err(syntax("invalid nested repetition operator", t));
        }
        let Some(atom) = self.atom else {
            return Err(syntax("missing argument to repetition operator", text));
        };
        let product = match counted {
            Some((min, max)) => {
                let m = max.unwrap_or(min);
                let p = if m == 0 {
                    0
                } else {
                    m.saturating_mul(atom.product)
                };
                if (min >= 2 || max.is_some_and(|m| m >= 2)) && p > 1000 {
                    return Err(syntax("invalid repeat count", text));
                }
                p
            }
            None => atom.product,
        };
        if atom.wrap {
            self.out.insert_str(atom.start, "(?:");
            self.out.push(')');
        }
        if !greedy {
            op.push('?');
        }
        self.out.push_str(&op);
        self.atom_done(atom.start, product, true);
        Ok(())
    }

    fn open_group(&mut self) -> Result<(), Re2Error> {
        let start = self.pos;
        self.bump();
        let out_start = self.out.len();
        if self.peek() != Some('?') {
            self.groups += 1;
            self.out.push('(');
            self.push_frame(out_start);
            return Ok(());
        }
        let rest = self.rest();
        let name_at = if rest.starts_with("?P<") {
            Some(3)
        } else if rest.starts_with("?<") {
            Some(2)
        } else {
            None
        };
        if let Some(skip) = name_at {
            let Some(end) = rest.find('>') else {
                return Err(syntax(
                    "invalid named capture",
                    self.src.get(start..).unwrap_or(""),
                ));
            };
            let name = rest.get(skip..end).unwrap_or("");
            let capture = self.src.get(start..self.pos + end + 1).unwrap_or("");
            if name.is_empty() || !name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
                return Err(syntax("invalid named capture", capture));
            }
            self.pos += end + 1;
            self.groups += 1;
            self.out.push('(');
            self.push_frame(out_start);
            return Ok(());
        }
        // Flags: `(?flags)` or `(?flags:re)`.
        self.bump();
        let mut flags = self.flags;
        let mut negated = false;
        let mut saw_flag = false;
        while let Some(c) = self.bump() {
            let on = !negated;
            match c {
                'i' => flags.fold = on,
                'm' => flags.multi_line = on,
                's' => flags.dot_nl = on,
                'U' => flags.non_greedy = on,
                '-' if !negated => {
                    negated = true;
                    saw_flag = false;
                    continue;
                }
                ':' | ')' if !negated || saw_flag => {
                    if c == ':' {
                        self.out.push_str("(?:");
                        self.push_frame(out_start);
                    }
                    self.flags = flags;
                    return Ok(());
                }
                _ => break,
            }
            saw_flag = true;
        }
        let text = self.src.get(start..self.pos).unwrap_or("");
        Err(syntax("invalid or unsupported Perl syntax", text))
    }

    fn push_frame(&mut self, out_start: usize) {
        self.stack.push(Frame {
            saved: self.flags,
            start: Some(out_start),
            product: 1,
        });
        self.atom = None;
    }

    fn close_group(&mut self) -> Result<(), Re2Error> {
        self.bump();
        if self.stack.len() <= 1 {
            return Err(syntax("unexpected )", self.src));
        }
        let Some(f) = self.stack.pop() else {
            return Err(syntax("unexpected )", self.src));
        };
        self.out.push(')');
        self.flags = f.saved;
        self.atom_done(f.start.unwrap_or(0), f.product, false);
        Ok(())
    }

    fn literal(&mut self, c: u32) -> Result<(), Re2Error> {
        let s = self.out.len();
        if self.flags.fold {
            let set = self.fold(&vec![(c, c)])?;
            push_class(&mut self.out, &set);
        } else {
            push_class(&mut self.out, &vec![(c, c)]);
        }
        self.atom_done(s, 1, false);
        Ok(())
    }

    fn fold(&mut self, set: &Ranges) -> Result<Ranges, Re2Error> {
        match AsciiTables.fold(set) {
            Ok(r) => Ok(r),
            Err(Re2Error::NeedsUnicode(_)) => {
                let r = self.tables.fold(set)?;
                self.used_unicode = true;
                Ok(r)
            }
            Err(e) => Err(e),
        }
    }

    fn property(&mut self, name: &str) -> Result<Ranges, Re2Error> {
        match AsciiTables.property(name) {
            Ok(r) => Ok(r),
            Err(Re2Error::NeedsUnicode(_)) => {
                let r = self.tables.property(name)?;
                self.used_unicode = true;
                Ok(r)
            }
            Err(e) => Err(e),
        }
    }

    /// Writes a class built from a positive set and a sign, folding first.
    fn class_atom(&mut self, set: Ranges, negated: bool) -> Result<(), Re2Error> {
        let s = self.out.len();
        let set = self.group_set(set, negated)?;
        push_class(&mut self.out, &set);
        self.atom_done(s, 1, false);
        Ok(())
    }

    /// Go's `appendGroup`: fold the positive set when `(?i)`, then negate.
    fn group_set(&mut self, set: Ranges, negated: bool) -> Result<Ranges, Re2Error> {
        let set = normalize(set);
        let set = if self.flags.fold {
            self.fold(&set)?
        } else {
            set
        };
        Ok(if negated { negate(&set) } else { set })
    }

    /// `\` at top level.
    fn escape(&mut self) -> Result<(), Re2Error> {
        let start = self.pos;
        let next = self.peek2();
        let s = self.out.len();
        let assertion = match next {
            Some('A') => Some("\\A"),
            Some('z') => Some("\\z"),
            Some('b') => Some("\\b"),
            Some('B') => Some("\\B"),
            _ => None,
        };
        if let Some(a) = assertion {
            self.pos += 2;
            self.out.push_str(a);
            self.atom_done(s, 1, true);
            return Ok(());
        }
        match next {
            Some('C') => return Err(syntax("invalid escape sequence", "\\C")),
            Some('Q') => {
                self.pos += 2;
                let rest = self.rest();
                let (lit, skip) = match rest.find("\\E") {
                    Some(i) => (rest.get(..i).unwrap_or(""), i + 2),
                    None => (rest, rest.len()),
                };
                let chars: Vec<u32> = lit.chars().map(|c| c as u32).collect();
                self.pos += skip;
                for c in chars {
                    self.literal(c)?;
                }
                return Ok(());
            }
            Some('p' | 'P') => {
                let (set, negated) = self.unicode_class()?;
                return self.class_atom(set, negated);
            }
            Some(c @ ('d' | 'D' | 's' | 'S' | 'w' | 'W')) => {
                self.pos += 2;
                return self.class_atom(perl_class(c).to_vec(), c.is_ascii_uppercase());
            }
            _ => {}
        }
        let c = self.parse_escape(start)?;
        self.literal(c)
    }

    fn unicode_class(&mut self) -> Result<(Ranges, bool), Re2Error> {
        let start = self.pos;
        let mut negated = self.peek2() == Some('P');
        self.pos += 2;
        let name = match self.bump() {
            None => {
                return Err(syntax(
                    "invalid character class range",
                    self.src.get(start..).unwrap_or(""),
                ))
            }
            Some('{') => {
                let rest = self.rest();
                let Some(end) = rest.find('}') else {
                    return Err(syntax(
                        "invalid character class range",
                        self.src.get(start..).unwrap_or(""),
                    ));
                };
                let name = rest.get(..end).unwrap_or("").to_string();
                self.pos += end + 1;
                name
            }
            Some(c) => c.to_string(),
        };
        let seq = self.src.get(start..self.pos).unwrap_or("").to_string();
        let name = match name.strip_prefix('^') {
            Some(n) => {
                negated = !negated;
                n.to_string()
            }
            None => name,
        };
        match self.property(&name) {
            Ok(r) => Ok((r, negated)),
            Err(Re2Error::Syntax(_)) => Err(syntax("invalid character class range", &seq)),
            Err(e) => Err(e),
        }
    }

    /// Go's `parseEscape` for a single-character escape at `self.pos`.
    fn parse_escape(&mut self, start: usize) -> Result<u32, Re2Error> {
        self.bump();
        let Some(c) = self.bump() else {
            return Err(syntax("trailing backslash at end of expression", ""));
        };
        let bad = |t: &Self| {
            syntax(
                "invalid escape sequence",
                t.src.get(start..t.pos).unwrap_or(""),
            )
        };
        let is_oct = |c: Option<char>| c.is_some_and(|c| ('0'..='7').contains(&c));
        match c {
            '1'..='7' if !is_oct(self.peek()) => Err(bad(self)),
            '0'..='7' => {
                let mut r = c as u32 - '0' as u32;
                for _ in 1..3 {
                    if !is_oct(self.peek()) {
                        break;
                    }
                    r = r * 8 + (self.bump().unwrap_or('0') as u32 - '0' as u32);
                }
                Ok(r)
            }
            'x' => {
                let hex = |c: Option<char>| c.and_then(|c| c.to_digit(16));
                if self.peek() == Some('{') {
                    self.bump();
                    let mut r: u32 = 0;
                    let mut n = 0;
                    loop {
                        match self.bump() {
                            Some('}') if n > 0 => return Ok(r),
                            c => match hex(c) {
                                Some(v) => {
                                    r = r * 16 + v;
                                    n += 1;
                                    if r > MAX_CHAR {
                                        return Err(bad(self));
                                    }
                                }
                                None => return Err(bad(self)),
                            },
                        }
                    }
                }
                let x = hex(self.bump());
                let y = hex(self.bump());
                match (x, y) {
                    (Some(x), Some(y)) => Ok(x * 16 + y),
                    _ => Err(bad(self)),
                }
            }
            'a' => Ok(7),
            'f' => Ok(12),
            'n' => Ok(10),
            'r' => Ok(13),
            't' => Ok(9),
            'v' => Ok(11),
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok(c as u32),
            _ => Err(bad(self)),
        }
    }

    /// Go's `parseClass`.
    fn class(&mut self) -> Result<(), Re2Error> {
        let start = self.pos;
        self.bump();
        let whole = |t: &Self| t.src.get(start..).unwrap_or("").to_string();
        let mut negated = false;
        if self.peek() == Some('^') {
            self.bump();
            negated = true;
        }
        let mut set: Ranges = Vec::new();
        let mut first = true;
        loop {
            match self.peek() {
                None => return Err(syntax("missing closing ]", &whole(self))),
                Some(']') if !first => break,
                _ => {}
            }
            first = false;
            let rest = self.rest();
            if rest.starts_with("[:") {
                if let Some(i) = rest.get(2..).and_then(|r| r.find(":]")) {
                    let name = rest.get(..i + 4).unwrap_or("").to_string();
                    let inner = name.get(2..name.len() - 2).unwrap_or("");
                    let (neg, key) = match inner.strip_prefix('^') {
                        Some(k) => (true, k),
                        None => (false, inner),
                    };
                    let Some(g) = posix_class(key) else {
                        return Err(syntax("invalid character class range", &name));
                    };
                    self.pos += name.len();
                    let part = self.group_set(g.to_vec(), neg)?;
                    set.extend(part);
                    continue;
                }
            }
            if rest.starts_with("\\p") || rest.starts_with("\\P") {
                let (s, neg) = self.unicode_class()?;
                let part = self.group_set(s, neg)?;
                set.extend(part);
                continue;
            }
            if let Some(c @ ('d' | 'D' | 's' | 'S' | 'w' | 'W')) =
                rest.strip_prefix('\\').and_then(|r| r.chars().next())
            {
                self.pos += 2;
                let part = self.group_set(perl_class(c).to_vec(), c.is_ascii_uppercase())?;
                set.extend(part);
                continue;
            }
            let range_start = self.pos;
            let lo = self.class_char(&whole(self))?;
            let mut hi = lo;
            if self.peek() == Some('-') && self.peek2().is_some_and(|c| c != ']') {
                self.bump();
                hi = self.class_char(&whole(self))?;
                if hi < lo {
                    let text = self.src.get(range_start..self.pos).unwrap_or("");
                    return Err(syntax("invalid character class range", text));
                }
            }
            let part = if self.flags.fold {
                self.fold(&vec![(lo, hi)])?
            } else {
                vec![(lo, hi)]
            };
            set.extend(part);
        }
        self.bump();
        let mut set = normalize(set);
        if negated {
            set = negate(&set);
        }
        let s = self.out.len();
        push_class(&mut self.out, &set);
        self.atom_done(s, 1, false);
        Ok(())
    }

    fn class_char(&mut self, whole: &str) -> Result<u32, Re2Error> {
        match self.peek() {
            None => Err(syntax("missing closing ]", whole)),
            Some('\\') => {
                let start = self.pos;
                self.parse_escape(start)
            }
            Some(c) => {
                self.bump();
                Ok(c as u32)
            }
        }
    }
}

fn perl_class(c: char) -> &'static [(u32, u32)] {
    match c.to_ascii_lowercase() {
        'd' => PERL_DIGIT,
        's' => PERL_SPACE,
        _ => PERL_WORD,
    }
}

/// A compiled pattern with its group count.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The engine's regex.
    pub re: regex_lite::Regex,
    /// Number of capturing groups.
    pub groups: usize,
}

/// Translates with [`AsciiTables`] and compiles.
pub fn compile(pattern: &str) -> Result<Compiled, Re2Error> {
    compile_with(pattern, &AsciiTables)
}

/// Translates with `tables` and compiles.
pub fn compile_with(pattern: &str, tables: &dyn Tables) -> Result<Compiled, Re2Error> {
    let t = translate(pattern, tables)?;
    let re = regex_lite::Regex::new(&t.pattern).map_err(|e| Re2Error::Engine(e.to_string()))?;
    Ok(Compiled {
        re,
        groups: t.groups,
    })
}

/// Patterns compiled at run time (built from request data), most recent
/// ones kept: a small bounded cache so a hot rule with a dynamic pattern
/// does not recompile on every evaluation.
pub fn compile_cached(pattern: &str) -> Result<Arc<Compiled>, Re2Error> {
    /// Entries kept; a linear scan over a few entries is cheaper in code
    /// size than a map and fast enough next to a regex match.
    const CAPACITY: usize = 16;
    thread_local! {
        static CACHE: std::cell::RefCell<Vec<(Box<str>, Arc<Compiled>)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let hit = CACHE.with(|c| {
        c.borrow()
            .iter()
            .find(|(p, _)| p.as_ref() == pattern)
            .map(|(_, re)| re.clone())
    });
    if let Some(hit) = hit {
        return Ok(hit);
    }
    let compiled = Arc::new(compile(pattern)?);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CAPACITY {
            c.remove(0);
        }
        c.push((Box::from(pattern), compiled.clone()));
    });
    Ok(compiled)
}
