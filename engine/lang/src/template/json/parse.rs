//! A small JSON parser that keeps the byte span of every key and value, so
//! that diagnostics about legacy JSON templates can point at the exact
//! place. Errors carry the byte offset where parsing stopped; the caller
//! turns it into a line and column with [`crate::diag::SourceFile`].
//!
//! Limits guard against hostile input: nesting deeper than [`MAX_DEPTH`]
//! and strings longer than [`MAX_STRING_BYTES`] are errors, never a stack
//! overflow or a huge allocation.

use std::ops::Range;

use crate::template::Value;

/// Deepest nesting of arrays and objects accepted.
pub const MAX_DEPTH: usize = 128;
/// Longest string (in bytes, after unescaping) accepted.
pub const MAX_STRING_BYTES: usize = 8 * 1024 * 1024;

/// A parsed JSON value with its span in the source text.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonNode {
    /// The value.
    pub kind: JsonKind,
    /// Byte range of the value in the source (quotes and brackets included).
    pub span: Range<usize>,
}

/// The shape of a JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonKind {
    /// `null`
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// The number's value and its text as written.
    Number(f64, String),
    /// A string, escapes decoded.
    String(String),
    /// Elements in order.
    Array(Vec<JsonNode>),
    /// Members in source order; a repeated key keeps only its last value
    /// (as Go's `encoding/json` does) at the position of the last one.
    Object(Vec<JsonMember>),
}

/// One `"key": value` member of an object.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonMember {
    /// The key, escapes decoded.
    pub key: String,
    /// Byte range of the key (with its quotes).
    pub key_span: Range<usize>,
    /// The member's value.
    pub value: JsonNode,
}

/// A syntax error at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct JsonError {
    /// The message, worded like Go's `encoding/json` (e.g. `unexpected end of JSON input`).
    pub message: String,
    /// Byte offset where the error starts.
    pub offset: usize,
    /// Where the error ends (at least `offset + 1` unless at end of input).
    pub end: usize,
}

impl JsonNode {
    /// The JSON type name used in messages ("string", "object", …).
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            JsonKind::Null => "null",
            JsonKind::Bool(_) => "boolean",
            JsonKind::Number(..) => "number",
            JsonKind::String(_) => "string",
            JsonKind::Array(_) => "array",
            JsonKind::Object(_) => "object",
        }
    }

    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            JsonKind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&[JsonMember]> {
        match &self.kind {
            JsonKind::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[JsonNode]> {
        match &self.kind {
            JsonKind::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The member of an object with this key.
    pub fn get(&self, key: &str) -> Option<&JsonMember> {
        self.as_object()?.iter().find(|m| m.key == key)
    }

    /// Convert to the engine's value model (numbers become f64).
    pub fn to_value(&self) -> Value {
        match &self.kind {
            JsonKind::Null => Value::Null,
            JsonKind::Bool(b) => Value::Bool(*b),
            JsonKind::Number(n, _) => Value::Number(*n),
            JsonKind::String(s) => Value::String(s.clone()),
            JsonKind::Array(items) => Value::List(items.iter().map(JsonNode::to_value).collect()),
            JsonKind::Object(members) => Value::Map(
                members
                    .iter()
                    .map(|m| (m.key.clone(), m.value.to_value()))
                    .collect(),
            ),
        }
    }
}

/// Parse a whole document: one value surrounded by optional whitespace.
pub fn parse(text: &str) -> Result<JsonNode, JsonError> {
    parse_document(text).map(|d| d.root)
}

/// A parsed document and the object keys that were repeated.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The document's single top-level value.
    pub root: JsonNode,
    /// Each repeated key (after its first occurrence) and its span.
    pub duplicates: Vec<(String, Range<usize>)>,
}

/// Parse a whole document, also reporting repeated object keys.
pub fn parse_document(text: &str) -> Result<Document, JsonError> {
    parse_with(text, false)
}

/// Parse keeping every repeated object key in order (HCL's JSON syntax
/// writes repeated blocks that way).
pub fn parse_keeping_duplicates(text: &str) -> Result<JsonNode, JsonError> {
    parse_with(text, true).map(|d| d.root)
}

fn parse_with(text: &str, keep_duplicates: bool) -> Result<Document, JsonError> {
    let mut p = Parser {
        src: text.as_bytes(),
        text,
        pos: 0,
        duplicates: Vec::new(),
        keep_duplicates,
    };
    // A UTF-8 byte order mark is tolerated, as many editors write one.
    if text.starts_with('\u{feff}') {
        p.pos = 3;
    }
    p.skip_ws();
    let node = p.value(0)?;
    p.skip_ws();
    if p.pos < p.src.len() {
        return Err(p.err_here(format!(
            "invalid character {} after top-level value",
            p.describe_here()
        )));
    }
    Ok(Document {
        root: node,
        duplicates: p.duplicates,
    })
}

/// Check that bytes are UTF-8; on failure report the first bad byte.
pub fn check_utf8(bytes: &[u8]) -> Result<&str, JsonError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        JsonError {
            message: "invalid UTF-8 byte sequence in file".into(),
            offset,
            end: offset + e.error_len().unwrap_or(1),
        }
    })
}

struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    duplicates: Vec<(String, Range<usize>)>,
    keep_duplicates: bool,
}

impl Parser<'_> {
    fn err_at(&self, offset: usize, message: impl Into<String>) -> JsonError {
        let end = self.char_end(offset);
        JsonError {
            message: message.into(),
            offset,
            end,
        }
    }

    fn err_here(&self, message: impl Into<String>) -> JsonError {
        self.err_at(self.pos, message)
    }

    fn char_end(&self, offset: usize) -> usize {
        if offset >= self.src.len() {
            return self.src.len();
        }
        let mut end = offset + 1;
        while end < self.src.len() && !self.text.is_char_boundary(end) {
            end += 1;
        }
        end
    }

    /// The current character quoted for a message (Go style: `'x'`).
    fn describe_here(&self) -> String {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            Some(c) => format!("{c:?}"),
            None => "end of input".into(),
        }
    }

    fn unexpected(&self, looking_for: &str) -> JsonError {
        if self.pos >= self.src.len() {
            return self.err_here(format!("unexpected end of JSON input, {looking_for}"));
        }
        self.err_here(format!(
            "invalid character {} {looking_for}",
            self.describe_here()
        ))
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.src.get(self.pos) {
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<JsonNode, JsonError> {
        let start = self.pos;
        match self.src.get(self.pos) {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => {
                let s = self.string()?;
                Ok(JsonNode {
                    kind: JsonKind::String(s),
                    span: start..self.pos,
                })
            }
            Some(b't') => self.literal("true", JsonKind::Bool(true)),
            Some(b'f') => self.literal("false", JsonKind::Bool(false)),
            Some(b'n') => self.literal("null", JsonKind::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.unexpected("looking for beginning of value")),
        }
    }

    fn literal(&mut self, word: &str, kind: JsonKind) -> Result<JsonNode, JsonError> {
        let start = self.pos;
        for (i, expected) in word.bytes().enumerate() {
            if self.src.get(self.pos) != Some(&expected) {
                let what = format!(
                    "in literal {word} (expecting {:?})",
                    word[i..].chars().next().unwrap_or(' ')
                );
                return Err(self.unexpected(&what));
            }
            self.pos += 1;
        }
        Ok(JsonNode {
            kind,
            span: start..self.pos,
        })
    }

    fn digits(&mut self) -> usize {
        let from = self.pos;
        while matches!(self.src.get(self.pos), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - from
    }

    fn number(&mut self) -> Result<JsonNode, JsonError> {
        let start = self.pos;
        if self.src.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        match self.src.get(self.pos) {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.unexpected("in numeric literal")),
        }
        if self.src.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.unexpected("after decimal point in numeric literal"));
            }
        }
        if matches!(self.src.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.src.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.unexpected("in exponent of numeric literal"));
            }
        }
        let raw = &self.text[start..self.pos];
        let n: f64 = raw
            .parse()
            .map_err(|_| self.err_at(start, format!("invalid number {raw}")))?;
        if !n.is_finite() {
            return Err(self.err_at(start, format!("number {raw} is out of range")));
        }
        Ok(JsonNode {
            kind: JsonKind::Number(n, raw.to_string()),
            span: start..self.pos,
        })
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.src.get(self.pos) {
                Some(b) if b.is_ascii_hexdigit() => (*b as char).to_digit(16).unwrap_or(0),
                _ => return Err(self.unexpected("in \\u hexadecimal character escape")),
            };
            v = v * 16 + d;
            self.pos += 1;
        }
        Ok(v)
    }

    /// A string starting at the opening quote; returns the unescaped text.
    fn string(&mut self) -> Result<String, JsonError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            // Copy a run of plain characters at once.
            let run_start = self.pos;
            while let Some(&b) = self.src.get(self.pos) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[run_start..self.pos]);
            if out.len() > MAX_STRING_BYTES {
                return Err(JsonError {
                    message: format!("string longer than {MAX_STRING_BYTES} bytes"),
                    offset: open,
                    end: open + 1,
                });
            }
            match self.src.get(self.pos) {
                None => {
                    return Err(JsonError {
                        message:
                            "unexpected end of JSON input in string literal (missing closing quote)"
                                .into(),
                        offset: open,
                        end: open + 1,
                    })
                }
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let c = match self.src.get(self.pos) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi)
                                && self.src.get(self.pos) == Some(&b'\\')
                                && self.src.get(self.pos + 1) == Some(&b'u')
                            {
                                let save = self.pos;
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if (0xDC00..0xE000).contains(&lo) {
                                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                                } else {
                                    self.pos = save;
                                    None
                                }
                            } else {
                                char::from_u32(hi)
                            };
                            // Lone surrogates become U+FFFD, as in Go.
                            out.push(c.unwrap_or('\u{fffd}'));
                            continue;
                        }
                        _ => return Err(self.unexpected("in string escape code")),
                    };
                    out.push(c);
                    self.pos += 1;
                }
                Some(_) => return Err(self.unexpected("in string literal")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<JsonNode, JsonError> {
        let start = self.pos;
        if depth > MAX_DEPTH {
            return Err(self.err_here(format!(
                "exceeded max depth of {MAX_DEPTH} nested arrays and objects"
            )));
        }
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(JsonNode {
                kind: JsonKind::Array(items),
                span: start..self.pos,
            });
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(JsonNode {
                        kind: JsonKind::Array(items),
                        span: start..self.pos,
                    });
                }
                _ => return Err(self.unexpected("after array element")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<JsonNode, JsonError> {
        let start = self.pos;
        if depth > MAX_DEPTH {
            return Err(self.err_here(format!(
                "exceeded max depth of {MAX_DEPTH} nested arrays and objects"
            )));
        }
        self.pos += 1;
        let mut members: Vec<JsonMember> = Vec::new();
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(JsonNode {
                kind: JsonKind::Object(members),
                span: start..self.pos,
            });
        }
        loop {
            self.skip_ws();
            if self.src.get(self.pos) != Some(&b'"') {
                return Err(self.unexpected("looking for beginning of object key string"));
            }
            let key_start = self.pos;
            let key = self.string()?;
            let key_span = key_start..self.pos;
            self.skip_ws();
            if self.src.get(self.pos) != Some(&b':') {
                return Err(self.unexpected("after object key"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth)?;
            if members.iter().any(|m| m.key == key) {
                self.duplicates.push((key.clone(), key_span.clone()));
                if !self.keep_duplicates {
                    members.retain(|m| m.key != key);
                }
            }
            members.push(JsonMember {
                key,
                key_span,
                value,
            });
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(JsonNode {
                        kind: JsonKind::Object(members),
                        span: start..self.pos,
                    });
                }
                _ => return Err(self.unexpected("after object key:value pair")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = r#"{ "a": [1, "x\u00e9"], "b": {"c": null} }"#;
        let n = parse(text).unwrap();
        let a = n.get("a").unwrap();
        assert_eq!(&text[a.key_span.clone()], "\"a\"");
        assert_eq!(&text[a.value.span.clone()], r#"[1, "x\u00e9"]"#);
        assert_eq!(a.value.as_array().unwrap()[1].as_str(), Some("xé"));
        let b = n.get("b").unwrap();
        assert_eq!(&text[b.value.span.clone()], r#"{"c": null}"#);
    }

    #[test]
    fn errors_have_offsets() {
        let e = parse("{\n  \"a\": 1,\n}").unwrap_err();
        assert_eq!(e.offset, 12);
        assert!(
            e.message
                .contains("looking for beginning of object key string"),
            "{e}"
        );
        let e = parse("[1 2]").unwrap_err();
        assert_eq!(e.offset, 3);
        assert!(parse("").unwrap_err().message.contains("unexpected end"));
        assert!(parse("\"abc")
            .unwrap_err()
            .message
            .contains("closing quote"));
        assert!(parse("01").is_err());
        assert!(parse("1e999").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("max depth"), "{e}");
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn repeated_keys_can_be_kept_in_order() {
        let root = parse_keeping_duplicates(r#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
        let JsonKind::Object(members) = root.kind else {
            panic!("not an object")
        };
        let keys: Vec<_> = members.iter().map(|m| m.key.as_str()).collect();
        assert_eq!(keys, ["a", "b", "a"]);
    }

    #[test]
    fn duplicate_keys_keep_the_last() {
        let d = parse_document(r#"{"a": 1, "b": {"c": 1, "c": 2}, "a": 2}"#).unwrap();
        let names: Vec<&str> = d.duplicates.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["c", "a"]);
        let n = parse(r#"{"a": 1, "a": 2}"#).unwrap();
        assert_eq!(n.as_object().unwrap().len(), 1);
        assert_eq!(n.get("a").unwrap().value.to_value(), Value::Number(2.0));
    }

    #[test]
    fn invalid_utf8_is_located() {
        let e = check_utf8(b"{\"a\": \"\xff\"}").unwrap_err();
        assert_eq!(e.offset, 7);
    }
}
