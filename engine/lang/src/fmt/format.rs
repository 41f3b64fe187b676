//! hclwrite's formatting algorithm, re-implemented over our token stream.
//!
//! Formatting only ever changes the whitespace *between* tokens (each
//! token's `spaces_before`), in three passes over "lines" of tokens:
//!
//! 1. indentation: the first token of each line is indented by two spaces
//!    per open bracket level, tracked with a stack of per-line net bracket
//!    counts so that lopsided lines do not drift;
//! 2. spacing: inside a cell, whether one space separates two neighbouring
//!    tokens is decided by a pairwise rule ([`space_after`]);
//! 3. alignment: on runs of consecutive lines that have an "assign" cell
//!    (`= value` of a single-line attribute) the `=` signs are aligned, and
//!    on runs of lines that end with a trailing comment the comments are.

use unicode_segmentation::UnicodeSegmentation;

use super::token::{Token, TokenKind};

type Cell = std::ops::Range<usize>;

/// One line split into up to three cells (ranges of token indices).
#[derive(Debug, Clone, Default)]
struct Line {
    lead: Cell,
    assign: Option<Cell>,
    comment: Option<Cell>,
}

/// A line terminator: a newline token or a single-line comment (which
/// swallows its newline).
fn ends_line(t: &Token, src: &[u8]) -> bool {
    match t.kind {
        TokenKind::Newline => true,
        TokenKind::Comment => t.bytes(src).last() == Some(&b'\n'),
        _ => false,
    }
}

fn split_lines(toks: &[Token], src: &[u8]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut closed = false;
    for (i, t) in toks.iter().enumerate() {
        if t.kind == TokenKind::Eof {
            lines.push(Line {
                lead: start..i,
                ..Line::default()
            });
            closed = true;
            break;
        }
        if ends_line(t, src) {
            lines.push(Line {
                lead: start..i + 1,
                ..Line::default()
            });
            start = i + 1;
        }
    }
    if !closed {
        lines.push(Line {
            lead: start..toks.len(),
            ..Line::default()
        });
    }

    for line in &mut lines {
        if line.lead.is_empty() {
            continue;
        }
        let last = line.lead.end - 1;
        if line.lead.len() > 1 && toks[last].kind == TokenKind::Comment {
            line.comment = Some(last..line.lead.end);
            line.lead.end = last;
        }
        for i in line.lead.start + 1..line.lead.end {
            if toks[i].kind == TokenKind::Equal {
                let net: i32 = toks[i..line.lead.end]
                    .iter()
                    .map(|t| t.kind.bracket_change())
                    .sum();
                if net == 0 {
                    line.assign = Some(i..line.lead.end);
                    line.lead.end = i;
                }
                break;
            }
        }
    }
    lines
}

fn format_indent(lines: &[Line], toks: &mut [Token]) {
    let mut indents: Vec<i32> = Vec::with_capacity(10);
    for line in lines {
        if line.lead.is_empty() {
            continue;
        }
        let first = line.lead.start;
        if toks[first].kind == TokenKind::Newline {
            toks[first].spaces_before = 0;
            continue;
        }
        let mut net = 0;
        for t in &toks[line.lead.clone()] {
            net += t.kind.bracket_change();
            if t.kind == TokenKind::OHeredoc {
                break;
            }
        }
        if let Some(a) = &line.assign {
            net += toks[a.clone()]
                .iter()
                .map(|t| t.kind.bracket_change())
                .sum::<i32>();
        }
        if net > 0 {
            toks[first].spaces_before = 2 * indents.len();
            indents.push(net);
        } else {
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = indents.last_mut() else {
                    break;
                };
                if closed > *top {
                    closed -= *top;
                    indents.pop();
                } else if closed < *top {
                    *top -= closed;
                    closed = 0;
                } else {
                    indents.pop();
                    closed = 0;
                }
            }
            toks[first].spaces_before = 2 * indents.len();
        }
    }
}

/// Whether `subject` wants one space after it, given its neighbours.
fn space_after(subject: &Token, before: TokenKind, after: TokenKind, src: &[u8]) -> bool {
    use TokenKind as K;
    let s = subject.kind;
    if after == K::Newline || after == K::Nil {
        return false;
    }
    if s == K::Ident && after == K::OParen {
        return false;
    }
    if (s == K::Ident && after == K::DoubleColon) || (s == K::DoubleColon && after == K::Ident) {
        return false;
    }
    if s == K::Dot || after == K::Dot {
        return false;
    }
    if after == K::Comma || after == K::Ellipsis {
        return false;
    }
    if s == K::Comma {
        return true;
    }
    if matches!(s, K::QuotedLit | K::StringLit | K::OQuote | K::OHeredoc)
        || matches!(after, K::QuotedLit | K::StringLit | K::CQuote | K::CHeredoc)
    {
        return false;
    }
    if s == K::Ident && before == K::Ident && subject.bytes(src) == b"in" {
        return true;
    }
    if after == K::OBrack && (s == K::Ident || s == K::NumberLit || s.bracket_change() < 0) {
        return false;
    }
    if s == K::Bang {
        return false;
    }
    if s == K::Minus {
        return !matches!(
            before,
            K::Nil
                | K::OParen
                | K::OBrace
                | K::OBrack
                | K::Equal
                | K::Colon
                | K::Comma
                | K::Question
                | K::Plus
                | K::Star
                | K::Slash
                | K::Percent
                | K::Minus
                | K::EqualOp
                | K::NotEqual
                | K::GreaterThan
                | K::GreaterThanEq
                | K::LessThan
                | K::LessThanEq
                | K::And
                | K::Or
                | K::Bang
        );
    }
    if s == K::OBrace || after == K::CBrace {
        return !(s == K::OBrace && after == K::CBrace);
    }
    if matches!(s, K::TemplateInterp | K::TemplateControl) && after == K::OBrace {
        return true;
    }
    if s == K::CBrace && after == K::TemplateSeqEnd {
        return true;
    }
    if s == K::TemplateSeqEnd && matches!(after, K::TemplateInterp | K::TemplateControl) {
        return false;
    }
    if s.bracket_change() > 0 {
        return false;
    }
    if after.bracket_change() < 0 {
        return false;
    }
    true
}

fn space_cell(cell: Cell, toks: &mut [Token], src: &[u8]) {
    let (start, end) = (cell.start, cell.end);
    for i in start..end {
        if i + 1 >= end {
            continue;
        }
        let before = if i > start {
            toks[i - 1].kind
        } else {
            TokenKind::Nil
        };
        let after = toks[i + 1].kind;
        let sp = space_after(&toks[i], before, after, src);
        toks[i + 1].spaces_before = usize::from(sp);
    }
}

fn format_spaces(lines: &[Line], toks: &mut [Token], src: &[u8]) {
    for line in lines {
        space_cell(line.lead.clone(), toks, src);
        if let Some(a) = &line.assign {
            if let Some(t) = toks.get_mut(a.start) {
                t.spaces_before = 1;
            }
            space_cell(a.clone(), toks, src);
        }
    }
}

/// The number of display columns a token occupies: grapheme clusters, as
/// hclwrite counts them (so `\r\n` is one, and so is a flag emoji).
fn token_columns(bytes: &[u8]) -> usize {
    if bytes.is_ascii() {
        let crlf = bytes.windows(2).filter(|w| w == b"\r\n").count();
        return bytes.len() - crlf;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.graphemes(true).count(),
        Err(_) => String::from_utf8_lossy(bytes).graphemes(true).count(),
    }
}

fn columns(cell: Option<&Cell>, toks: &[Token], src: &[u8]) -> usize {
    match cell {
        None => 0,
        Some(c) => toks[c.clone()]
            .iter()
            .map(|t| t.spaces_before + token_columns(t.bytes(src)))
            .sum(),
    }
}

fn format_cells(lines: &[Line], toks: &mut [Token], src: &[u8]) {
    // Assignments first: moving them shifts the comments.
    let mut chain_start: Option<usize> = None;
    let mut max_cols = 0;
    for i in 0..=lines.len() {
        let has = lines.get(i).is_some_and(|l| l.assign.is_some());
        if has {
            chain_start.get_or_insert(i);
            max_cols = max_cols.max(columns(Some(&lines[i].lead), toks, src));
        } else if let Some(cs) = chain_start.take() {
            for line in &lines[cs..i] {
                let cols = columns(Some(&line.lead), toks, src);
                if let Some(a) = &line.assign {
                    toks[a.start].spaces_before = max_cols.saturating_sub(cols) + 1;
                }
            }
            max_cols = 0;
        }
    }

    let mut chain_start: Option<usize> = None;
    let mut max_cols = 0;
    let line_cols = |line: &Line, toks: &[Token]| {
        columns(Some(&line.lead), toks, src) + columns(line.assign.as_ref(), toks, src)
    };
    for i in 0..=lines.len() {
        let has = lines.get(i).is_some_and(|l| l.comment.is_some());
        if has {
            chain_start.get_or_insert(i);
            max_cols = max_cols.max(line_cols(&lines[i], toks));
        } else if let Some(cs) = chain_start.take() {
            for line in &lines[cs..i] {
                let cols = line_cols(line, toks);
                if let Some(c) = &line.comment {
                    toks[c.start].spaces_before = max_cols.saturating_sub(cols) + 1;
                }
            }
            max_cols = 0;
        }
    }
}

/// Rewrite the `spaces_before` of `toks` (as produced by
/// [`super::lexer::lex`] over `src`) into hclwrite's canonical layout.
pub fn format_tokens(toks: &mut [Token], src: &[u8]) {
    let lines = split_lines(toks, src);
    format_indent(&lines, toks);
    format_spaces(&lines, toks, src);
    format_cells(&lines, toks, src);
}

/// Print tokens with their spacing.
pub fn render(toks: &[Token], src: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(src.len() + src.len() / 8 + 16);
    for t in toks {
        out.resize(out.len() + t.spaces_before, b' ');
        out.extend_from_slice(t.bytes(src));
    }
    out
}
