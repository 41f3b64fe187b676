//! An HCL native-syntax scanner that produces the same token stream as
//! hclsyntax's Ragel scanner (`scan_tokens.rl`), including the template
//! (quoted string and heredoc) sub-scanners, because hclwrite's formatter is
//! defined in terms of those tokens.
//!
//! The scanner is a small state machine with a mode stack: `Main` is the
//! expression/body scanner, `Quoted` scans the inside of `"..."` and
//! `Heredoc` the body of a `<<EOT` heredoc. Template sequences (`${`, `%{`)
//! push `Main` and the matching `}` pops it again, exactly like the
//! `fcall`/`fret` pairs of the original.

use super::token::{Token, TokenKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Main,
    Quoted,
    Heredoc,
}

#[derive(Debug, Clone)]
struct HeredocState {
    marker: std::ops::Range<usize>,
    start_of_line: bool,
}

/// Tokenise `src` the way hclsyntax's `LexConfig` does and return the
/// tokens, the last one always being [`TokenKind::Eof`]. Each token's
/// `spaces_before` is the number of bytes skipped since the previous token
/// (a leading UTF-8 byte order mark counts as skipped bytes).
pub fn lex(src: &[u8]) -> Vec<Token> {
    let mut lx = Lexer {
        src,
        pos: 0,
        toks: Vec::with_capacity(src.len() / 3 + 4),
        modes: vec![Mode::Main],
        braces: 0,
        ret_braces: Vec::new(),
        heredocs: Vec::new(),
        next_block_close: None,
    };
    if src.starts_with(&[0xEF, 0xBB, 0xBF]) {
        lx.pos = 3;
    }
    lx.run();
    let n = src.len();
    lx.toks.push(Token {
        kind: TokenKind::Eof,
        start: n,
        end: n,
        spaces_before: 0,
    });
    let mut last_end = 0;
    for t in &mut lx.toks {
        t.spaces_before = t.start.saturating_sub(last_end);
        last_end = t.end;
    }
    lx.toks
}

struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    toks: Vec<Token>,
    modes: Vec<Mode>,
    braces: i64,
    ret_braces: Vec<i64>,
    heredocs: Vec<HeredocState>,
    /// Cache of the last `*/` search: (searched from, found at). Searches
    /// only move forward, so unterminated `/*` runs stay linear.
    next_block_close: Option<(usize, Option<usize>)>,
}

/// Decode one UTF-8 character at `i`; `None` for a malformed sequence.
fn decode_at(src: &[u8], i: usize) -> Option<(char, usize)> {
    let b = *src.get(i)?;
    let len = match b {
        0x00..=0x7F => return Some((b as char, 1)),
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => return None,
    };
    let chunk = src.get(i..i + len)?;
    let s = std::str::from_utf8(chunk).ok()?;
    s.chars().next().map(|c| (c, len))
}

fn is_ident_start(c: char) -> bool {
    c == '_' || unicode_ident::is_xid_start(c)
}

fn is_ident_continue(c: char) -> bool {
    c == '-' || unicode_ident::is_xid_continue(c)
}

impl<'a> Lexer<'a> {
    fn at(&self, i: usize) -> Option<u8> {
        self.src.get(i).copied()
    }

    fn emit(&mut self, kind: TokenKind, start: usize, end: usize) {
        self.toks.push(Token {
            kind,
            start,
            end,
            spaces_before: 0,
        });
        self.pos = end;
    }

    fn mode(&self) -> Mode {
        self.modes.last().copied().unwrap_or(Mode::Main)
    }

    fn push_mode(&mut self, m: Mode) {
        self.modes.push(m);
    }

    fn pop_mode(&mut self) {
        if self.modes.len() > 1 {
            self.modes.pop();
        }
    }

    fn run(&mut self) {
        while self.pos < self.src.len() {
            let keep_going = match self.mode() {
                Mode::Main => self.step_main(),
                Mode::Quoted => self.step_quoted(),
                Mode::Heredoc => self.step_heredoc(),
            };
            if !keep_going {
                break;
            }
        }
    }

    /// The end of an identifier starting at `i` (which must be an
    /// identifier start), or `None`.
    fn ident_end(&self, i: usize) -> Option<usize> {
        let (c, l) = decode_at(self.src, i)?;
        if !is_ident_start(c) {
            return None;
        }
        let mut q = i + l;
        while let Some((c, l)) = decode_at(self.src, q) {
            if !is_ident_continue(c) {
                break;
            }
            q += l;
        }
        Some(q)
    }

    fn number_end(&self, p: usize) -> usize {
        let src = self.src;
        let n = src.len();
        let mut q = p + 1;
        let mut end = q;
        while q < n {
            let c = src[q];
            if c.is_ascii_digit() {
                q += 1;
                end = q;
            } else if c == b'.' {
                q += 1;
            } else if c == b'e' || c == b'E' {
                let mut r = q + 1;
                if matches!(self.at(r), Some(b'+') | Some(b'-')) {
                    r += 1;
                }
                if self.at(r).is_some_and(|d| d.is_ascii_digit()) {
                    q = r + 1;
                    end = q;
                } else {
                    break;
                }
            } else {
                break;
            }
        }
        end
    }

    /// `<<` `-`? Ident Newline, returning (end, marker range).
    fn heredoc_intro(&self, p: usize) -> Option<(usize, std::ops::Range<usize>)> {
        let mut q = p + 2;
        if self.at(q) == Some(b'-') {
            q += 1;
        }
        let id_start = q;
        let id_end = self.ident_end(q)?;
        match (self.at(id_end), self.at(id_end + 1)) {
            (Some(b'\n'), _) => Some((id_end + 1, id_start..id_end)),
            (Some(b'\r'), Some(b'\n')) => Some((id_end + 2, id_start..id_end)),
            _ => None,
        }
    }

    fn open_sequence(&mut self, kind: TokenKind, p: usize) {
        let len = if self.at(p + 2) == Some(b'~') { 3 } else { 2 };
        self.emit(kind, p, p + len);
        self.braces += 1;
        self.ret_braces.push(self.braces);
        if let Some(h) = self.heredocs.last_mut() {
            h.start_of_line = false;
        }
        self.push_mode(Mode::Main);
    }

    fn step_main(&mut self) -> bool {
        let p = self.pos;
        let src = self.src;
        let b = src[p];
        let next = self.at(p + 1);
        use TokenKind as K;
        match b {
            b' ' | b'\t' => {
                let mut q = p + 1;
                while matches!(self.at(q), Some(b' ') | Some(b'\t')) {
                    q += 1;
                }
                self.pos = q;
            }
            b'0'..=b'9' => {
                let end = self.number_end(p);
                self.emit(K::NumberLit, p, end);
            }
            b'#' => self.line_comment(p),
            b'/' => match next {
                Some(b'/') => self.line_comment(p),
                Some(b'*') => match self.block_close(p + 2) {
                    Some(i) => self.emit(K::Comment, p, i + 2),
                    None => self.emit(K::Slash, p, p + 1),
                },
                _ => self.emit(K::Slash, p, p + 1),
            },
            b'\n' => self.emit(K::Newline, p, p + 1),
            b'\r' => {
                if next == Some(b'\n') {
                    self.emit(K::Newline, p, p + 2)
                } else {
                    self.emit(K::Invalid, p, p + 1)
                }
            }
            b'=' => match next {
                Some(b'=') => self.emit(K::EqualOp, p, p + 2),
                Some(b'>') => self.emit(K::FatArrow, p, p + 2),
                _ => self.emit(K::Equal, p, p + 1),
            },
            b'!' => match next {
                Some(b'=') => self.emit(K::NotEqual, p, p + 2),
                _ => self.emit(K::Bang, p, p + 1),
            },
            b'>' => match next {
                Some(b'=') => self.emit(K::GreaterThanEq, p, p + 2),
                _ => self.emit(K::GreaterThan, p, p + 1),
            },
            b'<' => {
                if next == Some(b'<') {
                    if let Some((end, marker)) = self.heredoc_intro(p) {
                        self.emit(K::OHeredoc, p, end);
                        self.heredocs.push(HeredocState {
                            marker,
                            start_of_line: true,
                        });
                        self.push_mode(Mode::Heredoc);
                        return true;
                    }
                }
                match next {
                    Some(b'=') => self.emit(K::LessThanEq, p, p + 2),
                    _ => self.emit(K::LessThan, p, p + 1),
                }
            }
            b'&' => match next {
                Some(b'&') => self.emit(K::And, p, p + 2),
                _ => self.emit(K::BitwiseAnd, p, p + 1),
            },
            b'|' => match next {
                Some(b'|') => self.emit(K::Or, p, p + 2),
                _ => self.emit(K::BitwiseOr, p, p + 1),
            },
            b':' => match next {
                Some(b':') => self.emit(K::DoubleColon, p, p + 2),
                _ => self.emit(K::Colon, p, p + 1),
            },
            b'.' => {
                if next == Some(b'.') && self.at(p + 2) == Some(b'.') {
                    self.emit(K::Ellipsis, p, p + 3)
                } else {
                    self.emit(K::Dot, p, p + 1)
                }
            }
            b'[' => self.emit(K::OBrack, p, p + 1),
            b']' => self.emit(K::CBrack, p, p + 1),
            b'(' => self.emit(K::OParen, p, p + 1),
            b')' => self.emit(K::CParen, p, p + 1),
            b',' => self.emit(K::Comma, p, p + 1),
            b'*' => self.emit(K::Star, p, p + 1),
            b'%' => self.emit(K::Percent, p, p + 1),
            b'+' => self.emit(K::Plus, p, p + 1),
            b'-' => self.emit(K::Minus, p, p + 1),
            b'?' => self.emit(K::Question, p, p + 1),
            b'^' => self.emit(K::BitwiseXor, p, p + 1),
            b';' => self.emit(K::Semicolon, p, p + 1),
            b'`' => self.emit(K::Backtick, p, p + 1),
            b'\'' => self.emit(K::Apostrophe, p, p + 1),
            b'~' => {
                if next == Some(b'}') {
                    self.emit(K::TemplateSeqEnd, p, p + 2);
                    if self.ret_braces.last() == Some(&self.braces) {
                        self.braces -= 1;
                        self.ret_braces.pop();
                        self.pop_mode();
                    } else {
                        self.braces -= 1;
                    }
                } else {
                    self.emit(K::BitwiseNot, p, p + 1)
                }
            }
            b'{' => {
                self.emit(K::OBrace, p, p + 1);
                self.braces += 1;
            }
            b'}' => {
                if self.ret_braces.last() == Some(&self.braces) {
                    self.emit(K::TemplateSeqEnd, p, p + 1);
                    self.braces -= 1;
                    self.ret_braces.pop();
                    self.pop_mode();
                } else {
                    self.emit(K::CBrace, p, p + 1);
                    self.braces -= 1;
                }
            }
            b'"' => {
                self.emit(K::OQuote, p, p + 1);
                self.push_mode(Mode::Quoted);
            }
            _ => match decode_at(src, p) {
                None => self.emit(K::BadUtf8, p, p + 1),
                Some((c, l)) => {
                    if is_ident_start(c) {
                        let end = self.ident_end(p).unwrap_or(p + l);
                        self.emit(K::Ident, p, end);
                    } else {
                        self.emit(K::Invalid, p, p + l);
                    }
                }
            },
        }
        true
    }

    /// The offset of the first `*/` at or after `from`.
    fn block_close(&mut self, from: usize) -> Option<usize> {
        if let Some((searched_from, found)) = self.next_block_close {
            if searched_from <= from {
                match found {
                    None => return None,
                    Some(at) if at >= from => return Some(at),
                    Some(_) => {}
                }
            }
        }
        let found = find(&self.src[from..], b"*/").map(|i| from + i);
        self.next_block_close = Some((from, found));
        found
    }

    fn line_comment(&mut self, p: usize) {
        let end = match memchr(b'\n', &self.src[p..]) {
            Some(i) => p + i + 1,
            None => self.src.len(),
        };
        self.emit(TokenKind::Comment, p, end);
    }

    /// `$${`, `$${~`, `%%{`, `%%{~` (escaped sequence introducers) or a lone
    /// `$`/`%`: the length of the literal piece starting at `p`, or `None`
    /// when the introducer is the last byte of the input.
    fn escape_piece(&self, p: usize, sigil: u8) -> Option<usize> {
        match (self.at(p + 1), self.at(p + 2)) {
            (Some(s), Some(b'{')) if s == sigil => {
                Some(if self.at(p + 3) == Some(b'~') { 4 } else { 3 })
            }
            (Some(_), _) => Some(1),
            (None, _) => None,
        }
    }

    fn step_quoted(&mut self) -> bool {
        use TokenKind as K;
        let p = self.pos;
        let src = self.src;
        let b = src[p];
        match b {
            b'$' | b'%' => {
                if self.at(p + 1) == Some(b'{') {
                    let kind = if b == b'$' {
                        K::TemplateInterp
                    } else {
                        K::TemplateControl
                    };
                    self.open_sequence(kind, p);
                } else {
                    match self.escape_piece(p, b) {
                        Some(l) => self.emit(K::QuotedLit, p, p + l),
                        None => self.emit(K::Invalid, p, p + 1),
                    }
                }
            }
            b'"' => {
                self.emit(K::CQuote, p, p + 1);
                self.pop_mode();
            }
            b'\r' | b'\n' => {
                let mut q = p + 1;
                while matches!(self.at(q), Some(b'\r') | Some(b'\n')) {
                    q += 1;
                }
                self.emit(K::QuotedNewline, p, q);
            }
            _ => {
                let mut q = p;
                loop {
                    match self.at(q) {
                        None | Some(b'$') | Some(b'%') | Some(b'"') | Some(b'\r') | Some(b'\n') => {
                            break
                        }
                        Some(b'\\') => match self.at(q + 1) {
                            None | Some(b'\r') | Some(b'\n') => break,
                            Some(_) => match decode_at(src, q + 1) {
                                Some((_, l)) => q += 1 + l,
                                None => break,
                            },
                        },
                        Some(_) => match decode_at(src, q) {
                            Some((_, l)) => q += l,
                            None => break,
                        },
                    }
                }
                if q > p {
                    self.emit(K::QuotedLit, p, q);
                } else {
                    match decode_at(src, p) {
                        None => self.emit(K::BadUtf8, p, p + 1),
                        Some((_, l)) => self.emit(K::Invalid, p, p + l),
                    }
                }
            }
        }
        true
    }

    fn step_heredoc(&mut self) -> bool {
        use TokenKind as K;
        let p = self.pos;
        let src = self.src;
        let b = src[p];
        if (b == b'$' || b == b'%') && self.at(p + 1) == Some(b'{') {
            let kind = if b == b'$' {
                K::TemplateInterp
            } else {
                K::TemplateControl
            };
            self.open_sequence(kind, p);
            return true;
        }
        let lit_end = if b == b'$' || b == b'%' {
            match self.escape_piece(p, b) {
                Some(l) => p + l,
                None => {
                    // Nothing can match a trailing lone introducer: the
                    // original scanner gives up and marks the rest invalid.
                    self.emit(K::Invalid, p, src.len());
                    return false;
                }
            }
        } else {
            let mut q = p;
            loop {
                match self.at(q) {
                    None | Some(b'$') | Some(b'%') | Some(b'\r') | Some(b'\n') => break,
                    Some(_) => match decode_at(src, q) {
                        Some((_, l)) => q += l,
                        None => break,
                    },
                }
            }
            q
        };
        // A literal (possibly empty) followed by an end of line.
        let eol_len = match (self.at(lit_end), self.at(lit_end + 1)) {
            (Some(b'\n'), _) => 1,
            (Some(b'\r'), Some(b'\n')) => 2,
            _ => 0,
        };
        let single_piece = b == b'$' || b == b'%';
        if eol_len > 0 && !(single_piece && lit_end == p + 1) {
            let end = lit_end + eol_len;
            if let Some(top) = self.heredocs.last_mut() {
                if top.start_of_line {
                    let marker = &src[top.marker.clone()];
                    if trim_space(&src[p..end]) == marker {
                        let nl_start = lit_end;
                        self.emit(K::CHeredoc, p, nl_start);
                        self.emit(K::Newline, nl_start, end);
                        self.heredocs.pop();
                        self.pop_mode();
                        return true;
                    }
                }
                top.start_of_line = true;
            }
            self.emit(K::StringLit, p, end);
            return true;
        }
        if lit_end > p {
            if let Some(top) = self.heredocs.last_mut() {
                top.start_of_line = false;
            }
            self.emit(K::StringLit, p, lit_end);
            return true;
        }
        match decode_at(src, p) {
            None => {
                self.emit(K::BadUtf8, p, p + 1);
                true
            }
            Some(_) => {
                // A lone carriage return: no heredoc rule matches it.
                self.emit(K::Invalid, p, src.len());
                false
            }
        }
    }
}

/// Trim leading and trailing whitespace (as Go's `bytes.TrimSpace`).
fn trim_space(b: &[u8]) -> &[u8] {
    match std::str::from_utf8(b) {
        Ok(s) => s.trim_matches(char::is_whitespace).as_bytes(),
        Err(_) => {
            let is_ws = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C);
            let start = b.iter().position(|c| !is_ws(c)).unwrap_or(b.len());
            let end = b.iter().rposition(|c| !is_ws(c)).map_or(start, |i| i + 1);
            &b[start..end]
        }
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokenKind as K;

    fn kinds(src: &str) -> Vec<(K, String)> {
        lex(src.as_bytes())
            .into_iter()
            .map(|t| {
                (
                    t.kind,
                    String::from_utf8_lossy(t.bytes(src.as_bytes())).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn operators_and_numbers() {
        let k: Vec<K> = kinds("a == 1.5e+3 ... => != <= >= && || :: -1.")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            k,
            vec![
                K::Ident,
                K::EqualOp,
                K::NumberLit,
                K::Ellipsis,
                K::FatArrow,
                K::NotEqual,
                K::LessThanEq,
                K::GreaterThanEq,
                K::And,
                K::Or,
                K::DoubleColon,
                K::Minus,
                K::NumberLit,
                K::Dot,
                K::Eof
            ]
        );
    }

    #[test]
    fn templates_and_sequences() {
        let t = kinds(r#"a = "x ${ b } $${c} %{~ if d ~}e""#);
        let k: Vec<K> = t.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            k,
            vec![
                K::Ident,
                K::Equal,
                K::OQuote,
                K::QuotedLit,
                K::TemplateInterp,
                K::Ident,
                K::TemplateSeqEnd,
                K::QuotedLit,
                K::QuotedLit,
                K::QuotedLit,
                K::TemplateControl,
                K::Ident,
                K::Ident,
                K::TemplateSeqEnd,
                K::QuotedLit,
                K::CQuote,
                K::Eof
            ]
        );
        assert_eq!(t[8].1, "$${");
        assert_eq!(t[10].1, "%{~");
        assert_eq!(t[13].1, "~}");
    }

    #[test]
    fn heredoc_tokens() {
        let t = kinds("a = <<-EOT\n  x ${y}\n  EOT\nb = 1\n");
        let k: Vec<K> = t.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            k,
            vec![
                K::Ident,
                K::Equal,
                K::OHeredoc,
                K::StringLit,
                K::TemplateInterp,
                K::Ident,
                K::TemplateSeqEnd,
                K::StringLit,
                K::CHeredoc,
                K::Newline,
                K::Ident,
                K::Equal,
                K::NumberLit,
                K::Newline,
                K::Eof
            ]
        );
        assert_eq!(t[8].1, "  EOT");
    }

    #[test]
    fn comments_keep_their_newline() {
        let t = kinds("# a\r\n// b\n/* c\n */x");
        assert_eq!(t[0], (K::Comment, "# a\r\n".to_string()));
        assert_eq!(t[1], (K::Comment, "// b\n".to_string()));
        assert_eq!(t[2], (K::Comment, "/* c\n */".to_string()));
        assert_eq!(t[3].0, K::Ident);
    }

    #[test]
    fn spaces_before_and_bom() {
        let toks = lex("\u{feff}a  =\t1  ".as_bytes());
        let sp: Vec<usize> = toks.iter().map(|t| t.spaces_before).collect();
        assert_eq!(sp, vec![3, 2, 1, 2]);
    }

    #[test]
    fn unterminated_block_comments_stay_linear() {
        let src = "/*a".repeat(200_000);
        let t = std::time::Instant::now();
        let toks = lex(src.as_bytes());
        assert_eq!(toks.len(), 600_001);
        assert_eq!((toks[0].kind, toks[1].kind), (K::Slash, K::Star));
        assert!(t.elapsed().as_secs() < 10);
        let toks = lex(b"/* a /* b */ c /* d */");
        assert_eq!(toks[0].kind, K::Comment);
        assert_eq!((toks[0].start, toks[0].end), (0, 12));
        assert_eq!(toks[2].kind, K::Comment);
    }

    #[test]
    fn never_panics_on_odd_bytes() {
        for src in [
            &b"\"abc"[..],
            b"<<EOT\nx",
            b"${",
            b"}}}~}",
            b"a = \"\\",
            b"x = <<EOT\n$",
            b"x = <<EOT\n\ra",
            b"\xff\xfe = 1",
            b"\"\xc3\"",
        ] {
            let toks = lex(src);
            assert_eq!(toks.last().map(|t| t.kind), Some(K::Eof));
            let mut prev = 0;
            for t in &toks {
                assert!(t.start >= prev && t.end >= t.start && t.end <= src.len());
                prev = t.end;
            }
        }
    }
}
