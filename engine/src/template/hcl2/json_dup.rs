//! A minimal JSON reader that keeps repeated object keys in order (HCL's
//! JSON syntax expresses repeated blocks that way). Used after the input
//! passed the located JSON parser, so errors here are rare and unlocated.

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonKind {
    Null,
    Bool(bool),
    /// The number as written.
    Number(f64, String),
    String(String),
    Array(Vec<JsonNode>),
    Object(Vec<JsonMember>),
}

/// A JSON value (kept as a struct for symmetry with the located parser).
#[derive(Debug, Clone, PartialEq)]
pub struct JsonNode {
    pub kind: JsonKind,
}

/// One `"key": value` pair.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonMember {
    pub key: String,
    pub value: JsonNode,
}

const MAX_DEPTH: usize = 128;

/// Parse a JSON document.
pub fn parse(text: &str) -> Result<JsonNode, String> {
    let mut p = Reader {
        s: text.as_bytes(),
        i: 0,
        text,
    };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("unexpected data after the value at offset {}", p.i));
    }
    Ok(v)
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
    text: &'a str,
}

impl Reader<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at offset {}", c as char, self.i))
        }
    }

    fn value(&mut self, depth: usize) -> Result<JsonNode, String> {
        if depth > MAX_DEPTH {
            return Err("JSON nested too deeply".into());
        }
        self.ws();
        let kind = match self.s.get(self.i) {
            Some(b'{') => {
                self.i += 1;
                let mut members = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                } else {
                    loop {
                        self.ws();
                        let key = self.string()?;
                        self.eat(b':')?;
                        let value = self.value(depth + 1)?;
                        members.push(JsonMember { key, value });
                        self.ws();
                        match self.s.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b'}') => {
                                self.i += 1;
                                break;
                            }
                            _ => return Err(format!("expected ',' or '}}' at offset {}", self.i)),
                        }
                    }
                }
                JsonKind::Object(members)
            }
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                } else {
                    loop {
                        items.push(self.value(depth + 1)?);
                        self.ws();
                        match self.s.get(self.i) {
                            Some(b',') => self.i += 1,
                            Some(b']') => {
                                self.i += 1;
                                break;
                            }
                            _ => return Err(format!("expected ',' or ']' at offset {}", self.i)),
                        }
                    }
                }
                JsonKind::Array(items)
            }
            Some(b'"') => JsonKind::String(self.string()?),
            Some(b't') if self.s[self.i..].starts_with(b"true") => {
                self.i += 4;
                JsonKind::Bool(true)
            }
            Some(b'f') if self.s[self.i..].starts_with(b"false") => {
                self.i += 5;
                JsonKind::Bool(false)
            }
            Some(b'n') if self.s[self.i..].starts_with(b"null") => {
                self.i += 4;
                JsonKind::Null
            }
            Some(c) if *c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                while self.i < self.s.len()
                    && matches!(
                        self.s[self.i],
                        b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'
                    )
                {
                    self.i += 1;
                }
                let text = &self.text[start..self.i];
                let n = text
                    .parse::<f64>()
                    .map_err(|_| format!("invalid number {text:?}"))?;
                JsonKind::Number(n, text.to_string())
            }
            _ => return Err(format!("unexpected character at offset {}", self.i)),
        };
        Ok(JsonNode { kind })
    }

    fn string(&mut self) -> Result<String, String> {
        if self.s.get(self.i) != Some(&b'"') {
            return Err(format!("expected a string at offset {}", self.i));
        }
        self.i += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.i..];
            let Some(c) = rest.chars().next() else {
                return Err("unterminated string".into());
            };
            self.i += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let e = self.s.get(self.i).copied().ok_or("unterminated escape")?;
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hex = self
                                .text
                                .get(self.i..self.i + 4)
                                .ok_or("short \\u escape")?;
                            let code =
                                u32::from_str_radix(hex, 16).map_err(|_| "invalid \\u escape")?;
                            self.i += 4;
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        _ => return Err(format!("invalid escape at offset {}", self.i)),
                    }
                }
                c => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_repeated_keys() {
        let v = parse(r#"{"a": 1, "a": [true, null, "x\n"]}"#).expect("parse");
        let JsonKind::Object(m) = v.kind else {
            panic!("object")
        };
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].key, "a");
        assert!(parse("[".repeat(500).as_str()).is_err());
    }
}
