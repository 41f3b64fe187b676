//! `textencodebase64` / `textdecodebase64`: text in other character
//! encodings, carried as base64.
//!
//! UTF-8, UTF-16 (LE/BE), US-ASCII and ISO-8859-1 are handled here with
//! their IANA meanings; every other label goes to `encoding_rs` (the
//! WHATWG encodings: windows-125x, ISO-8859-x, Shift_JIS, EUC-JP,
//! EUC-KR, GBK, GB18030, Big5, KOI8-R, …).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::encoding::decode_b64;
use super::helpers::{arg_err, str_arg, string, R};
use super::{FuncCtx, FuncError};
use crate::template::Value;

#[derive(Clone, Copy)]
enum TextEnc {
    Utf8,
    Utf16Le,
    Utf16Be,
    Ascii,
    Latin1,
    Other(&'static encoding_rs::Encoding),
}

fn text_encoding(name: &str, index: usize) -> Result<(TextEnc, String), FuncError> {
    let n = name.trim().to_ascii_uppercase().replace('_', "-");
    let enc = match n.as_str() {
        "UTF-8" | "UTF8" | "CSUTF8" => TextEnc::Utf8,
        "UTF-16LE" | "CSUTF16LE" => TextEnc::Utf16Le,
        "UTF-16BE" | "UTF-16" | "CSUTF16BE" | "CSUTF16" => TextEnc::Utf16Be,
        "US-ASCII" | "ASCII" | "ANSI-X3.4-1968" | "CSASCII" | "US" | "ISO646-US" => TextEnc::Ascii,
        "ISO-8859-1" | "ISO-8859-1:1987" | "ISO8859-1" | "LATIN1" | "L1" | "CSISOLATIN1"
        | "ISO-IR-100" => TextEnc::Latin1,
        _ => match encoding_rs::Encoding::for_label(n.as_bytes()) {
            Some(e)
                if e != encoding_rs::UTF_16LE
                    && e != encoding_rs::UTF_16BE
                    && e != encoding_rs::REPLACEMENT =>
            {
                TextEnc::Other(e)
            }
            _ => {
                return Err(arg_err(
                    index,
                    format!("{name:?} is not a supported IANA encoding name or alias"),
                ))
            }
        },
    };
    Ok((enc, name.to_string()))
}

pub fn textencodebase64(_: &FuncCtx, a: &[Value]) -> R {
    let s = str_arg(a, 0)?;
    let (enc, name) = text_encoding(&str_arg(a, 1)?, 1)?;
    let unrepresentable = || {
        arg_err(
            0,
            format!("the given string contains characters that cannot be represented in {name}"),
        )
    };
    let bytes: Vec<u8> = match enc {
        TextEnc::Utf8 => s.as_bytes().to_vec(),
        TextEnc::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        TextEnc::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        TextEnc::Ascii | TextEnc::Latin1 => {
            let limit = if matches!(enc, TextEnc::Ascii) {
                0x80
            } else {
                0x100
            };
            s.chars()
                .map(|c| {
                    u8::try_from(c as u32)
                        .ok()
                        .filter(|b| u32::from(*b) < limit)
                })
                .collect::<Option<Vec<u8>>>()
                .ok_or_else(unrepresentable)?
        }
        TextEnc::Other(e) => {
            let (bytes, _, had_errors) = e.encode(&s);
            if had_errors {
                return Err(unrepresentable());
            }
            bytes.into_owned()
        }
    };
    Ok(string(STANDARD.encode(bytes)))
}

pub fn textdecodebase64(_: &FuncCtx, a: &[Value]) -> R {
    let bytes = decode_b64(&str_arg(a, 0)?, 0)?;
    let (enc, name) = text_encoding(&str_arg(a, 1)?, 1)?;
    let bad = || {
        arg_err(
            0,
            format!("the given string contains symbols that are not defined for {name}"),
        )
    };
    let text = match enc {
        TextEnc::Utf8 => String::from_utf8(bytes).map_err(|_| bad())?,
        TextEnc::Utf16Le | TextEnc::Utf16Be => {
            if bytes.len() % 2 != 0 {
                return Err(bad());
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| match enc {
                    TextEnc::Utf16Le => u16::from_le_bytes([c[0], c[1]]),
                    _ => u16::from_be_bytes([c[0], c[1]]),
                })
                .collect();
            String::from_utf16(&units).map_err(|_| bad())?
        }
        TextEnc::Ascii if bytes.iter().any(|b| *b >= 0x80) => return Err(bad()),
        TextEnc::Ascii | TextEnc::Latin1 => bytes.iter().map(|b| *b as char).collect(),
        TextEnc::Other(e) => e
            .decode_without_bom_handling_and_without_replacement(&bytes)
            .ok_or_else(bad)?
            .into_owned(),
    };
    Ok(string(text))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_ok, ctx, s};
    use crate::template::functions::call;

    #[test]
    fn docs_examples() {
        assert_eq!(
            call_ok("textencodebase64", &[s("Hello World"), s("UTF-16LE")]),
            s("SABlAGwAbABvACAAVwBvAHIAbABkAA==")
        );
        assert_eq!(
            call_ok(
                "textdecodebase64",
                &[s("SABlAGwAbABvACAAVwBvAHIAbABkAA=="), s("UTF-16LE")]
            ),
            s("Hello World")
        );
        assert_eq!(
            call_ok("textencodebase64", &[s("é€"), s("windows-1252")]),
            s("6YA=")
        );
        assert_eq!(
            call_ok("textdecodebase64", &[s("6YA="), s("windows-1252")]),
            s("é€")
        );
        assert_eq!(
            call_ok("textencodebase64", &[s("é"), s("ISO-8859-1")]),
            s("6Q==")
        );
        assert_eq!(
            call_ok("textencodebase64", &[s("日本"), s("Shift_JIS")]),
            s("k/qWew==")
        );
        let c = ctx();
        assert!(call("textencodebase64", &c, &[s("€"), s("ISO-8859-1")]).is_err());
        assert!(call("textencodebase64", &c, &[s("日"), s("US-ASCII")]).is_err());
        assert!(call("textencodebase64", &c, &[s("x"), s("klingon")]).is_err());
        assert!(call("textdecodebase64", &c, &[s("/w=="), s("UTF-8")]).is_err());
        assert!(call("textdecodebase64", &c, &[s("gA=="), s("US-ASCII")]).is_err());
    }
}
