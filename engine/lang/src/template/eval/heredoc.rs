//! Indentation stripping for `<<-` heredocs, following HCL: the smallest
//! leading whitespace of all lines (directive bodies included; blank lines
//! ignored; an interpolation or directive at the start of a line counts as
//! no whitespace) is removed from every line.
//!
//! `hcl-edit` dedents only the heredoc's top-level literals, so the
//! literal texts are recomputed here from the source text (literal spans
//! point at the raw, still indented text).

use std::collections::HashMap;

use hcl_edit::template::{Directive, Element, Template};
use hcl_edit::{Span, Spanned};

/// One token of the heredoc's flat token stream.
enum Tok<'a> {
    Lit(&'a Spanned<String>),
    /// An interpolation or directive tag.
    Other,
}

fn flatten<'a>(tpl: &'a Template, out: &mut Vec<Tok<'a>>) {
    for el in tpl.iter() {
        match el {
            Element::Literal(l) => out.push(Tok::Lit(l)),
            Element::Interpolation(_) => out.push(Tok::Other),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => {
                    out.push(Tok::Other);
                    flatten(&d.if_expr.template, out);
                    if let Some(e) = &d.else_expr {
                        out.push(Tok::Other);
                        flatten(&e.template, out);
                    }
                    out.push(Tok::Other);
                }
                Directive::For(d) => {
                    out.push(Tok::Other);
                    flatten(&d.for_expr.template, out);
                    out.push(Tok::Other);
                }
            },
        }
    }
}

/// Heredoc literal escapes: `$${` and `%%{`.
fn unescape(raw: &str) -> String {
    raw.replace("$${", "${").replace("%%{", "%{")
}

fn without_space(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The leading whitespace of a line that counts for the minimum, `None`
/// for a blank line.
fn leading_spaces(line: &str) -> Option<usize> {
    let trimmed = line.trim_start();
    if trimmed.is_empty() && line.ends_with('\n') {
        None
    } else {
        Some(line.chars().count() - trimmed.chars().count())
    }
}

/// The dedented text of every literal of a `<<-` heredoc's template, by
/// the literal's span start. `None` when the source text does not match
/// the template (then the parser's texts are used as they are).
pub(crate) fn dedent(tpl: &Template, source: &str) -> Option<HashMap<usize, String>> {
    let mut toks = Vec::new();
    flatten(tpl, &mut toks);
    let mut raws: Vec<Option<(usize, String)>> = Vec::with_capacity(toks.len());
    for t in &toks {
        raws.push(match t {
            Tok::Lit(l) => {
                let span = l.span()?;
                let raw = unescape(source.get(span.clone())?);
                if without_space(&raw) != without_space(l.value()) {
                    return None;
                }
                Some((span.start, raw))
            }
            Tok::Other => None,
        });
    }

    let mut min = usize::MAX;
    let mut newline = true;
    for raw in &raws {
        match raw {
            Some((_, text)) => {
                for line in text.split_inclusive('\n') {
                    if newline {
                        if let Some(n) = leading_spaces(line) {
                            min = min.min(n);
                        }
                    }
                    newline = line.ends_with('\n');
                }
            }
            None => {
                if newline {
                    min = 0;
                }
                newline = false;
            }
        }
    }
    if min == usize::MAX {
        min = 0;
    }

    let mut out = HashMap::new();
    newline = true;
    for raw in raws {
        match raw {
            Some((start, text)) => {
                let mut s = String::with_capacity(text.len());
                for line in text.split_inclusive('\n') {
                    if newline && leading_spaces(line).is_some() {
                        s.extend(line.chars().skip(min));
                    } else {
                        s.push_str(line);
                    }
                    newline = line.ends_with('\n');
                }
                out.insert(start, s);
            }
            None => newline = false,
        }
    }
    Some(out)
}
