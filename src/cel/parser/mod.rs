//! CEL parser: source text → [`Expr`] with macros expanded the way cel-go
//! v0.30 expands them.
//!
//! The grammar is cel-spec's `CEL.g4`; the tree shapes (operator function
//! names, balanced `&&`/`||` chains, `-` folded into numeric literals, macro
//! expansions with the `@result` accumulator) follow cel-go's parser so that
//! evaluation of the tree matches cel-go exactly. Inputs are bounded: at most
//! [`ParseOptions::max_code_points`] code points and a nesting/height of
//! [`ParseOptions::max_recursion_depth`]; anything beyond is an error, never
//! a stack overflow.

mod lexer;
mod macros;

use crate::cel::ast::{Expr, ExprId, ExprKind, Literal, MapEntry, SourceInfo, StructField};
use lexer::{Tok, Token};

/// A parsed expression with the byte offsets of its nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedExpr {
    /// The expression tree, macros expanded.
    pub expr: Expr,
    /// Node id → byte offset in the source text.
    pub source_info: SourceInfo,
}

/// A syntax error (or a macro/literal error found while parsing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{line}:{column}: {message}")]
pub struct ParseError {
    /// What is wrong, in cel-go's wording where practical.
    pub message: String,
    /// Byte offset in the expression text.
    pub offset: usize,
    /// 1-based line within the expression text.
    pub line: u32,
    /// 1-based column (in code points) within the line.
    pub column: u32,
}

/// Parser settings; [`ParseOptions::default`] is what Cerbos uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// Expand macros (`has`, `all`, `exists`, `map`, `cel.bind`, …).
    /// The CEL conformance suite turns this off for some tests.
    pub enable_macros: bool,
    /// Maximum nesting depth of the source and height of the source-level
    /// tree (cel-go's default is 250).
    pub max_recursion_depth: u32,
    /// Maximum expression size in code points (cel-go's default is 100 000).
    pub max_code_points: usize,
    /// Accept backquoted field names (`` a.`b-c` ``, `` T{`in`: 1} ``); on
    /// by default since cel-go v0.28.
    pub enable_ident_escape: bool,
    /// Expand `cel.block`, `cel.index`, `cel.iterVar`, `cel.accuVar` (the
    /// macros cel-go's conformance harness adds for the `block_ext` tests;
    /// not part of Cerbos's environment).
    pub enable_block_macros: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            enable_macros: true,
            max_recursion_depth: 250,
            max_code_points: 100_000,
            enable_ident_escape: true,
            enable_block_macros: false,
        }
    }
}

/// The accumulator variable of macro comprehensions, as in cel-go.
pub const ACCUMULATOR_VAR: &str = "@result";

/// Parses `src` with the default (Cerbos) options.
pub fn parse(src: &str) -> Result<ParsedExpr, Vec<ParseError>> {
    parse_with(src, &ParseOptions::default())
}

/// Parses `src` with explicit options.
pub fn parse_with(src: &str, opts: &ParseOptions) -> Result<ParsedExpr, Vec<ParseError>> {
    let size = src.chars().count();
    if size > opts.max_code_points {
        return Err(vec![locate(
            src,
            RawError {
                message: format!(
                    "expression code point size exceeds limit: size: {size}, limit {}",
                    opts.max_code_points
                ),
                offset: 0,
            },
        )]);
    }
    let (toks, lex_errors) = lexer::lex(src);
    // Deeply nested input is parsed on a thread with a large stack (the
    // recursion is bounded by the nesting limit, but debug-build frames
    // are big).
    let deep = nesting_estimate(&toks) > SHALLOW_NESTING;
    on_big_stack_if(deep, move || parse_tokens(src, toks, lex_errors, opts))
}

/// Bracket nesting plus conditionals: a bound on the parser's recursion
/// (each of them is one level of `parse_expr`).
fn nesting_estimate(toks: &[Token]) -> usize {
    let (mut depth, mut max, mut ternaries) = (0usize, 0usize, 0usize);
    for t in toks {
        match t.tok {
            Tok::LParen | Tok::LBracket | Tok::LBrace => {
                depth += 1;
                max = max.max(depth);
            }
            Tok::RParen | Tok::RBracket | Tok::RBrace => depth = depth.saturating_sub(1),
            Tok::Question => ternaries += 1,
            _ => {}
        }
    }
    max + ternaries
}

/// Source nesting up to which the caller's stack is used directly.
const SHALLOW_NESTING: usize = 24;

/// Tree height up to which tree walks (checker, printer) use the caller's
/// stack directly.
pub(crate) const SHALLOW_TREE: usize = 64;

/// Runs `f` on the current thread unless `deep`, else on a scoped thread
/// with a stack large enough for the deepest tree the parser accepts.
/// Falls back to the current thread where threads are unavailable.
pub(crate) fn on_big_stack_if<R: Send>(deep: bool, f: impl FnOnce() -> R + Send) -> R {
    if !deep {
        return f();
    }
    let mut slot = Some(f);
    let result = std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("cel-deep".into())
            .stack_size(BIG_STACK)
            .spawn_scoped(scope, || slot.take().map(|f| f()));
        match spawned {
            Ok(handle) => handle.join().ok().flatten(),
            Err(_) => None,
        }
    });
    match (result, slot.take()) {
        (Some(r), _) => r,
        // Spawning failed (no threads): run here.
        (None, Some(f)) => f(),
        // INVARIANT: the closure ran on the spawned thread, so a missing
        // result means it panicked; re-raise rather than invent a value.
        (None, None) => std::panic::resume_unwind(Box::new("CEL worker thread panicked")),
    }
}

/// Stack for deep inputs: generous for debug builds (≈15 KB per nesting
/// level in the parser, less in the checker and printer); only touched
/// pages are committed.
const BIG_STACK: usize = 64 << 20;

/// Height of a tree, computed without recursion.
pub(crate) fn tree_height(e: &Expr) -> usize {
    let mut max = 0;
    let mut stack: Vec<(&Expr, usize)> = vec![(e, 1usize)];
    let mut kids = Vec::new();
    while let Some((e, h)) = stack.pop() {
        max = max.max(h);
        children(e, &mut kids);
        stack.extend(kids.drain(..).map(|c| (c, h + 1)));
    }
    max
}

/// Appends the direct children of `e` to `out`.
pub(crate) fn children<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Ident(_) => {}
        ExprKind::Select { operand, .. } => out.push(operand),
        ExprKind::Call { target, args, .. } => {
            out.extend(target.as_deref());
            out.extend(args.iter());
        }
        ExprKind::List { elements, .. } => out.extend(elements.iter()),
        ExprKind::Map { entries } => {
            for en in entries {
                out.push(&en.key);
                out.push(&en.value);
            }
        }
        ExprKind::Struct { fields, .. } => out.extend(fields.iter().map(|f| &f.value)),
        ExprKind::Comprehension(c) => out.extend([
            &c.iter_range,
            &c.accu_init,
            &c.loop_condition,
            &c.loop_step,
            &c.result,
        ]),
    }
}

fn parse_tokens(
    src: &str,
    toks: Vec<Token>,
    lex_errors: Vec<RawError>,
    opts: &ParseOptions,
) -> Result<ParsedExpr, Vec<ParseError>> {
    let mut p = Parser {
        toks,
        src,
        pos: 0,
        next_id: 1,
        positions: Vec::new(),
        heights: vec![0],
        depth: 0,
        errors: lex_errors,
        opts: opts.clone(),
    };
    let result = p.parse_start();
    let mut errs = p.errors;
    let expr = match result {
        Ok(expr) => expr,
        Err(fatal) => {
            errs.push(fatal);
            Expr {
                id: 0,
                kind: ExprKind::Literal(Literal::Null),
            }
        }
    };
    if errs.is_empty() {
        return Ok(ParsedExpr {
            expr,
            source_info: SourceInfo {
                positions: p.positions,
            },
        });
    }
    // Lexical errors come first at equal offsets, as cel-go reports them.
    errs.sort_by_key(|e| e.offset);
    Err(errs.into_iter().map(|e| locate(src, e)).collect())
}

/// 1-based line and column (in code points) of byte `offset` in `src`, as
/// [`ParseError`] reports them; use it for [`crate::cel::checker::CheckError`]
/// offsets too.
pub fn line_column(src: &str, offset: usize) -> (u32, u32) {
    let e = locate(
        src,
        RawError {
            message: String::new(),
            offset,
        },
    );
    (e.line, e.column)
}

/// An error before line/column are computed.
#[derive(Debug, Clone)]
pub(crate) struct RawError {
    pub message: String,
    pub offset: usize,
}

fn locate(src: &str, e: RawError) -> ParseError {
    let offset = e.offset.min(src.len());
    let before = src.get(..offset).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    ParseError {
        message: e.message,
        offset,
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    }
}

/// Identifiers cel-go refuses as plain names or global function names.
const RESERVED: &[&str] = &[
    "as",
    "break",
    "const",
    "continue",
    "else",
    "false",
    "for",
    "function",
    "if",
    "import",
    "in",
    "let",
    "loop",
    "namespace",
    "null",
    "package",
    "return",
    "true",
    "var",
    "void",
    "while",
];

type PResult<T> = Result<T, RawError>;

/// [`EXPR_START`] plus `)`: what may follow `f(`.
const EXPR_START_OR_CLOSE: &str = "{'[', '{', '(', ')', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}";

/// The tokens that can start an expression, as ANTLR lists them.
const EXPR_START: &str = "{'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}";

pub(crate) struct Parser<'a> {
    toks: Vec<Token>,
    src: &'a str,
    pos: usize,
    next_id: ExprId,
    positions: Vec<(ExprId, u32)>,
    /// Source-level height of each node, indexed by id.
    heights: Vec<u32>,
    /// Current nesting of `parse_expr` calls.
    depth: u32,
    /// Non-fatal errors (bad literals, bad macro arguments).
    errors: Vec<RawError>,
    opts: ParseOptions,
}

fn binop_name(t: &Tok) -> Option<&'static str> {
    Some(match t {
        Tok::EqEq => "_==_",
        Tok::Ne => "_!=_",
        Tok::Lt => "_<_",
        Tok::Le => "_<=_",
        Tok::Gt => "_>_",
        Tok::Ge => "_>=_",
        Tok::In => "@in",
        Tok::Plus => "_+_",
        Tok::Minus => "_-_",
        Tok::Star => "_*_",
        Tok::Slash => "_/_",
        Tok::Percent => "_%_",
        _ => return None,
    })
}

fn describe(t: &Tok, text: &str) -> String {
    match t {
        Tok::Eof => "<EOF>".to_string(),
        _ => lexer::error_display(text),
    }
}

impl<'a> Parser<'a> {
    // ----- token helpers -------------------------------------------------

    fn peek(&self) -> &Tok {
        self.peek_at(0)
    }

    fn peek_at(&self, k: usize) -> &Tok {
        // INVARIANT: the token list always ends with Eof, and `pos` never
        // moves past it, so clamping to the last token yields Eof.
        self.toks
            .get(self.pos + k)
            .or_else(|| self.toks.last())
            .map_or(&Tok::Eof, |t| &t.tok)
    }

    fn offset(&self) -> usize {
        self.toks
            .get(self.pos)
            .or_else(|| self.toks.last())
            .map_or(0, |t| t.start)
    }

    fn bump(&mut self) -> Token {
        let t = self
            .toks
            .get(self.pos)
            .or_else(|| self.toks.last())
            .cloned()
            .unwrap_or(Token {
                tok: Tok::Eof,
                start: self.src.len(),
                end: self.src.len(),
            });
        if t.tok != Tok::Eof {
            self.pos += 1;
        }
        t
    }

    fn text(&self, t: &Token) -> &'a str {
        self.src.get(t.start..t.end).unwrap_or("")
    }

    fn at(&self, t: &Tok) -> bool {
        self.peek() == t
    }

    fn eat(&mut self, t: &Tok) -> bool {
        if self.at(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn current_text(&self) -> String {
        match self.toks.get(self.pos) {
            Some(t) => describe(&t.tok, self.text(t)),
            None => "<EOF>".to_string(),
        }
    }

    fn mismatched(&self, expecting: &str) -> RawError {
        RawError {
            message: format!(
                "Syntax error: mismatched input '{}' expecting {expecting}",
                self.current_text()
            ),
            offset: self.offset(),
        }
    }

    /// Matches token `t`, recovering like ANTLR's `recoverInline`: a single
    /// surplus token is reported as extraneous and skipped; a missing token
    /// is reported and assumed when the current token could follow it;
    /// anything else is a (fatal) mismatch.
    fn expect(&mut self, t: &Tok, shown: &str) -> PResult<()> {
        if self.eat(t) {
            return Ok(());
        }
        if self.peek_at(1) == t {
            let message = format!(
                "Syntax error: extraneous input '{}' expecting '{shown}'",
                self.current_text()
            );
            self.report(message, self.offset());
            self.pos += 2;
            return Ok(());
        }
        if can_follow(t, self.peek()) {
            let message = format!(
                "Syntax error: missing '{shown}' at '{}'",
                self.current_text()
            );
            self.report(message, self.offset());
            return Ok(());
        }
        Err(self.mismatched(&format!("'{shown}'")))
    }

    /// After an element of a comma-separated list closed by `close`: either
    /// `,` (returns true: another element may follow) or `close` (false).
    /// Otherwise reports like ANTLR's loop `sync` (`expecting {']', ','}`).
    fn separator(&mut self, close: &Tok, shown: &str) -> PResult<bool> {
        loop {
            if self.eat(&Tok::Comma) {
                return Ok(true);
            }
            if self.eat(close) {
                return Ok(false);
            }
            let expecting = format!("{{'{shown}', ','}}");
            let next = self.peek_at(1);
            if next == close || *next == Tok::Comma {
                let message = format!(
                    "Syntax error: extraneous input '{}' expecting {expecting}",
                    self.current_text()
                );
                self.report(message, self.offset());
                self.pos += 1;
                continue;
            }
            return Err(self.mismatched(&expecting));
        }
    }

    // ----- node construction ---------------------------------------------

    fn height_of(&self, e: &Expr) -> u32 {
        self.heights.get(e.id as usize).copied().unwrap_or(0)
    }

    fn child_height(&self, kind: &ExprKind) -> u32 {
        kind.children()
            .into_iter()
            .map(|e| self.height_of(e))
            .max()
            .unwrap_or(0)
    }

    /// Creates a node, recording its offset and source-level height.
    pub(crate) fn node(&mut self, kind: ExprKind, offset: usize) -> PResult<Expr> {
        let height = self.child_height(&kind) + 1;
        self.node_with_height(kind, offset, height)
    }

    /// Creates a node whose height is given (macro expansions count as one
    /// level above their arguments, like the source they came from).
    pub(crate) fn node_with_height(
        &mut self,
        kind: ExprKind,
        offset: usize,
        height: u32,
    ) -> PResult<Expr> {
        if height > self.opts.max_recursion_depth {
            return Err(RawError {
                message: format!(
                    "expression recursion limit exceeded: {}",
                    self.opts.max_recursion_depth
                ),
                offset,
            });
        }
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        self.positions
            .push((id, u32::try_from(offset).unwrap_or(u32::MAX)));
        self.heights.push(height);
        Ok(Expr { id, kind })
    }

    pub(crate) fn call(&mut self, function: &str, args: Vec<Expr>, offset: usize) -> PResult<Expr> {
        self.node(
            ExprKind::Call {
                target: None,
                function: function.to_string(),
                args,
            },
            offset,
        )
    }

    pub(crate) fn ident(&mut self, name: &str, offset: usize) -> PResult<Expr> {
        self.node(ExprKind::Ident(name.to_string()), offset)
    }

    pub(crate) fn lit(&mut self, l: Literal, offset: usize) -> PResult<Expr> {
        self.node(ExprKind::Literal(l), offset)
    }

    /// Records a non-fatal error; parsing continues so that several
    /// problems can be reported at once, as cel-go does.
    pub(crate) fn report(&mut self, message: impl Into<String>, offset: usize) {
        self.errors.push(RawError {
            message: message.into(),
            offset,
        });
    }

    // ----- grammar -------------------------------------------------------

    fn parse_start(&mut self) -> PResult<Expr> {
        let e = self.parse_expr()?;
        if !self.at(&Tok::Eof) {
            // ANTLR calls a single surplus token before the end "extraneous"
            // (deleting it would fix the input) and anything else "mismatched".
            let kind = if matches!(self.peek_at(1), Tok::Eof) {
                "extraneous"
            } else {
                "mismatched"
            };
            return Err(RawError {
                message: format!(
                    "Syntax error: {kind} input '{}' expecting <EOF>",
                    self.current_text()
                ),
                offset: self.offset(),
            });
        }
        Ok(e)
    }

    // Frames on the recursive path (parse_expr → … → parse_primary →
    // parse_expr) are kept small, with error formatting and node building
    // in separate functions, so the 250-level nesting limit fits easily in
    // a 2 MB thread stack even in debug builds.

    fn parse_expr(&mut self) -> PResult<Expr> {
        self.depth += 1;
        if self.depth > self.opts.max_recursion_depth {
            return Err(self.recursion_error());
        }
        let r = match self.parse_or() {
            Ok(cond) if self.at(&Tok::Question) => self.parse_ternary_rest(cond),
            other => other,
        };
        self.depth -= 1;
        r
    }

    #[cold]
    fn recursion_error(&self) -> RawError {
        RawError {
            message: format!(
                "expression recursion limit exceeded: {}",
                self.opts.max_recursion_depth
            ),
            offset: self.offset(),
        }
    }

    fn parse_ternary_rest(&mut self, cond: Expr) -> PResult<Expr> {
        let q = self.offset();
        self.pos += 1;
        let then = self.parse_or()?;
        self.expect(&Tok::Colon, ":")?;
        let otherwise = self.parse_expr()?;
        self.call("_?_:_", vec![cond, then, otherwise], q)
    }

    /// `||` chains (of `&&` chains) become balanced trees, as in cel-go.
    fn parse_or(&mut self) -> PResult<Expr> {
        let first = self.parse_and()?;
        if !self.at(&Tok::Or) {
            return Ok(first);
        }
        let mut terms = vec![first];
        let mut ops = Vec::new();
        while self.at(&Tok::Or) {
            ops.push(self.offset());
            self.pos += 1;
            terms.push(self.parse_and()?);
        }
        self.balanced("_||_", terms, &ops)
    }

    fn parse_and(&mut self) -> PResult<Expr> {
        let first = self.parse_binary(1)?;
        if !self.at(&Tok::And) {
            return Ok(first);
        }
        let mut terms = vec![first];
        let mut ops = Vec::new();
        while self.at(&Tok::And) {
            ops.push(self.offset());
            self.pos += 1;
            terms.push(self.parse_binary(1)?);
        }
        self.balanced("_&&_", terms, &ops)
    }

    fn balanced(&mut self, function: &str, terms: Vec<Expr>, ops: &[usize]) -> PResult<Expr> {
        let mut terms: Vec<Option<Expr>> = terms.into_iter().map(Some).collect();
        let hi = ops.len().saturating_sub(1);
        self.balance(function, &mut terms, ops, 0, hi)
    }

    fn balance(
        &mut self,
        function: &str,
        terms: &mut [Option<Expr>],
        ops: &[usize],
        lo: usize,
        hi: usize,
    ) -> PResult<Expr> {
        // INVARIANT: terms.len() == ops.len() + 1 and lo <= hi < ops.len();
        // each term is taken exactly once because the halves are disjoint.
        let mid = (lo + hi).div_ceil(2);
        let left = if mid == lo {
            take(terms, mid)?
        } else {
            self.balance(function, terms, ops, lo, mid - 1)?
        };
        let right = if mid == hi {
            take(terms, mid + 1)?
        } else {
            self.balance(function, terms, ops, mid + 1, hi)?
        };
        let off = ops.get(mid).copied().unwrap_or(0);
        self.call(function, vec![left, right], off)
    }

    /// Relations (1), `+ -` (2) and `* / %` (3) by precedence climbing; all
    /// left-associative.
    fn parse_binary(&mut self, min_prec: u8) -> PResult<Expr> {
        let mut lhs = self.parse_unary()?;
        loop {
            let (prec, name) = match self.peek() {
                Tok::EqEq | Tok::Ne | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge | Tok::In => {
                    (1, binop_name(self.peek()))
                }
                Tok::Plus | Tok::Minus => (2, binop_name(self.peek())),
                Tok::Star | Tok::Slash | Tok::Percent => (3, binop_name(self.peek())),
                _ => return Ok(lhs),
            };
            if prec < min_prec {
                return Ok(lhs);
            }
            let off = self.offset();
            self.pos += 1;
            let rhs = self.parse_binary(prec + 1)?;
            lhs = self.call(name.unwrap_or("_==_"), vec![lhs, rhs], off)?;
        }
    }

    fn parse_unary(&mut self) -> PResult<Expr> {
        let (op, function) = match self.peek() {
            Tok::Not => (Tok::Not, "!_"),
            Tok::Minus => {
                if matches!(self.peek_at(1), Tok::Int | Tok::Float) {
                    // `-` directly before a numeric literal is part of the
                    // literal (so -9223372036854775808 is valid).
                    return self.parse_member();
                }
                (Tok::Minus, "-_")
            }
            _ => return self.parse_member(),
        };
        let first = self.offset();
        let mut n = 0usize;
        while self.eat(&op) {
            n += 1;
        }
        if op == Tok::Not && self.at(&Tok::Eof) {
            // ANTLR's `(ops+='!')+` loop calls the missing operand extraneous.
            let message = format!("Syntax error: extraneous input '<EOF>' expecting {EXPR_START}");
            self.report(message, self.offset());
            return self.lit(Literal::Null, first);
        }
        if op == Tok::Minus && !starts_expression(self.peek()) {
            // ANTLR's prediction between a signed literal and negation fails.
            self.report(
                "Syntax error: no viable alternative at input '-'",
                self.offset(),
            );
        }
        let operand = self.parse_member()?;
        // cel-go drops pairs of `!` or `-`; with `--1` the loop takes both
        // signs greedily and the literal stays positive.
        if n % 2 == 0 {
            Ok(operand)
        } else {
            self.call(function, vec![operand], first)
        }
    }

    fn parse_field_name(&mut self) -> PResult<String> {
        match self.peek() {
            Tok::Ident => {
                let t = self.bump();
                Ok(self.text(&t).to_string())
            }
            Tok::EscIdent(name) if self.opts.enable_ident_escape => {
                let name = name.clone();
                self.pos += 1;
                Ok(name)
            }
            Tok::EscIdent(_) => Err(RawError {
                message: "unsupported syntax: '`'".to_string(),
                offset: self.offset(),
            }),
            _ => {
                let err = self.mismatched("{IDENTIFIER, ESC_IDENTIFIER}");
                let offset = err.offset;
                self.errors.push(err);
                // cel-go's visitor then meets the error node.
                Err(RawError {
                    message: "unsupported ident kind".to_string(),
                    offset,
                })
            }
        }
    }

    fn parse_member(&mut self) -> PResult<Expr> {
        let mut e = self.parse_primary()?;
        loop {
            e = match self.peek() {
                Tok::Dot => self.parse_dot_suffix(e)?,
                Tok::LBracket => self.parse_index_suffix(e)?,
                _ => return Ok(e),
            };
        }
    }

    fn parse_dot_suffix(&mut self, operand: Expr) -> PResult<Expr> {
        let dot = self.offset();
        self.pos += 1;
        if !matches!(self.peek(), Tok::Ident | Tok::EscIdent(_) | Tok::Question) {
            // ANTLR cannot choose between selection and member call:
            // reported, the `.` is dropped and parsing goes on.
            let text = match self.peek() {
                Tok::Eof => String::new(),
                _ => self.current_text(),
            };
            self.report(
                format!("Syntax error: no viable alternative at input '.{text}'"),
                dot,
            );
            // Like ANTLR's recovery, skip to a token that can follow an
            // operand.
            while !can_follow(&Tok::RParen, self.peek()) {
                self.pos += 1;
            }
            return Ok(operand);
        }
        let optional = self.eat(&Tok::Question);
        let field = self.parse_field_name()?;
        if !optional && self.at(&Tok::LParen) {
            let open = self.offset();
            self.pos += 1;
            let args = self.parse_args()?;
            return self.receiver_call_or_macro(operand, &field, args, open);
        }
        self.node(
            ExprKind::Select {
                operand: Box::new(operand),
                field,
                test_only: false,
                optional,
            },
            dot,
        )
    }

    fn parse_index_suffix(&mut self, operand: Expr) -> PResult<Expr> {
        let open = self.offset();
        self.pos += 1;
        let optional = self.eat(&Tok::Question);
        let index = self.parse_expr()?;
        self.expect(&Tok::RBracket, "]")?;
        let f = if optional { "_[?_]" } else { "_[_]" };
        self.call(f, vec![operand, index], open)
    }

    /// Call arguments up to `)` (no trailing comma).
    fn parse_args(&mut self) -> PResult<Vec<Expr>> {
        let mut args = Vec::new();
        if self.eat(&Tok::RParen) {
            return Ok(args);
        }
        if self.at(&Tok::Eof) {
            return Err(self.mismatched(EXPR_START_OR_CLOSE));
        }
        loop {
            args.push(self.parse_expr()?);
            // Arguments are their own grammar rule, so a missing `)` is
            // recovered like a single token (`missing ')' at …`).
            if !self.eat(&Tok::Comma) {
                self.expect(&Tok::RParen, ")")?;
                return Ok(args);
            }
        }
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let start = self.offset();
        match self.peek() {
            Tok::Dot if matches!(self.peek_at(1), Tok::Ident) => {
                self.pos += 1;
                self.parse_ident_like(true, start)
            }
            Tok::Ident => self.parse_ident_like(false, start),
            Tok::LParen => {
                self.pos += 1;
                let e = self.parse_expr()?;
                self.expect(&Tok::RParen, ")")?;
                Ok(e)
            }
            Tok::LBracket => {
                self.pos += 1;
                self.parse_list(start)
            }
            Tok::LBrace => {
                self.pos += 1;
                self.parse_map(start)
            }
            _ => self.parse_literal(start),
        }
    }

    fn parse_literal(&mut self, start: usize) -> PResult<Expr> {
        let lit = match self.peek() {
            Tok::Minus => {
                // Only reached for `-` followed by a numeric literal.
                self.pos += 1;
                return self.parse_number(true, start);
            }
            Tok::Int | Tok::Uint | Tok::Float => return self.parse_number(false, start),
            Tok::Str(s) => Literal::String(s.clone()),
            Tok::Bytes(b) => Literal::Bytes(b.clone()),
            Tok::True => Literal::Bool(true),
            Tok::False => Literal::Bool(false),
            Tok::Null => Literal::Null,
            _ => return Err(self.no_expression()),
        };
        self.pos += 1;
        self.lit(lit, start)
    }

    #[cold]
    fn no_expression(&self) -> RawError {
        RawError {
            message: if self.at(&Tok::Eof) {
                format!("Syntax error: mismatched input '<EOF>' expecting {EXPR_START}")
            } else {
                format!(
                    "Syntax error: extraneous input '{}' expecting {EXPR_START}",
                    self.current_text()
                )
            },
            offset: self.offset(),
        }
    }

    fn parse_number(&mut self, negative: bool, start: usize) -> PResult<Expr> {
        let t = self.bump();
        let text = self.text(&t);
        let sign = if negative { "-" } else { "" };
        let lit = match t.tok {
            Tok::Int => {
                let parsed = match text.strip_prefix("0x") {
                    Some(hex) => i64::from_str_radix(&format!("{sign}{hex}"), 16),
                    None => format!("{sign}{text}").parse::<i64>(),
                };
                match parsed {
                    Ok(v) => Literal::Int(v),
                    Err(_) => {
                        self.report("invalid int literal", start);
                        Literal::Int(0)
                    }
                }
            }
            Tok::Uint => {
                let body = text.get(..text.len().saturating_sub(1)).unwrap_or("");
                let parsed = match body.strip_prefix("0x") {
                    Some(hex) => u64::from_str_radix(hex, 16),
                    None => body.parse::<u64>(),
                };
                match parsed {
                    Ok(v) => Literal::Uint(v),
                    Err(_) => {
                        self.report("invalid uint literal", start);
                        Literal::Uint(0)
                    }
                }
            }
            _ => match format!("{sign}{text}").parse::<f64>() {
                // Go's ParseFloat rejects out-of-range values; Rust rounds
                // them to infinity, so reject those explicitly.
                Ok(v) if v.is_finite() => Literal::Double(v),
                _ => {
                    self.report("invalid double literal", start);
                    Literal::Double(0.0)
                }
            },
        };
        self.lit(lit, start)
    }

    /// Identifier, global call, or message construction; `leading_dot` when
    /// the name was written `.name`.
    fn parse_ident_like(&mut self, leading_dot: bool, start: usize) -> PResult<Expr> {
        // Look ahead for `a.b.C{`: a qualified name followed by a brace.
        let mut k = 1;
        while matches!(self.peek_at(k), Tok::Dot) && matches!(self.peek_at(k + 1), Tok::Ident) {
            k += 2;
        }
        if matches!(self.peek_at(k), Tok::LBrace) {
            let name = self.message_name(leading_dot, k);
            let brace = self.offset();
            self.pos += 1;
            return self.parse_message(name, brace);
        }
        let name = self.ident_name(leading_dot, start)?;
        if self.at(&Tok::LParen) {
            let open = self.offset();
            self.pos += 1;
            let args = self.parse_args()?;
            return self.global_call_or_macro(&name, args, open);
        }
        self.node(ExprKind::Ident(name), start)
    }

    fn message_name(&mut self, leading_dot: bool, tokens: usize) -> String {
        let mut name = String::new();
        if leading_dot {
            name.push('.');
        }
        for i in 0..tokens {
            let t = self.bump();
            if i % 2 == 0 {
                name.push_str(self.text(&t));
            } else {
                name.push('.');
            }
        }
        name
    }

    fn ident_name(&mut self, leading_dot: bool, start: usize) -> PResult<String> {
        let t = self.bump();
        let id = self.text(&t);
        if RESERVED.contains(&id) {
            return Err(RawError {
                message: format!("reserved identifier: {id}"),
                offset: start,
            });
        }
        Ok(if leading_dot {
            format!(".{id}")
        } else {
            id.to_string()
        })
    }

    fn skip_lone_comma(&mut self, close: &Tok) {
        // The grammar allows a lone trailing comma: `[,]` is an empty list.
        if matches!(self.peek(), Tok::Comma) && self.peek_at(1) == close {
            self.pos += 1;
        }
    }

    fn parse_message(&mut self, type_name: String, brace: usize) -> PResult<Expr> {
        let mut fields = Vec::new();
        self.skip_lone_comma(&Tok::RBrace);
        loop {
            if self.eat(&Tok::RBrace) {
                break;
            }
            let optional = self.eat(&Tok::Question);
            let field = self.parse_field_name()?;
            self.expect(&Tok::Colon, ":")?;
            let value = self.parse_expr()?;
            fields.push(StructField {
                field,
                value,
                optional,
            });
            if !self.separator(&Tok::RBrace, "}")? {
                break;
            }
        }
        self.node(ExprKind::Struct { type_name, fields }, brace)
    }

    fn parse_list(&mut self, start: usize) -> PResult<Expr> {
        let mut elements = Vec::new();
        let mut optional_indices = Vec::new();
        self.skip_lone_comma(&Tok::RBracket);
        loop {
            if self.eat(&Tok::RBracket) {
                break;
            }
            if self.eat(&Tok::Question) {
                optional_indices.push(u32::try_from(elements.len()).unwrap_or(u32::MAX));
            }
            elements.push(self.parse_expr()?);
            if !self.separator(&Tok::RBracket, "]")? {
                break;
            }
        }
        self.node(
            ExprKind::List {
                elements,
                optional_indices,
            },
            start,
        )
    }

    fn parse_map(&mut self, start: usize) -> PResult<Expr> {
        let mut entries = Vec::new();
        self.skip_lone_comma(&Tok::RBrace);
        loop {
            if self.eat(&Tok::RBrace) {
                break;
            }
            let optional = self.eat(&Tok::Question);
            let key = self.parse_expr()?;
            self.expect(&Tok::Colon, ":")?;
            let value = self.parse_expr()?;
            entries.push(MapEntry {
                key,
                value,
                optional,
            });
            if !self.separator(&Tok::RBrace, "}")? {
                break;
            }
        }
        self.node(ExprKind::Map { entries }, start)
    }
}

fn starts_expression(t: &Tok) -> bool {
    matches!(
        t,
        Tok::LBracket
            | Tok::LBrace
            | Tok::LParen
            | Tok::Dot
            | Tok::Minus
            | Tok::Not
            | Tok::True
            | Tok::False
            | Tok::Null
            | Tok::Int
            | Tok::Uint
            | Tok::Float
            | Tok::Str(_)
            | Tok::Bytes(_)
            | Tok::Ident
    )
}

/// Could `cur` come right after the (missing) token `expected`?
fn can_follow(expected: &Tok, cur: &Tok) -> bool {
    match expected {
        // After a closing bracket: whatever may follow an operand.
        Tok::RParen | Tok::RBracket | Tok::RBrace => {
            binop_name(cur).is_some()
                || matches!(
                    cur,
                    Tok::Eof
                        | Tok::Dot
                        | Tok::LBracket
                        | Tok::RParen
                        | Tok::RBracket
                        | Tok::RBrace
                        | Tok::Comma
                        | Tok::Colon
                        | Tok::Question
                        | Tok::And
                        | Tok::Or
                )
        }
        // After `:` comes an expression.
        Tok::Colon => starts_expression(cur),
        _ => false,
    }
}

fn take(terms: &mut [Option<Expr>], i: usize) -> PResult<Expr> {
    terms.get_mut(i).and_then(Option::take).ok_or(RawError {
        message: "internal error: unbalanced operator chain".to_string(),
        offset: 0,
    })
}

#[cfg(test)]
mod tests;
