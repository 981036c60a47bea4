//! Tokenizer for CEL source text, following the lexer rules of cel-spec's
//! `CEL.g4` (the grammar cel-go is generated from).

use super::RawError;

/// Token kinds. Literal payloads are decoded while lexing so the parser
/// never re-scans source text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident,
    /// Backquoted identifier (`` `a.b` ``); the payload is the name inside.
    EscIdent(String),
    Int,
    Uint,
    Float,
    Str(String),
    Bytes(Vec<u8>),
    In,
    True,
    False,
    Null,
    EqEq,
    Ne,
    Le,
    Ge,
    Lt,
    Gt,
    And,
    Or,
    Not,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Question,
    Colon,
    Dot,
    Comma,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Eof,
}

/// One token with its byte span in the source.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

/// Splits `src` into tokens, ending with [`Tok::Eof`], plus the lexical
/// errors met on the way.
///
/// Recovery follows ANTLR's lexer, which cel-go uses: an unrecognisable
/// token is reported as `token recognition error at: '<text>'` with the text
/// from the token start up to and including the character that failed, that
/// character is skipped and lexing resumes, so later errors are reported too.
pub(crate) fn lex(src: &str) -> (Vec<Token>, Vec<RawError>) {
    let mut lx = Lexer {
        src,
        b: src.as_bytes(),
        pos: 0,
        errors: Vec::new(),
    };
    let mut out = Vec::with_capacity(src.len() / 3 + 1);
    loop {
        lx.skip_trivia();
        let start = lx.pos;
        let Some(&c) = lx.b.get(lx.pos) else {
            out.push(Token {
                tok: Tok::Eof,
                start,
                end: start,
            });
            return (out, lx.errors);
        };
        match lx.token(c) {
            Ok(tok) => out.push(Token {
                tok,
                start,
                end: lx.pos,
            }),
            Err(LexFail(fail)) => lx.recover(start, fail),
        }
    }
}

/// Token text as ANTLR shows it in messages (line breaks and tabs escaped).
pub(crate) fn error_display(text: &str) -> String {
    text.replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t")
}

/// A token failed to lex at this byte offset (the offending character, or
/// the end of input).
pub(crate) struct LexFail(usize);

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    errors: Vec<RawError>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> Option<u8> {
        self.b.get(self.pos + k).copied()
    }

    fn skip_trivia(&mut self) {
        loop {
            match self.peek(0) {
                Some(b' ' | b'\t' | b'\r' | b'\n' | 0x0c) => self.pos += 1,
                Some(b'/') if self.peek(1) == Some(b'/') => {
                    while let Some(c) = self.peek(0) {
                        if c == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                _ => return,
            }
        }
    }

    fn char_end(&self, at: usize) -> usize {
        let mut end = (at + 1).min(self.src.len());
        while end < self.src.len() && !self.src.is_char_boundary(end) {
            end += 1;
        }
        end
    }

    /// Reports the failed token `start..=fail` and skips the failing char.
    fn recover(&mut self, start: usize, fail: usize) {
        let end = if fail >= self.src.len() {
            self.src.len()
        } else {
            self.char_end(fail)
        };
        let text = self.src.get(start..end).unwrap_or("");
        self.errors.push(RawError {
            message: format!(
                "Syntax error: token recognition error at: '{}'",
                error_display(text)
            ),
            offset: start,
        });
        self.pos = end.max(start + 1).min(self.src.len());
        while !self.src.is_char_boundary(self.pos) {
            self.pos += 1;
        }
    }

    fn token(&mut self, c: u8) -> Result<Tok, LexFail> {
        let start = self.pos;
        let two = |l: &Self, t: u8| l.peek(1) == Some(t);
        let (tok, len) = match c {
            b'=' if two(self, b'=') => (Tok::EqEq, 2),
            b'!' if two(self, b'=') => (Tok::Ne, 2),
            b'!' => (Tok::Not, 1),
            b'<' if two(self, b'=') => (Tok::Le, 2),
            b'<' => (Tok::Lt, 1),
            b'>' if two(self, b'=') => (Tok::Ge, 2),
            b'>' => (Tok::Gt, 1),
            b'&' if two(self, b'&') => (Tok::And, 2),
            b'|' if two(self, b'|') => (Tok::Or, 2),
            b'+' => (Tok::Plus, 1),
            b'-' => (Tok::Minus, 1),
            b'*' => (Tok::Star, 1),
            b'/' => (Tok::Slash, 1),
            b'%' => (Tok::Percent, 1),
            b'?' => (Tok::Question, 1),
            b':' => (Tok::Colon, 1),
            b',' => (Tok::Comma, 1),
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b'[' => (Tok::LBracket, 1),
            b']' => (Tok::RBracket, 1),
            b'{' => (Tok::LBrace, 1),
            b'}' => (Tok::RBrace, 1),
            b'.' if self.peek(1).is_some_and(|d| d.is_ascii_digit()) => return self.number(),
            b'.' => (Tok::Dot, 1),
            b'0'..=b'9' => return self.number(),
            b'"' | b'\'' => return self.string(false, false),
            b'`' => return self.esc_ident(),
            c if is_ident_start(c) => {
                // String prefixes: b, r, br (any case); `rb` is an identifier.
                let c1 = self.peek(1);
                let c2 = self.peek(2);
                let is_q = |x: Option<u8>| matches!(x, Some(b'"' | b'\''));
                match c {
                    b'b' | b'B' if is_q(c1) => {
                        self.pos += 1;
                        return self.string(true, false);
                    }
                    b'b' | b'B' if matches!(c1, Some(b'r' | b'R')) && is_q(c2) => {
                        self.pos += 2;
                        return self.string(true, true);
                    }
                    b'r' | b'R' if is_q(c1) => {
                        self.pos += 1;
                        return self.string(false, true);
                    }
                    _ => {}
                }
                let mut end = self.pos + 1;
                while self.b.get(end).copied().is_some_and(is_ident_char) {
                    end += 1;
                }
                let word = self.src.get(start..end).unwrap_or("");
                let tok = match word {
                    "in" => Tok::In,
                    "true" => Tok::True,
                    "false" => Tok::False,
                    "null" => Tok::Null,
                    _ => Tok::Ident,
                };
                (tok, end - start)
            }
            // `&`, `|` and `=` only start two-character tokens.
            b'&' | b'|' | b'=' => return Err(LexFail(start + 1)),
            _ => return Err(LexFail(start)),
        };
        self.pos += len;
        Ok(tok)
    }

    fn digits(&mut self, hex: bool) -> usize {
        let s = self.pos;
        while self.peek(0).is_some_and(|c| {
            if hex {
                c.is_ascii_hexdigit()
            } else {
                c.is_ascii_digit()
            }
        }) {
            self.pos += 1;
        }
        self.pos - s
    }

    /// Tries to consume an exponent; leaves the position unchanged if there is none.
    fn exponent(&mut self) -> bool {
        if !matches!(self.peek(0), Some(b'e' | b'E')) {
            return false;
        }
        let save = self.pos;
        self.pos += 1;
        if matches!(self.peek(0), Some(b'+' | b'-')) {
            self.pos += 1;
        }
        if self.digits(false) == 0 {
            self.pos = save;
            return false;
        }
        true
    }

    fn number(&mut self) -> Result<Tok, LexFail> {
        // Longest match among NUM_FLOAT, NUM_INT and NUM_UINT.
        if self.peek(0) == Some(b'0')
            && self.peek(1) == Some(b'x')
            && self.peek(2).is_some_and(|c| c.is_ascii_hexdigit())
        {
            self.pos += 2;
            self.digits(true);
            if matches!(self.peek(0), Some(b'u' | b'U')) {
                self.pos += 1;
                return Ok(Tok::Uint);
            }
            return Ok(Tok::Int);
        }
        if self.peek(0) == Some(b'.') {
            self.pos += 1;
            self.digits(false);
            self.exponent();
            return Ok(Tok::Float);
        }
        self.digits(false);
        let mut float = false;
        if self.peek(0) == Some(b'.') && self.peek(1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            self.digits(false);
            float = true;
        }
        if self.exponent() {
            float = true;
        }
        if float {
            return Ok(Tok::Float);
        }
        if matches!(self.peek(0), Some(b'u' | b'U')) {
            self.pos += 1;
            return Ok(Tok::Uint);
        }
        Ok(Tok::Int)
    }

    fn esc_ident(&mut self) -> Result<Tok, LexFail> {
        self.pos += 1;
        let body = self.pos;
        while self
            .peek(0)
            .is_some_and(|c| is_ident_char(c) || matches!(c, b'.' | b'-' | b'/' | b' '))
        {
            self.pos += 1;
        }
        if self.pos == body || self.peek(0) != Some(b'`') {
            return Err(LexFail(self.pos));
        }
        let name = self.src.get(body..self.pos).unwrap_or("").to_string();
        self.pos += 1;
        Ok(Tok::EscIdent(name))
    }

    /// Lexes a string or bytes literal; `self.pos` is at the opening quote.
    fn string(&mut self, bytes: bool, raw: bool) -> Result<Tok, LexFail> {
        let tok_start = self.pos - usize::from(bytes) - usize::from(raw);
        let q = self.peek(0).unwrap_or(b'"');
        let open = self.pos;
        let triple = self.peek(1) == Some(q) && self.peek(2) == Some(q);
        self.pos += if triple { 3 } else { 1 };
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(c) = self.peek(0) else {
                if triple {
                    // ANTLR falls back to the longest token it accepted: the
                    // empty literal `''`; lexing resumes at the third quote.
                    self.pos = open + 2;
                    return Ok(if bytes {
                        Tok::Bytes(Vec::new())
                    } else {
                        Tok::Str(String::new())
                    });
                }
                return Err(LexFail(self.pos));
            };
            if c == q {
                if !triple {
                    self.pos += 1;
                    break;
                }
                if self.peek(1) == Some(q) && self.peek(2) == Some(q) {
                    self.pos += 3;
                    break;
                }
            }
            if !triple && (c == b'\n' || c == b'\r') {
                return Err(LexFail(self.pos));
            }
            if c == b'\\' && !raw {
                match self.escape(bytes, &mut out) {
                    Ok(()) => {}
                    Err(EscapeError::Lexical(at)) => return Err(LexFail(at)),
                    Err(EscapeError::Invalid(message)) => {
                        // The token lexes; cel-go reports the bad escape and
                        // goes on.
                        self.errors.push(RawError {
                            message: message.to_string(),
                            offset: tok_start,
                        });
                        self.pos += 2;
                    }
                }
                continue;
            }
            self.pos += 1;
            // cel-go normalises CR LF and lone CR in literal text to LF.
            if c == b'\r' {
                if self.peek(0) != Some(b'\n') {
                    out.push(b'\n');
                }
                continue;
            }
            out.push(c);
        }
        if bytes {
            Ok(Tok::Bytes(out))
        } else {
            // Escapes in strings only ever produce whole UTF-8 sequences and
            // raw source bytes are valid UTF-8, so this cannot fail; map the
            // impossible case to an error rather than panicking.
            String::from_utf8(out)
                .map(Tok::Str)
                .map_err(|_| LexFail(tok_start))
        }
    }

    /// Decodes one escape sequence at `self.pos` (a backslash) into `out`,
    /// as cel-go's `unescape`: octal and `\x` escapes are single bytes in
    /// bytes literals and code points in strings; `\u`/`\U` are not
    /// allowed in bytes literals.
    fn escape(&mut self, bytes: bool, out: &mut Vec<u8>) -> Result<(), EscapeError> {
        let c = self.peek(1).ok_or(EscapeError::Lexical(self.pos + 1))?;
        let simple = match c {
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'v' => Some(0x0b),
            b'"' | b'\'' | b'\\' | b'?' | b'`' => Some(c),
            _ => None,
        };
        if let Some(v) = simple {
            out.push(v);
            self.pos += 2;
            return Ok(());
        }
        let hex_at = |l: &Self, n: usize| -> Result<u32, EscapeError> {
            let mut v = 0u32;
            for k in 0..n {
                let at = l.pos + 2 + k;
                let d =
                    l.b.get(at)
                        .and_then(|d| char::from(*d).to_digit(16))
                        .ok_or(EscapeError::Lexical(at))?;
                v = v.wrapping_mul(16).wrapping_add(d);
            }
            Ok(v)
        };
        let octal = |l: &Self, k: usize| {
            l.peek(k)
                .filter(|d| (b'0'..=b'7').contains(d))
                .ok_or(EscapeError::Lexical(l.pos + k))
        };
        let (value, len, is_byte) = match c {
            b'0'..=b'3' => {
                let d1 = octal(self, 2)?;
                let d2 = octal(self, 3)?;
                let v = u32::from(c - b'0') * 64 + u32::from(d1 - b'0') * 8 + u32::from(d2 - b'0');
                (v, 4, true)
            }
            b'x' | b'X' => (hex_at(self, 2)?, 4, true),
            b'u' => (hex_at(self, 4)?, 6, false),
            b'U' => (hex_at(self, 8)?, 10, false),
            _ => return Err(EscapeError::Lexical(self.pos + 1)),
        };
        if bytes && !is_byte {
            return Err(EscapeError::Invalid("unable to unescape string"));
        }
        if bytes {
            out.push(u8::try_from(value).map_err(|_| EscapeError::Lexical(self.pos))?);
        } else {
            // Surrogates and values beyond U+10FFFF are rejected here.
            let ch =
                char::from_u32(value).ok_or(EscapeError::Invalid("invalid unicode code point"))?;
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
        self.pos += len;
        Ok(())
    }
}

/// Why an escape sequence was rejected.
enum EscapeError {
    /// Not an escape sequence of the grammar: the token does not lex; the
    /// offset of the offending character.
    Lexical(usize),
    /// Lexes, but cel-go's unescaping rejects it.
    Invalid(&'static str),
}
