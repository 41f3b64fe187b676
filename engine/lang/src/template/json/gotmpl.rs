//! A parser for the subset of Go's `text/template` that Packer's legacy
//! JSON templates use: text with `{{ … }}` actions holding pipelines of
//! function calls (`{{ user `x` | lower }}`), string / number / bool
//! literals, fields (`{{ .SourceAMI }}`), parenthesised sub-pipelines,
//! trim markers (`{{-`, `-}}`) and comments (`{{/* … */}}`).
//!
//! Control actions (`if`, `range`, `with`, …) and variables (`$x`) are
//! rejected with an error: Packer templates do not use them.

use std::fmt;
use std::ops::Range;

/// A parsed template: text and actions in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Tmpl {
    /// Literal text and actions, in input order.
    pub nodes: Vec<Node>,
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// Literal text, output as is (trim markers already applied).
    Text(String),
    /// A `{{ … }}` action.
    Action(Action),
}

/// One `{{ … }}` action.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// What the action evaluates.
    pub pipe: Pipeline,
    /// Byte range of the whole action (delimiters included) in the input.
    pub span: Range<usize>,
}

/// Commands separated by `|`; each command's result is passed to the next
/// as its last argument.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// The commands, in order (at least one).
    pub cmds: Vec<Command>,
}

/// A function call or a single operand.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// The operands (at least one); when the first is an identifier it names
    /// the function and the rest are its arguments.
    pub args: Vec<Operand>,
}

/// One operand of a command.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// An identifier: a function name.
    Ident(String),
    /// `.A.B`
    Field(Vec<String>),
    /// `.`
    Dot,
    /// A string literal: its value and how it was quoted in the source.
    Str {
        /// The string's value, escapes decoded.
        value: String,
        /// The literal as written (quotes included).
        quoted: String,
    },
    /// An integer literal.
    Int(i64),
    /// A floating-point literal.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `nil`
    Nil,
    /// `( pipeline )`
    Sub(Pipeline),
}

/// A template syntax error at a byte offset of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// What is wrong, worded like Go's (e.g. `missing value for command`).
    pub message: String,
    /// Byte offset of the error in the input.
    pub offset: usize,
}

impl fmt::Display for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Ident(s) => f.write_str(s),
            Operand::Field(parts) => {
                for p in parts {
                    write!(f, ".{p}")?;
                }
                Ok(())
            }
            Operand::Dot => f.write_str("."),
            Operand::Str { quoted, .. } => f.write_str(quoted),
            Operand::Int(n) => write!(f, "{n}"),
            Operand::Float(n) => write!(f, "{n}"),
            Operand::Bool(b) => write!(f, "{b}"),
            Operand::Nil => f.write_str("nil"),
            Operand::Sub(p) => write!(f, "({p})"),
        }
    }
}

impl Pipeline {
    /// Every operand of the pipeline, nested sub-pipelines included.
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Operand)) {
        for c in &self.cmds {
            for a in &c.args {
                visit(a);
                if let Operand::Sub(p) = a {
                    p.walk(visit);
                }
            }
        }
    }
}

impl Tmpl {
    /// True when the text has no actions at all.
    pub fn is_plain(&self) -> bool {
        self.nodes.iter().all(|n| matches!(n, Node::Text(_)))
    }
}

const KEYWORDS: &[&str] = &[
    "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
];

/// Parse a template string.
pub fn parse(src: &str) -> Result<Tmpl, ParseError> {
    let mut nodes = Vec::new();
    let mut pos = 0;
    let mut trim_next = false;
    while pos <= src.len() {
        let Some(rel) = src[pos..].find("{{") else {
            let mut text = &src[pos..];
            if trim_next {
                text = text.trim_start();
            }
            if !text.is_empty() {
                nodes.push(Node::Text(text.to_string()));
            }
            break;
        };
        let open = pos + rel;
        let mut text = &src[pos..open];
        if trim_next {
            text = text.trim_start();
        }
        let mut inner_start = open + 2;
        let bytes = src.as_bytes();
        // `{{- ` trims the text before the action.
        if bytes.get(inner_start) == Some(&b'-')
            && matches!(
                bytes.get(inner_start + 1),
                Some(b' ' | b'\t' | b'\n' | b'\r')
            )
        {
            text = text.trim_end();
            inner_start += 1;
        }
        if !text.is_empty() {
            nodes.push(Node::Text(text.to_string()));
        }
        let mut lx = Lexer {
            src,
            pos: inner_start,
        };
        // Comments: {{/* ... */}}
        lx.skip_space();
        if src[lx.pos..].starts_with("/*") {
            let Some(end) = src[lx.pos..].find("*/") else {
                return Err(ParseError {
                    message: "unclosed comment".into(),
                    offset: open,
                });
            };
            lx.pos += end + 2;
            let close = lx.close_delim(open)?;
            trim_next = close.1;
            pos = close.0;
            continue;
        }
        let pipe = lx.pipeline(open, 0)?;
        let (after, trim) = lx.close_delim(open)?;
        trim_next = trim;
        nodes.push(Node::Action(Action {
            pipe,
            span: open..after,
        }));
        pos = after;
    }
    Ok(Tmpl { nodes })
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

const MAX_NESTING: usize = 64;

impl Lexer<'_> {
    fn err(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            message: message.into(),
            offset: self.pos,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn at_close(&self) -> bool {
        let rest = &self.src[self.pos..];
        rest.starts_with("}}") || rest.starts_with("-}}")
    }

    /// Consume the closing delimiter; returns the offset after it and
    /// whether it trims the following text.
    fn close_delim(&mut self, open: usize) -> Result<(usize, bool), ParseError> {
        self.skip_space();
        let rest = &self.src[self.pos..];
        if rest.starts_with("}}") {
            return Ok((self.pos + 2, false));
        }
        if rest.starts_with("-}}") {
            let before = self.src.as_bytes().get(self.pos.wrapping_sub(1)).copied();
            if matches!(before, Some(b' ' | b'\t' | b'\n' | b'\r')) {
                return Ok((self.pos + 3, true));
            }
        }
        if self.pos >= self.src.len() {
            return Err(ParseError {
                message: "unclosed action".into(),
                offset: open,
            });
        }
        Err(self.err(format!("unexpected {:?} in action", self.current_char())))
    }

    fn current_char(&self) -> char {
        self.src[self.pos..].chars().next().unwrap_or(' ')
    }

    fn pipeline(&mut self, open: usize, depth: usize) -> Result<Pipeline, ParseError> {
        if depth > MAX_NESTING {
            return Err(self.err("parentheses nested too deeply"));
        }
        let mut cmds = Vec::new();
        loop {
            let cmd = self.command(open, depth)?;
            cmds.push(cmd);
            self.skip_space();
            if self.peek() == Some(b'|') {
                self.pos += 1;
                continue;
            }
            return Ok(Pipeline { cmds });
        }
    }

    fn command(&mut self, open: usize, depth: usize) -> Result<Command, ParseError> {
        let mut args = Vec::new();
        loop {
            self.skip_space();
            if self.pos >= self.src.len() {
                return Err(ParseError {
                    message: "unclosed action".into(),
                    offset: open,
                });
            }
            if self.at_close() || matches!(self.peek(), Some(b'|' | b')')) {
                break;
            }
            args.push(self.operand(open, depth)?);
        }
        if args.is_empty() {
            return Err(self.err("missing value for command"));
        }
        Ok(Command { args })
    }

    fn operand(&mut self, open: usize, depth: usize) -> Result<Operand, ParseError> {
        let start = self.pos;
        let c = self.current_char();
        match c {
            '(' => {
                self.pos += 1;
                let p = self.pipeline(open, depth + 1)?;
                self.skip_space();
                if self.peek() != Some(b')') {
                    return Err(self.err("unclosed left paren"));
                }
                self.pos += 1;
                Ok(Operand::Sub(p))
            }
            '"' => {
                let value = self.quoted_string()?;
                Ok(Operand::Str {
                    value,
                    quoted: self.src[start..self.pos].to_string(),
                })
            }
            '`' => {
                let Some(end) = self.src[self.pos + 1..].find('`') else {
                    return Err(self.err("unterminated raw quoted string"));
                };
                let value = self.src[self.pos + 1..self.pos + 1 + end].to_string();
                self.pos += end + 2;
                Ok(Operand::Str {
                    value,
                    quoted: self.src[start..self.pos].to_string(),
                })
            }
            '.' => {
                self.pos += 1;
                let mut parts = Vec::new();
                loop {
                    let id = self.ident();
                    if id.is_empty() {
                        break;
                    }
                    parts.push(id.to_string());
                    if self.peek() == Some(b'.') {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                if parts.is_empty() {
                    Ok(Operand::Dot)
                } else {
                    Ok(Operand::Field(parts))
                }
            }
            '$' => Err(self.err("template variables ($x) are not supported in Packer templates")),
            '\'' => Err(self.err("character constants are not supported")),
            '-' | '+' | '0'..='9' => self.number(),
            c if c.is_alphabetic() || c == '_' => {
                let id = self.ident().to_string();
                match id.as_str() {
                    "true" => Ok(Operand::Bool(true)),
                    "false" => Ok(Operand::Bool(false)),
                    "nil" => Ok(Operand::Nil),
                    k if KEYWORDS.contains(&k) => Err(ParseError {
                        message: format!("the {k:?} action is not supported in Packer templates"),
                        offset: start,
                    }),
                    _ => Ok(Operand::Ident(id)),
                }
            }
            other => Err(self.err(format!("unexpected {other:?} in operand"))),
        }
    }

    fn ident(&mut self) -> &str {
        let start = self.pos;
        while let Some(c) = self.src[self.pos..].chars().next() {
            if c.is_alphanumeric() || c == '_' {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        &self.src[start..self.pos]
    }

    fn number(&mut self) -> Result<Operand, ParseError> {
        let start = self.pos;
        if matches!(self.peek(), Some(b'-' | b'+')) {
            self.pos += 1;
        }
        while matches!(
            self.peek(),
            Some(
                b'0'..=b'9'
                | b'.'
                | b'e'
                | b'E'
                | b'_'
                | b'x'
                | b'X'
                | b'a'..=b'd'
                | b'f'
                | b'A'..=b'D'
                | b'F',
            )
        ) {
            self.pos += 1;
        }
        let raw = self.src[start..self.pos].replace('_', "");
        if let Ok(n) = raw.parse::<i64>() {
            return Ok(Operand::Int(n));
        }
        let hex = raw.strip_prefix("0x").or_else(|| raw.strip_prefix("0X"));
        if let Some(h) = hex {
            if let Ok(n) = i64::from_str_radix(h, 16) {
                return Ok(Operand::Int(n));
            }
        }
        match raw.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Operand::Float(n)),
            _ => Err(ParseError {
                message: format!("bad number syntax: {:?}", &self.src[start..self.pos]),
                offset: start,
            }),
        }
    }

    /// A Go interpreted string literal ("…" with backslash escapes).
    fn quoted_string(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.src[self.pos..].chars().next() else {
                return Err(ParseError {
                    message: "unterminated quoted string".into(),
                    offset: start,
                });
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\n' => {
                    return Err(ParseError {
                        message: "unterminated quoted string".into(),
                        offset: start,
                    })
                }
                '\\' => {
                    let Some(e) = self.src[self.pos..].chars().next() else {
                        return Err(self.err("unterminated quoted string"));
                    };
                    self.pos += e.len_utf8();
                    let ch = match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        'a' => '\u{7}',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'v' => '\u{b}',
                        '\\' => '\\',
                        '"' => '"',
                        '\'' => '\'',
                        'x' | 'u' | 'U' => {
                            let n = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let hex = self.src.get(self.pos..self.pos + n).unwrap_or("");
                            let v = u32::from_str_radix(hex, 16)
                                .ok()
                                .filter(|_| hex.len() == n)
                                .and_then(char::from_u32)
                                .ok_or_else(|| self.err("invalid escape in quoted string"))?;
                            self.pos += n;
                            v
                        }
                        _ => return Err(self.err(format!("unknown escape sequence \\{e}"))),
                    };
                    out.push(ch);
                }
                c => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(src: &str) -> Pipeline {
        let t = parse(src).unwrap();
        match t.nodes.into_iter().find_map(|n| match n {
            Node::Action(a) => Some(a),
            Node::Text(_) => None,
        }) {
            Some(a) => a.pipe,
            None => panic!("no action in {src}"),
        }
    }

    #[test]
    fn parses_calls_pipes_and_fields() {
        let p = action("x {{ user `a` | lower }} y");
        assert_eq!(p.to_string(), "user `a` | lower");
        let p = action("{{ split (user `v`) \"-\" 0 }}");
        assert_eq!(p.to_string(), "split (user `v`) \"-\" 0");
        assert_eq!(action("{{ .SourceAMI }}").to_string(), ".SourceAMI");
        assert_eq!(action("{{.}}").cmds[0].args[0], Operand::Dot);
    }

    #[test]
    fn trims_and_comments() {
        let t = parse("a  {{- `b` -}}  c{{/* note */}}d").unwrap();
        assert_eq!(t.nodes.len(), 4);
        assert_eq!(t.nodes[0], Node::Text("a".into()));
        assert_eq!(t.nodes[2], Node::Text("c".into()));
        assert_eq!(t.nodes[3], Node::Text("d".into()));
    }

    #[test]
    fn rejects_bad_syntax() {
        assert!(parse("{{ user `a` ").is_err());
        assert!(parse("{{ if true }}x{{ end }}").is_err());
        assert!(parse("{{ }}").is_err());
        assert!(parse("{{ \"abc }}").is_err());
        assert!(parse(&format!("{{{{ {} }}}}", "(".repeat(1000))).is_err());
        assert!(parse("no actions } here {").unwrap().is_plain());
    }
}
