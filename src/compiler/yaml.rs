//! A located YAML/JSON tree.
//!
//! Policies are read into a small tree in which every node and every mapping
//! key knows its line, column and byte offset, so that every later error can
//! point at the exact spot. The event stream comes from `saphyr-parser`
//! (YAML 1.2, which is a superset of JSON, so `.json` policies go through the
//! same reader); this module builds the tree, resolves anchors and aliases,
//! applies `<<` merge keys, rejects duplicate keys, and caps nesting depth and
//! alias expansion so that hostile input cannot exhaust the stack or memory.
//!
//! Why `saphyr-parser`: it is maintained (the successor of yaml-rust, which
//! `serde_yaml`'s archival left as the live pure-Rust line), YAML 1.2
//! compliant, free of `unsafe`, small (two dependencies), and its event API
//! reports a position for every node and every error without panicking.
//! The higher-level `saphyr`/`serde-saphyr` loaders were not used because
//! the compiler needs key positions, merge keys and Cerbos-specific error
//! hints that are easiest to get from the raw events.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::diagnostics::ParseKind;

/// Deepest nesting accepted; policies need about a dozen levels.
const MAX_DEPTH: usize = 128;
/// Upper bound on nodes created by alias expansion (billion-laughs guard).
const MAX_ALIAS_NODES: usize = 200_000;

/// A position in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub col: u32,
    /// Byte offset of the position in the source.
    pub offset: usize,
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unquoted.
    Plain,
    /// `'…'`
    SingleQuoted,
    /// `"…"`
    DoubleQuoted,
    /// `|` block.
    Literal,
    /// `>` block.
    Folded,
}

/// A node's content.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar with its (unescaped) text.
    Scalar(String, Style),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping; keys are scalars, in source order (merged keys last).
    Map(Vec<Entry>),
}

/// One `key: value` pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Key text.
    pub key: String,
    /// Where the key starts.
    pub key_pos: Pos,
    /// The value.
    pub value: Node,
}

/// A located node.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node starts (the quote or block indicator for such scalars).
    pub pos: Pos,
    /// Content.
    pub value: Value,
}

/// A YAML reading error.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    /// Where.
    pub pos: Pos,
    /// What kind.
    pub kind: ParseKind,
    /// Description.
    pub message: String,
}

impl Node {
    /// `true` for a plain `null`/`~`/empty scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s, Style::Plain) if is_null_text(s))
    }

    /// Name of the node's type as Cerbos's YAML reader reports it.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Map(_) => "Mapping",
            Value::Seq(_) => "Sequence",
            Value::Scalar(_, Style::Plain) if self.is_null() => "Null",
            Value::Scalar(..) => "Scalar",
        }
    }

    /// The node as a JSON value, resolving plain scalars with the YAML 1.2
    /// core schema (null, booleans, numbers); quoted scalars stay strings.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Scalar(s, Style::Plain) => plain_to_json(s),
            Value::Scalar(s, _) => serde_json::Value::String(s.clone()),
            Value::Seq(items) => {
                serde_json::Value::Array(items.iter().map(Node::to_json).collect())
            }
            Value::Map(entries) => {
                let mut m = serde_json::Map::new();
                for e in entries {
                    m.insert(e.key.clone(), e.value.to_json());
                }
                serde_json::Value::Object(m)
            }
        }
    }
}

fn is_null_text(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// Resolves a plain scalar per the YAML 1.2 core schema.
pub fn plain_to_json(s: &str) -> serde_json::Value {
    use serde_json::Value as J;
    if is_null_text(s) {
        return J::Null;
    }
    match s {
        "true" | "True" | "TRUE" => return J::Bool(true),
        "false" | "False" | "FALSE" => return J::Bool(false),
        _ => {}
    }
    if let Some(n) = parse_int(s) {
        return J::Number(n.into());
    }
    if looks_like_float(s) {
        if let Ok(f) = s.parse::<f64>() {
            if let Some(n) = serde_json::Number::from_f64(f) {
                return J::Number(n);
            }
        }
    }
    J::String(s.to_string())
}

fn parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let v = if let Some(hex) = body.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()?
    } else if let Some(oct) = body.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()?
    } else if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
        body.parse::<i64>().ok()?
    } else {
        return None;
    };
    Some(if neg { -v } else { v })
}

fn looks_like_float(s: &str) -> bool {
    let body = s.trim_start_matches(['-', '+']);
    !body.is_empty()
        && body.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && body.bytes().any(|b| b.is_ascii_digit())
}

/// Maps character-based parser markers to byte offsets.
struct LineTable<'a> {
    src: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineTable<'a> {
    fn new(src: &'a str) -> Self {
        let mut starts = vec![0];
        for (i, b) in src.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i + 1);
            }
        }
        LineTable { src, starts }
    }

    /// `line` 1-based, `col` 0-based characters.
    fn pos(&self, line: usize, col: usize) -> Pos {
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.src.len());
        let rest = self.src.get(start..).unwrap_or("");
        let byte_col: usize = rest
            .char_indices()
            .nth(col)
            .map(|(i, _)| i)
            .unwrap_or_else(|| rest.find('\n').unwrap_or(rest.len()).min(rest.len()));
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col + 1).unwrap_or(u32::MAX),
            offset: start + byte_col,
        }
    }

    fn span_start(&self, span: &Span) -> Pos {
        self.pos(span.start.line(), span.start.col())
    }
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<Entry>,
        merges: Vec<Node>,
        key: Option<(String, Pos, bool)>,
    },
}

/// Reads every document of `src`. Empty documents are dropped, so a
/// comment-only file yields an empty list.
pub fn parse_documents(src: &str) -> Result<Vec<Node>, Vec<YamlError>> {
    let table = LineTable::new(src);
    let mut text = Cow::Borrowed(src);
    for _ in 0..MAX_REINDENTS {
        match build(&table, &text) {
            Ok(docs) => return Ok(docs),
            Err(Failure::Other(errs)) => return Err(errs),
            Err(Failure::Scan { line, col, info }) => {
                // Flow collections (`{ … }` inside block YAML) whose lines are
                // not indented past their key are accepted by Cerbos's reader;
                // indent such lines and try again.
                if info == "invalid indentation" {
                    if let Some(fixed) = reindent_flow_line(&text, line) {
                        text = Cow::Owned(fixed);
                        continue;
                    }
                }
                return Err(syntax_errors(src, line, col, &info));
            }
        }
    }
    Err(vec![YamlError {
        pos: table.pos(1, 0),
        kind: ParseKind::InvalidDocument,
        message: "invalid indentation".into(),
    }])
}

/// Most lines re-indented before giving up.
const MAX_REINDENTS: usize = 32;

enum Failure {
    Scan {
        line: usize,
        col: usize,
        info: String,
    },
    Other(Vec<YamlError>),
}

/// If `line` (1-based) is inside an unclosed `{`/`[` opened on an earlier
/// line, returns the text with that line indented one past the opener's line.
fn reindent_flow_line(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.split('\n').collect();
    let target = lines.get(line.checked_sub(1)?)?;
    let mut balance: i64 = 0;
    for l in (0..line - 1).rev() {
        let mut in_q: Option<char> = None;
        let mut b: i64 = 0;
        for c in lines[l].chars() {
            match in_q {
                Some(q) if c == q => in_q = None,
                Some(_) => {}
                None if c == '"' || c == '\'' => in_q = Some(c),
                None if c == '#' => break,
                None if c == '{' || c == '[' => b += 1,
                None if c == '}' || c == ']' => b -= 1,
                None => {}
            }
        }
        balance += b;
        if balance > 0 {
            let opener_indent = lines[l].len() - lines[l].trim_start_matches(' ').len();
            let cur = target.len() - target.trim_start_matches(' ').len();
            if cur > opener_indent {
                return None;
            }
            let mut out = String::with_capacity(text.len() + 8);
            for (i, x) in lines.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                if i == line - 1 {
                    out.push_str(&" ".repeat(opener_indent + 1 - cur));
                }
                out.push_str(x);
            }
            return Some(out);
        }
    }
    None
}

fn build(table: &LineTable<'_>, src: &str) -> Result<Vec<Node>, Failure> {
    let total_chars = src.chars().count();
    let ends_with_newline = src.ends_with('\n');
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut alias_budget = MAX_ALIAS_NODES;
    let mut errors: Vec<YamlError> = Vec::new();

    let mut parser = Parser::new_from_str(src);
    while let Some(ev) = parser.next_event() {
        let (event, span) = match ev {
            Ok(x) => x,
            Err(e) => {
                let m = e.marker();
                return Err(Failure::Scan {
                    line: m.line(),
                    col: m.col(),
                    info: e.info().to_string(),
                });
            }
        };
        let pos = table.span_start(&span);
        let completed: Option<(Node, usize)> = match event {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => None,
            Event::StreamEnd => break,
            // Anchors stay visible in later documents, as in Cerbos's reader.
            Event::DocumentStart(_) => None,
            Event::Scalar(text, style, anchor, _tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted => Style::SingleQuoted,
                    ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                    ScalarStyle::Literal => Style::Literal,
                    ScalarStyle::Folded => Style::Folded,
                };
                let mut text = cow_string(text);
                // A clipped block scalar that ends the file without a line
                // break has no final newline (saphyr adds one).
                if matches!(style, Style::Literal | Style::Folded)
                    && !ends_with_newline
                    && span.end.index() >= total_chars
                    && text.ends_with('\n')
                    && !block_keeps(src, pos)
                {
                    text.pop();
                }
                Some((
                    Node {
                        pos,
                        value: Value::Scalar(text, style),
                    },
                    anchor,
                ))
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(node) => {
                    let n = count_nodes(node);
                    if n > alias_budget {
                        return Err(Failure::Other(vec![YamlError {
                            pos,
                            kind: ParseKind::InvalidDocument,
                            message: "too many alias expansions".into(),
                        }]));
                    }
                    alias_budget -= n;
                    Some((node.clone(), 0))
                }
                None => {
                    return Err(Failure::Other(vec![YamlError {
                        pos,
                        kind: ParseKind::InvalidDocument,
                        message: "unknown anchor".into(),
                    }]))
                }
            },
            Event::SequenceStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(Failure::Other(vec![too_deep(pos)]));
                }
                stack.push(Frame::Seq {
                    pos,
                    anchor,
                    items: Vec::new(),
                });
                None
            }
            Event::MappingStart(anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(Failure::Other(vec![too_deep(pos)]));
                }
                stack.push(Frame::Map {
                    pos,
                    anchor,
                    entries: Vec::new(),
                    merges: Vec::new(),
                    key: None,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { pos, anchor, items }) => Some((
                    Node {
                        pos,
                        value: Value::Seq(items),
                    },
                    anchor,
                )),
                _ => None,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    pos,
                    anchor,
                    mut entries,
                    merges,
                    ..
                }) => {
                    // Cerbos's YAML reader places a mapping at the colon of
                    // its first key; errors about mappings point there.
                    let pos = entries
                        .first()
                        .map_or(pos, |e| colon_after(table, e.key_pos));
                    apply_merges(&mut entries, merges);
                    Some((
                        Node {
                            pos,
                            value: Value::Map(entries),
                        },
                        anchor,
                    ))
                }
                _ => None,
            },
        };
        let Some((node, anchor)) = completed else {
            continue;
        };
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => docs.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                merges,
                key,
                ..
            }) => match key.take() {
                None => match node.value {
                    Value::Scalar(text, style) => {
                        *key = Some((text, node.pos, style == Style::Plain));
                    }
                    _ => {
                        errors.push(YamlError {
                            pos: node.pos,
                            kind: ParseKind::InvalidDocument,
                            message: "mapping keys must be scalars".into(),
                        });
                        *key = Some((String::new(), node.pos, false));
                    }
                },
                Some((k, kpos, plain)) => {
                    if plain && k == "<<" {
                        merges.push(node);
                    } else if entries.iter().any(|e| e.key == k) {
                        errors.push(YamlError {
                            pos: kpos,
                            kind: ParseKind::DuplicateKey,
                            message: format!("mapping key \"{k}\" already defined"),
                        });
                    } else {
                        entries.push(Entry {
                            key: k,
                            key_pos: kpos,
                            value: node,
                        });
                    }
                }
            },
        }
    }
    if !errors.is_empty() {
        return Err(Failure::Other(errors));
    }
    docs.retain(|d| {
        !(d.is_null() && matches!(d.value, Value::Scalar(ref s, _) if s.is_empty() || s == "~"))
    });
    Ok(docs)
}

/// Position of the `:` that ends the key starting at `key`.
fn colon_after(table: &LineTable<'_>, key: Pos) -> Pos {
    let rest = table.src.get(key.offset..).unwrap_or("");
    let mut chars = rest.char_indices().peekable();
    let mut col = key.col;
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'');
    let mut in_quote = quote;
    if quote.is_some() {
        chars.next();
        col += 1;
    }
    while let Some((i, c)) = chars.next() {
        match in_quote {
            Some(q) if c == '\\' && q == '"' => {
                chars.next();
                col += 2;
                continue;
            }
            Some(q) if c == q => in_quote = None,
            Some(_) => {}
            None if c == '\n' => break,
            None if c == ':' => {
                return Pos {
                    line: key.line,
                    col,
                    offset: key.offset + i,
                };
            }
            None => {}
        }
        col += 1;
    }
    key
}

/// `|+` / `>+`: the block keeps its final line breaks.
fn block_keeps(src: &str, at: Pos) -> bool {
    src.get(at.offset..)
        .and_then(|r| r.lines().next())
        .is_some_and(|l| l.split('#').next().unwrap_or("").contains('+'))
}

fn cow_string(c: Cow<'_, str>) -> String {
    c.into_owned()
}

fn too_deep(pos: Pos) -> YamlError {
    YamlError {
        pos,
        kind: ParseKind::InvalidDocument,
        message: format!("document nested deeper than {MAX_DEPTH} levels"),
    }
}

fn count_nodes(n: &Node) -> usize {
    // Iterative so that counting cannot recurse deeply.
    let mut stack = vec![n];
    let mut count = 0usize;
    while let Some(n) = stack.pop() {
        count += 1;
        match &n.value {
            Value::Scalar(..) => {}
            Value::Seq(items) => stack.extend(items.iter()),
            Value::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
        }
    }
    count
}

/// `<<: *a` / `<<: [*a, *b]`: keys of the merged mappings are added unless
/// the mapping defines them itself (or an earlier merge source did).
fn apply_merges(entries: &mut Vec<Entry>, merges: Vec<Node>) {
    for m in merges {
        let sources: Vec<Node> = match m.value {
            Value::Map(_) => vec![m],
            Value::Seq(items) => items,
            Value::Scalar(..) => Vec::new(),
        };
        for src in sources {
            if let Value::Map(src_entries) = src.value {
                for e in src_entries {
                    if !entries.iter().any(|x| x.key == e.key) {
                        entries.push(e);
                    }
                }
            }
        }
    }
}

/// Turns a scanner error into diagnostics. A quoted scalar followed by more
/// text (`expr: "a" in b`) is by far the most common cause in policies, so
/// such lines are reported with a hint instead of the scanner's message.
fn syntax_errors(src: &str, line: usize, col: usize, info: &str) -> Vec<YamlError> {
    let table = LineTable::new(src);
    let pos = table.pos(line, col);
    let mut out = Vec::new();
    let mut block_indent: Option<usize> = None;
    for (i, text) in src.lines().enumerate() {
        let indent = text.len() - text.trim_start_matches(' ').len();
        if let Some(b) = block_indent {
            if text.trim().is_empty() || indent > b {
                continue;
            }
            block_indent = None;
        }
        if starts_block_scalar(text) {
            block_indent = Some(indent);
            continue;
        }
        if let Some(col) = quoted_then_more(text) {
            out.push(YamlError {
                pos: table.pos(i + 1, col),
                kind: ParseKind::QuotedStringContinues,
                message:
                    "invalid YAML string: use a literal or folded block for strings containing quotes"
                        .into(),
            });
        }
    }
    if !out.is_empty() {
        return out;
    }
    // A line without `key:` inside a mapping: the scanner notices on the
    // next line; point at the offending one.
    if info.contains("simple key expect ':'") || info.contains("could not find expected ':'") {
        let lines: Vec<&str> = src.lines().collect();
        let prev = (0..line.saturating_sub(1)).rev().find(|&l| {
            lines
                .get(l)
                .is_some_and(|t| !t.trim().is_empty() && !t.trim_start().starts_with('#'))
        });
        if let Some(l) = prev {
            let t = lines[l];
            let c = t.chars().take_while(|c| *c == ' ').count();
            return vec![YamlError {
                pos: table.pos(l + 1, c),
                kind: ParseKind::InvalidDocument,
                message: "non-map value is specified".into(),
            }];
        }
    }
    vec![YamlError {
        pos,
        kind: ParseKind::InvalidDocument,
        message: info.to_string(),
    }]
}

/// `key: |` / `- >-` and the like: the following lines are block content.
fn starts_block_scalar(line: &str) -> bool {
    let code = line.split(" #").next().unwrap_or("").trim_end();
    let last = code.rsplit([' ', ':']).next().unwrap_or("");
    (code.ends_with(": ") || code.contains(": ") || code.trim_start().starts_with("- "))
        && !last.is_empty()
        && last.starts_with(['|', '>'])
        && last[1..]
            .chars()
            .all(|c| c == '-' || c == '+' || c.is_ascii_digit())
}

/// If `line` is `key: "quoted" more` or `- "quoted" more`, returns the
/// 0-based character column of the opening quote.
fn quoted_then_more(line: &str) -> Option<usize> {
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() && chars[i] == ' ' {
        i += 1;
    }
    if chars.get(i) == Some(&'-') && chars.get(i + 1) == Some(&' ') {
        i += 2;
        while i < chars.len() && chars[i] == ' ' {
            i += 1;
        }
    }
    // Optional plain key.
    let mut j = i;
    while j < chars.len() && chars[j] != ':' && chars[j] != '"' && chars[j] != '\'' {
        if chars[j] == '#' {
            return None;
        }
        j += 1;
    }
    if chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&' ') {
        i = j + 1;
        while i < chars.len() && chars[i] == ' ' {
            i += 1;
        }
    }
    let q = *chars.get(i)?;
    if q != '"' && q != '\'' {
        return None;
    }
    let start = i;
    let mut k = i + 1;
    loop {
        let c = *chars.get(k)?;
        if q == '"' && c == '\\' {
            k += 2;
            continue;
        }
        if c == q {
            if q == '\'' && chars.get(k + 1) == Some(&'\'') {
                k += 2;
                continue;
            }
            break;
        }
        k += 1;
    }
    let rest: String = chars[k + 1..].iter().collect();
    let rest = rest.trim();
    if rest.is_empty() || rest.starts_with('#') || rest.starts_with(':') || rest.starts_with(',') {
        return None;
    }
    Some(start)
}

/// When `at` is the first content character of a block scalar (alone on
/// its line after indentation, the previous non-blank line ending in a
/// `|`/`>` header), the header's position and the block style.
fn block_indicator_before(src: &str, at: Pos) -> Option<(Pos, Style)> {
    let before = src.get(..at.offset)?;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    if !before.get(line_start..)?.chars().all(|c| c == ' ') || line_start == 0 {
        return None;
    }
    let mut prev = before.get(..line_start - 1)?;
    loop {
        let start = prev.rfind('\n').map_or(0, |i| i + 1);
        let line = prev.get(start..)?;
        let code = line.split(" #").next().unwrap_or(line).trim_end();
        if code.trim().is_empty() {
            if start == 0 {
                return None;
            }
            prev = prev.get(..start - 1)?;
            continue;
        }
        let header = code.trim_end_matches(|c: char| c == '-' || c == '+' || c.is_ascii_digit());
        let style = match header.chars().last()? {
            '|' => Style::Literal,
            '>' => Style::Folded,
            _ => return None,
        };
        let col = header.chars().count();
        let table = LineTable::new(src);
        let line_no = src.get(..start)?.matches('\n').count() + 1;
        return Some((table.pos(line_no, col), style));
    }
}

/// Maps a byte offset inside a scalar's value to a position in the source.
///
/// Exact for plain and quoted single-line scalars and for literal blocks;
/// for folded or multi-line flow scalars the line is found by counting the
/// content's line breaks, which is exact unless lines were folded.
pub fn scalar_offset_pos(src: &str, at: Pos, text: &str, offset: usize) -> Pos {
    // The parser may place a block scalar at its indicator or at its first
    // content line; content that starts with a quote is not a quoted scalar.
    let (node_pos, block) = match block_indicator_before(src, at) {
        Some((pos, style)) => (pos, Some(style)),
        None => (at, None),
    };
    let style = &match (block, src.get(at.offset..).and_then(|r| r.chars().next())) {
        (Some(style), _) => style,
        (None, Some('"')) => Style::DoubleQuoted,
        (None, Some('\'')) => Style::SingleQuoted,
        (None, Some('|')) => Style::Literal,
        (None, Some('>')) => Style::Folded,
        _ => Style::Plain,
    };
    let offset = offset.min(text.len());
    let table = LineTable::new(src);
    match style {
        Style::Literal | Style::Folded => {
            // Content starts on the line after the indicator, at the block's
            // indentation; every source line contributes its text plus one
            // character (the newline, or the space it was folded into).
            let first_line = node_pos.line as usize + 1;
            let lines: Vec<&str> = src.lines().collect();
            let indent = lines
                .iter()
                .skip(first_line.saturating_sub(1))
                .find(|l| !l.trim().is_empty())
                .map(|l| l.len() - l.trim_start_matches(' ').len())
                .unwrap_or(0);
            let mut remaining = offset;
            let mut l = first_line;
            while l <= lines.len() {
                let content = lines[l - 1].get(indent..).unwrap_or("");
                if remaining <= content.len() {
                    let chars = content.get(..remaining).map_or(0, |c| c.chars().count());
                    return table.pos(l, indent + chars);
                }
                remaining -= content.len() + 1;
                l += 1;
            }
            node_pos
        }
        Style::Plain | Style::SingleQuoted | Style::DoubleQuoted => {
            let quote = usize::from(*style != Style::Plain);
            let before = text.get(..offset).unwrap_or("");
            let line_in = before.matches('\n').count();
            if line_in == 0 {
                let chars = before.chars().count();
                table.pos(
                    node_pos.line as usize,
                    node_pos.col as usize - 1 + quote + chars,
                )
            } else {
                let line = node_pos.line as usize + line_in;
                let col_chars = before.rsplit('\n').next().unwrap_or("").chars().count();
                let indent = src
                    .lines()
                    .nth(line - 1)
                    .map(|l| l.len() - l.trim_start().len())
                    .unwrap_or(0);
                table.pos(line, indent + col_chars)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_and_merges() {
        let src = "a: &x\n  b: 1\n  c: \"q\"\nd:\n  <<: *x\n  c: z\n";
        let docs = parse_documents(src).unwrap();
        assert_eq!(docs.len(), 1);
        let Value::Map(entries) = &docs[0].value else {
            panic!("not a map")
        };
        assert_eq!(entries[0].key_pos.line, 1);
        let Value::Map(d) = &entries[1].value.value else {
            panic!("not a map")
        };
        let keys: Vec<_> = d.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, vec!["c", "b"]);
        assert_eq!(d[0].value.to_json(), serde_json::json!("z"));
    }

    #[test]
    fn duplicate_keys_and_multi_docs() {
        assert!(parse_documents("a: 1\na: 2\n").is_err());
        assert_eq!(parse_documents("a: 1\n---\nb: 2\n").unwrap().len(), 2);
        assert_eq!(parse_documents("# only a comment\n").unwrap().len(), 0);
    }

    #[test]
    fn quoted_then_more_detected() {
        let src = "a:\n  - expr: \"x\" in y\n";
        let err = parse_documents(src).unwrap_err();
        assert_eq!(err[0].kind, ParseKind::QuotedStringContinues);
        assert_eq!((err[0].pos.line, err[0].pos.col), (2, 11));
    }

    #[test]
    fn offsets_in_block_scalars() {
        let src = "expr: |-\n  a ==\n  bad\n";
        let docs = parse_documents(src).unwrap();
        let Value::Map(e) = &docs[0].value else {
            panic!("not a map")
        };
        let p = scalar_offset_pos(src, e[0].value.pos, "a ==\nbad", 5);
        assert_eq!((p.line, p.col), (3, 3));
        let src2 = "expr: \"a + b\"\n";
        let docs = parse_documents(src2).unwrap();
        let Value::Map(e) = &docs[0].value else {
            panic!("not a map")
        };
        let p = scalar_offset_pos(src2, e[0].value.pos, "a + b", 4);
        assert_eq!((p.line, p.col), (1, 12));
    }
}
