//! `yamldecode`, resolving scalars the way go-cty-yaml does (YAML 1.1
//! style: `yes`/`no`/`on`/`off` are booleans, `~` is null, timestamps
//! become RFC 3339 strings, `<<` merge keys are applied).

use std::collections::{BTreeMap, HashMap};

use chrono::{FixedOffset, NaiveDate, NaiveTime, TimeZone};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

use super::helpers::parse_number;
use crate::template::Value;

const MAX_DEPTH: usize = 512;
/// Limit on values produced (guards against alias expansion bombs).
const MAX_NODES: usize = 1_000_000;

struct Decoder<'a> {
    parser: Parser<std::str::Chars<'a>>,
    anchors: HashMap<usize, Value>,
    nodes: usize,
}

fn size(v: &Value) -> usize {
    match v {
        Value::List(l) => 1 + l.iter().map(size).sum::<usize>(),
        Value::Map(m) => 1 + m.values().map(size).sum::<usize>(),
        _ => 1,
    }
}

impl Decoder<'_> {
    fn next(&mut self) -> Result<Event, String> {
        self.parser
            .next_token()
            .map(|(ev, _)| ev)
            .map_err(|e| e.to_string())
    }

    fn count(&mut self, n: usize) -> Result<(), String> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err("document is too large (too many values after alias expansion)".into());
        }
        Ok(())
    }

    fn node(&mut self, ev: Event, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("document is nested too deeply".into());
        }
        let (value, anchor) = match ev {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1)?;
                (resolve_scalar(&text, style, tag.as_ref())?, anchor)
            }
            Event::Alias(id) => {
                let v = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or("unknown anchor referenced by an alias")?;
                self.count(size(&v))?;
                return Ok(v);
            }
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "seq")?;
                self.count(1)?;
                let mut items = Vec::new();
                loop {
                    match self.next()? {
                        Event::SequenceEnd => break,
                        ev => items.push(self.node(ev, depth + 1)?),
                    }
                }
                (Value::List(items), anchor)
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(tag.as_ref(), "map")?;
                self.count(1)?;
                (self.mapping(depth)?, anchor)
            }
            other => return Err(format!("unexpected YAML event {other:?}")),
        };
        if anchor > 0 {
            self.anchors.insert(anchor, value.clone());
        }
        Ok(value)
    }

    fn mapping(&mut self, depth: usize) -> Result<Value, String> {
        let mut out = BTreeMap::new();
        let mut merged: Vec<BTreeMap<String, Value>> = Vec::new();
        loop {
            let key_ev = match self.next()? {
                Event::MappingEnd => break,
                ev => ev,
            };
            let is_merge =
                matches!(&key_ev, Event::Scalar(k, TScalarStyle::Plain, _, None) if k == "<<");
            let key = self.node(key_ev, depth + 1)?;
            let value_ev = self.next()?;
            let value = self.node(value_ev, depth + 1)?;
            if is_merge {
                match value {
                    Value::Map(m) => merged.push(m),
                    Value::List(items) => {
                        for item in items {
                            match item {
                                Value::Map(m) => merged.push(m),
                                _ => {
                                    return Err(
                                        "map merge requires map or sequence of maps as the value"
                                            .into(),
                                    )
                                }
                            }
                        }
                    }
                    _ => {
                        return Err("map merge requires map or sequence of maps as the value".into())
                    }
                }
                continue;
            }
            let key = match key {
                Value::String(s) => s,
                Value::Null => return Err("mapping keys must not be null".into()),
                other => other
                    .to_display_string()
                    .ok_or("mapping keys must be strings, numbers or bools")?,
            };
            out.insert(key, value);
        }
        for m in merged {
            for (k, v) in m {
                out.entry(k).or_insert(v);
            }
        }
        Ok(Value::Map(out))
    }
}

fn tag_name(tag: &Tag) -> String {
    if tag.handle == "tag:yaml.org,2002:" {
        format!("!!{}", tag.suffix)
    } else {
        format!("{}{}", tag.handle, tag.suffix)
    }
}

fn check_collection_tag(tag: Option<&Tag>, kind: &str) -> Result<(), String> {
    match tag {
        None => Ok(()),
        Some(t) if t.handle == "tag:yaml.org,2002:" && t.suffix == kind => Ok(()),
        Some(t) => Err(format!("unsupported tag {:?}", tag_name(t))),
    }
}

fn bool_or_null(s: &str) -> Option<Value> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Value::Bool(false)
        }
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => Value::Number(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => Value::Number(f64::NEG_INFINITY),
        _ => return None,
    })
}

/// YAML timestamps (the subset go-cty-yaml accepts) as RFC 3339 strings.
fn timestamp(s: &str) -> Option<String> {
    // Quick check, as go-cty-yaml does: every format starts with "YYYY-".
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return None;
    }
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let re = RE
        .get_or_init(|| {
            regex::Regex::new(
                r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:([Tt ])(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})?)?$",
            )
            .ok()
        })
        .as_ref()?;
    let c = re.captures(s)?;
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let year: i32 = c.get(1)?.as_str().parse().ok()?;
    let date = NaiveDate::from_ymd_opt(year, num(2)?, num(3)?)?;
    let (time, offset) = match c.get(4).map(|m| m.as_str()) {
        None => (NaiveTime::from_hms_opt(0, 0, 0)?, 0),
        Some(sep) => {
            let time = NaiveTime::from_hms_opt(num(5)?, num(6)?, num(7)?)?;
            let zone = c.get(9).map(|m| m.as_str());
            let offset = match (sep, zone) {
                (" ", None) => 0,
                (" ", Some(_)) | ("T" | "t", None) => return None,
                (_, Some("Z")) => 0,
                (_, Some(z)) => {
                    let sign = if z.starts_with('-') { -1 } else { 1 };
                    let h: i32 = z.get(1..3)?.parse().ok()?;
                    let m: i32 = z.get(4..6)?.parse().ok()?;
                    sign * (h * 3600 + m * 60)
                }
                _ => return None,
            };
            (time, offset)
        }
    };
    let tz = FixedOffset::east_opt(offset)?;
    let t = tz.from_local_datetime(&date.and_time(time)).single()?;
    Some(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

fn parse_int_prefixed(plain: &str) -> Option<f64> {
    let (neg, digits) = match plain.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, plain.strip_prefix('+').unwrap_or(plain)),
    };
    let (radix, body) = if let Some(b) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        (16, b)
    } else if let Some(b) = digits
        .strip_prefix("0o")
        .or_else(|| digits.strip_prefix("0O"))
    {
        (8, b)
    } else if let Some(b) = digits
        .strip_prefix("0b")
        .or_else(|| digits.strip_prefix("0B"))
    {
        (2, b)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    let v = u64::from_str_radix(body, radix).ok()? as f64;
    Some(if neg { -v } else { v })
}

fn resolve_scalar(src: &str, style: TScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let tag = tag.map(tag_name);
    let tag = tag.as_deref().unwrap_or(if style == TScalarStyle::Plain {
        ""
    } else {
        "!!str"
    });
    if !matches!(
        tag,
        "" | "!!str" | "!!bool" | "!!int" | "!!float" | "!!null" | "!!timestamp" | "!!binary"
    ) {
        return Err(format!("unsupported tag {tag:?}"));
    }
    let hint = src.chars().next().map_or('N', |c| match c {
        '+' | '-' => 'S',
        '0'..='9' => 'D',
        'y' | 'Y' | 'n' | 'N' | 't' | 'T' | 'f' | 'F' | 'o' | 'O' | '~' => 'M',
        '.' => '.',
        _ => '\0',
    });
    let mut tag = tag.to_string();
    if hint != '\0' && tag != "!!str" && tag != "!!binary" {
        if let Some(v) = bool_or_null(src) {
            return Ok(v);
        }
        if matches!(src, ".nan" | ".NaN" | ".NAN") {
            return Err("floating point NaN is not supported".into());
        }
        match hint {
            '.' => {
                if let Some(n) = parse_number(src) {
                    return Ok(Value::Number(n));
                }
            }
            'D' | 'S' => {
                if tag.is_empty() || tag == "!!timestamp" {
                    if let Some(t) = timestamp(src) {
                        return Ok(Value::String(t));
                    }
                }
                let plain = src.replace('_', "");
                if let Some(n) = parse_number(&plain) {
                    return Ok(Value::Number(n));
                }
                if plain.starts_with("0b") || plain.starts_with("-0b") {
                    tag = "!!int".into();
                }
            }
            _ => {}
        }
    }
    let cannot = || format!("cannot parse {src:?} as {tag}");
    match tag.as_str() {
        "!!binary" => {
            use base64::Engine;
            let compact: String = src.split_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|_| format!("cannot parse {src:?} as !!binary: not valid base64"))?;
            Ok(Value::String(src.to_string()))
        }
        "!!bool" => match bool_or_null(src) {
            Some(v @ Value::Bool(_)) => Ok(v),
            _ => Err(cannot()),
        },
        "!!int" | "!!float" => {
            let plain = src.replace('_', "");
            parse_number(&plain)
                .or_else(|| parse_int_prefixed(&plain))
                .map(Value::Number)
                .ok_or_else(cannot)
        }
        "!!timestamp" => timestamp(src).map(Value::String).ok_or_else(cannot),
        "!!null" => Ok(Value::Null),
        _ => Ok(Value::String(src.to_string())),
    }
}

/// Decode one YAML document into a value.
pub fn decode(text: &str) -> Result<Value, String> {
    let mut d = Decoder {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        nodes: 0,
    };
    let mut result: Option<Value> = None;
    loop {
        match d.next()? {
            Event::StreamStart | Event::DocumentStart | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => break,
            ev => {
                if result.is_some() {
                    return Err(
                        "unexpected extra content after value (only one YAML document is allowed)"
                            .into(),
                    );
                }
                result = Some(d.node(ev, 0)?);
            }
        }
    }
    Ok(result.unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::decode;
    use crate::template::Value;

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    #[test]
    fn scalars_resolve_like_go_cty_yaml() {
        let cases: &[(&str, Value)] = &[
            ("yes", Value::Bool(true)),
            ("Off", Value::Bool(false)),
            ("'yes'", s("yes")),
            ("~", Value::Null),
            ("", Value::Null),
            ("1_000", Value::Number(1000.0)),
            ("0x1F", s("0x1F")),
            ("!!int 0x1F", Value::Number(31.0)),
            ("0b101", Value::Number(5.0)),
            ("-1.5e3", Value::Number(-1500.0)),
            (".5", Value::Number(0.5)),
            ("2001-12-14", s("2001-12-14T00:00:00Z")),
            (
                "2001-12-14t21:59:43.10-05:00",
                s("2001-12-14T21:59:43-05:00"),
            ),
            ("2001-12-14 21:59:43.10", s("2001-12-14T21:59:43Z")),
            ("\"2001-12-14\"", s("2001-12-14")),
            ("!!str 12", s("12")),
            ("hello world", s("hello world")),
            ("|\n  a\n  b\n", s("a\nb\n")),
        ];
        for (src, want) in cases {
            assert_eq!(decode(src).as_ref(), Ok(want), "{src}");
        }
        assert!(decode(".nan").is_err());
        assert!(decode("!foo bar").is_err());
        assert!(decode("a: 1\n---\nb: 2\n").is_err());
        assert!(decode("a: [").is_err());
    }

    #[test]
    fn anchors_and_merge_keys() {
        let doc = "base: &b {x: 1, z: 2}\nderived:\n  <<: *b\n  z: 3\nlist: [*b]\n";
        let v = decode(doc).unwrap_or_default();
        let m = v.as_map().cloned().unwrap_or_default();
        let derived = m
            .get("derived")
            .and_then(Value::as_map)
            .cloned()
            .unwrap_or_default();
        assert_eq!(derived.get("x"), Some(&Value::Number(1.0)));
        assert_eq!(derived.get("z"), Some(&Value::Number(3.0)));
        // YAML 1.1 resolution applies to keys too, as in go-cty-yaml.
        assert_eq!(
            decode("on: push"),
            Ok(Value::Map([("true".to_string(), s("push"))].into()))
        );
        assert_eq!(
            m.get("list").and_then(Value::as_list).map(<[Value]>::len),
            Some(1)
        );
        let bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
        assert!(decode(bomb).is_err());
    }
}
