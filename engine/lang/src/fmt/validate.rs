//! A fast, conservative syntax check on the token stream.
//!
//! Parsing with hcl-edit costs about four times as much as lexing and
//! formatting together, yet nearly every file `kiln fmt` sees is valid and
//! uses a small part of the grammar. This recogniser accepts a subset of
//! HCL that is certainly valid (attributes, blocks, literals, references,
//! indexing, calls, operators, conditionals, tuples, objects, quoted
//! strings and heredocs with interpolations) and answers [`Verdict::Unsure`]
//! for anything else (for-expressions, splats, template directives, unusual
//! escapes or numbers, duplicate attributes, any error, ...). Only a
//! [`Verdict::Valid`] is trusted; `Unsure` falls back to the full parser.

use super::token::{Token, TokenKind as K};

/// The outcome of the fast check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The file is certainly a valid HCL body.
    Valid,
    /// Not decided here; ask the full parser.
    Unsure,
}

/// Deeply nested input is left to the full parser (hcl-edit stops at 64
/// levels; this counts at least as many).
const MAX_DEPTH: usize = 32;

/// Mark for "not decided": every parse function returns `Option<()>`.
type Step = Option<()>;

struct Parser<'a> {
    src: &'a [u8],
    /// Tokens with comments dropped; line comments become newlines.
    toks: Vec<(K, usize, usize)>,
    pos: usize,
    depth: usize,
}

/// Decide whether the token stream `toks` of `src` is certainly valid.
pub fn quick_check(src: &[u8], toks: &[Token]) -> Verdict {
    let mut stream = Vec::with_capacity(toks.len());
    for t in toks {
        match t.kind {
            K::Comment => {
                if t.bytes(src).last() == Some(&b'\n') {
                    stream.push((K::Newline, t.end - 1, t.end));
                }
            }
            k => stream.push((k, t.start, t.end)),
        }
    }
    let mut p = Parser {
        src,
        toks: stream,
        pos: 0,
        depth: 0,
    };
    match p.body(true) {
        Some(()) => Verdict::Valid,
        None => Verdict::Unsure,
    }
}

impl<'a> Parser<'a> {
    fn kind(&self) -> K {
        self.toks.get(self.pos).map_or(K::Eof, |t| t.0)
    }

    fn text(&self) -> &'a [u8] {
        match self.toks.get(self.pos) {
            Some(&(_, s, e)) => self.src.get(s..e).unwrap_or_default(),
            None => b"",
        }
    }

    fn bump(&mut self) {
        self.pos += 1;
    }

    /// The next kind, skipping newlines when they are insignificant.
    fn peek(&mut self, nl: bool) -> K {
        if !nl {
            while self.kind() == K::Newline {
                self.bump();
            }
        }
        self.kind()
    }

    fn expect(&mut self, k: K, nl: bool) -> Step {
        if self.peek(nl) == k {
            self.bump();
            Some(())
        } else {
            None
        }
    }

    fn enter(&mut self) -> Step {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn body(&mut self, top: bool) -> Step {
        let mut attrs: Vec<&'a [u8]> = Vec::new();
        let mut blocks: Vec<&'a [u8]> = Vec::new();
        loop {
            match self.kind() {
                K::Newline => self.bump(),
                K::Eof => return top.then_some(()),
                K::CBrace if !top => return Some(()),
                K::Ident => {
                    let name = self.text();
                    self.bump();
                    if self.kind() == K::Equal {
                        self.bump();
                        if attrs.contains(&name) || blocks.contains(&name) {
                            return None;
                        }
                        attrs.push(name);
                        self.expr(true)?;
                    } else {
                        if attrs.contains(&name) {
                            return None;
                        }
                        blocks.push(name);
                        self.block_rest()?;
                    }
                    // An item ends at a newline (or the end of the file).
                    match self.kind() {
                        K::Newline => self.bump(),
                        K::Eof if top => return Some(()),
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// Labels, then `{` NEWLINE body `}` or an empty `{}`.
    fn block_rest(&mut self) -> Step {
        loop {
            match self.kind() {
                K::Ident => self.bump(),
                K::OQuote => self.plain_string()?,
                K::OBrace => break,
                _ => return None,
            }
        }
        self.bump();
        self.enter()?;
        match self.kind() {
            K::CBrace => {}
            K::Newline => self.body(false)?,
            _ => return None,
        }
        self.expect(K::CBrace, true)?;
        self.leave();
        Some(())
    }

    /// A quoted string without interpolation (block labels, object keys).
    fn plain_string(&mut self) -> Step {
        self.bump();
        loop {
            match self.kind() {
                K::QuotedLit => {
                    check_escapes(self.text())?;
                    self.bump();
                }
                K::CQuote => {
                    self.bump();
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn expr(&mut self, nl: bool) -> Step {
        self.enter()?;
        self.binary(nl)?;
        if self.peek(nl) == K::Question {
            self.bump();
            self.expr(nl)?;
            self.expect(K::Colon, nl)?;
            self.expr(nl)?;
        }
        self.leave();
        Some(())
    }

    fn binary(&mut self, nl: bool) -> Step {
        self.unary(nl)?;
        while matches!(
            self.peek(nl),
            K::Plus
                | K::Minus
                | K::Star
                | K::Slash
                | K::Percent
                | K::EqualOp
                | K::NotEqual
                | K::LessThan
                | K::LessThanEq
                | K::GreaterThan
                | K::GreaterThanEq
                | K::And
                | K::Or
        ) {
            self.bump();
            self.unary(nl)?;
        }
        Some(())
    }

    fn unary(&mut self, nl: bool) -> Step {
        while matches!(self.peek(nl), K::Minus | K::Bang) {
            self.bump();
        }
        self.primary(nl)?;
        // Postfix traversals: `.name`, `[index]`.
        loop {
            match self.kind() {
                K::Dot => {
                    self.bump();
                    if self.kind() != K::Ident {
                        return None;
                    }
                    self.bump();
                }
                K::OBrack => {
                    self.bump();
                    if self.peek(false) == K::Star {
                        return None;
                    }
                    self.expr(false)?;
                    self.expect(K::CBrack, false)?;
                }
                _ => return Some(()),
            }
        }
    }

    fn primary(&mut self, nl: bool) -> Step {
        match self.peek(nl) {
            K::NumberLit => {
                check_number(self.text())?;
                self.bump();
            }
            K::Ident => {
                // Keywords in operand position are left to the full parser.
                if matches!(self.text(), b"for" | b"in" | b"if") {
                    return None;
                }
                self.bump();
                if self.kind() == K::OParen {
                    self.bump();
                    self.call_args()?;
                }
            }
            K::OQuote => self.template()?,
            K::OHeredoc => self.heredoc()?,
            K::OParen => {
                self.bump();
                self.expr(false)?;
                self.expect(K::CParen, false)?;
            }
            K::OBrack => self.tuple()?,
            K::OBrace => self.object()?,
            _ => return None,
        }
        Some(())
    }

    fn call_args(&mut self) -> Step {
        if self.peek(false) == K::CParen {
            self.bump();
            return Some(());
        }
        loop {
            self.expr(false)?;
            match self.peek(false) {
                K::Comma => {
                    self.bump();
                    // A trailing comma is left to the full parser.
                    if self.peek(false) == K::CParen {
                        return None;
                    }
                }
                K::CParen => {
                    self.bump();
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn tuple(&mut self) -> Step {
        self.bump();
        if self.peek(false) == K::Ident && self.text() == b"for" {
            return None;
        }
        loop {
            if self.peek(false) == K::CBrack {
                self.bump();
                return Some(());
            }
            self.expr(false)?;
            match self.peek(false) {
                K::Comma => self.bump(),
                K::CBrack => {
                    self.bump();
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn object(&mut self) -> Step {
        self.bump();
        self.enter()?;
        if self.peek(false) == K::Ident && self.text() == b"for" {
            return None;
        }
        loop {
            match self.peek(false) {
                K::CBrace => {
                    self.bump();
                    self.leave();
                    return Some(());
                }
                K::Ident => self.bump(),
                K::OQuote => self.plain_string()?,
                _ => return None,
            }
            match self.kind() {
                K::Equal | K::Colon => self.bump(),
                _ => return None,
            }
            self.expr(true)?;
            match self.kind() {
                K::Comma => {
                    self.bump();
                    if self.kind() == K::Comma {
                        return None;
                    }
                }
                K::Newline => self.bump(),
                K::CBrace => {}
                _ => return None,
            }
        }
    }

    fn interpolation(&mut self) -> Step {
        // `${` or `${~` already current.
        self.bump();
        self.expr(false)?;
        self.expect(K::TemplateSeqEnd, false)
    }

    fn template(&mut self) -> Step {
        self.bump();
        loop {
            match self.kind() {
                K::QuotedLit => {
                    check_escapes(self.text())?;
                    self.bump();
                }
                K::TemplateInterp => self.interpolation()?,
                K::CQuote => {
                    self.bump();
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn heredoc(&mut self) -> Step {
        self.bump();
        loop {
            match self.kind() {
                K::StringLit => self.bump(),
                K::TemplateInterp => self.interpolation()?,
                K::CHeredoc => {
                    self.bump();
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// Backslash escapes HCL certainly accepts: `\n \r \t \" \\`; anything
/// else (including `\u`, which needs a value check) is left undecided.
fn check_escapes(lit: &[u8]) -> Step {
    let mut i = 0;
    while i < lit.len() {
        if lit[i] == b'\\' {
            match lit.get(i + 1) {
                Some(b'n' | b'r' | b't' | b'"' | b'\\') => i += 2,
                _ => return None,
            }
        } else {
            i += 1;
        }
    }
    Some(())
}

/// Plain decimal numbers: `123`, `1.5`, `1e9`, `2.5E-3`.
fn check_number(n: &[u8]) -> Step {
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    let (mantissa, exp) = match n.iter().position(|&c| c == b'e' || c == b'E') {
        Some(i) => (&n[..i], Some(&n[i + 1..])),
        None => (n, None),
    };
    let ok_mantissa = match mantissa.iter().position(|&c| c == b'.') {
        Some(i) => digits(&mantissa[..i]) && digits(&mantissa[i + 1..]),
        None => digits(mantissa),
    };
    let ok_exp = match exp {
        None => true,
        Some(e) => digits(e.strip_prefix(b"+").or(e.strip_prefix(b"-")).unwrap_or(e)),
    };
    (ok_mantissa && ok_exp).then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmt::lexer::lex;

    fn verdict(src: &str) -> Verdict {
        quick_check(src.as_bytes(), &lex(src.as_bytes()))
    }

    #[test]
    fn accepts_common_templates() {
        for src in [
            "",
            "# only a comment",
            "a = 1\n",
            "a = 1",
            "source \"amazon-ebs\" \"x\" {\n  ami = var.a[0].b # c\n  tags = {\n    Name = \"x-${local.t}\"\n    \"k\" : 1,\n  }\n}\n",
            "build {\n  sources = [\"a\", \"b\",]\n  provisioner \"shell\" {\n    inline = [\n      \"echo\", // c\n    ]\n  }\n}\n",
            "x = a ? -1 : f(b, c) * (2 + 3) >= 4 && !d\n",
            "x = <<EOT\nhello ${name}\nEOT\n",
            "b {}\n",
            "x = \"\\\"quoted\\\" \\\\ $${lit} %%{lit}\"\n",
        ] {
            assert_eq!(verdict(src), Verdict::Valid, "{src}");
        }
    }

    #[test]
    fn leaves_the_rest_to_the_full_parser() {
        for src in [
            "a = 1\na = 2\n",
            "a = [for x in y : x]\n",
            "a = b[*].c\n",
            "a = \"%{if b}c%{endif}\"\n",
            "a = f(b,)\n",
            "a = f(b...)\n",
            "a = \"\\q\"\n",
            "a = 1..2\n",
            "a { b = 1 }\n",
            "a = {\n",
            "a = 1 b = 2\n",
            "a = b.0\n",
            "a = 1 +\n2\n",
            "x = { a = 1 b = 2 }\n",
            "\"a\" = 1\n",
            "a = \"${}\"\n",
        ] {
            assert_eq!(verdict(src), Verdict::Unsure, "{src}");
        }
    }
}
