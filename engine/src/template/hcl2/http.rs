//! The `http` data source: a plain HTTP/1.1 GET (no TLS) with optional
//! request headers, returning `{url, status_code, body, response_headers}`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::template::model::ConfigBody;
use crate::template::Value;

/// Largest response body read.
const MAX_BODY: u64 = 16 * 1024 * 1024;

/// Fetch `url` and build the data source's output.
pub fn http_output(config: &ConfigBody) -> Result<Value, String> {
    let url = config
        .get_str("url")
        .ok_or_else(|| "The argument \"url\" is required and must be a string.".to_string())?;
    let mut headers = Vec::new();
    if let Some(Value::Map(h)) = config.get("request_headers") {
        for (k, v) in h {
            headers.push((k.clone(), v.to_display_string().unwrap_or_default()));
        }
    }
    let (status, resp_headers, body) = get(url, &headers)?;
    if !(200..300).contains(&status) {
        return Err(format!("HTTP GET {url} returned status {status}."));
    }
    let mut m = BTreeMap::new();
    m.insert("url".to_string(), Value::from(url));
    m.insert("status_code".to_string(), Value::Number(f64::from(status)));
    m.insert("body".to_string(), Value::from(body));
    m.insert(
        "response_headers".to_string(),
        Value::Map(
            resp_headers
                .into_iter()
                .map(|(k, v)| (k, Value::from(v)))
                .collect(),
        ),
    );
    Ok(Value::Map(m))
}

type Response = (u16, BTreeMap<String, String>, String);

fn get(url: &str, headers: &[(String, String)]) -> Result<Response, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("Unsupported URL {url:?}: kiln's http data source fetches http:// URLs during validate."))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr_str = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let addr = addr_str
        .to_socket_addrs()
        .map_err(|e| format!("Cannot resolve {authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("Cannot resolve {authority}"))?;
    let timeout = Duration::from_secs(30);
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("GET {url}: {e}"))?;
    let _ = stream.set_read_timeout(Some(timeout));
    let mut req = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\nUser-Agent: kiln\r\n"
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream
        .write_all(req.as_bytes())
        .map_err(|e| format!("GET {url}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .take(MAX_BODY)
        .read_to_end(&mut raw)
        .map_err(|e| format!("GET {url}: {e}"))?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("GET {url}: malformed HTTP response"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("GET {url}: malformed status line"))?;
    let mut resp_headers = BTreeMap::new();
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            resp_headers.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    let mut body = raw[split + 4..].to_vec();
    let chunked = resp_headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        body = dechunk(&body);
    }
    Ok((
        status,
        resp_headers,
        String::from_utf8_lossy(&body).into_owned(),
    ))
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size_str = String::from_utf8_lossy(&data[..eol]);
        let Ok(size) = usize::from_str_radix(size_str.split(';').next().unwrap_or("").trim(), 16)
        else {
            break;
        };
        data = &data[eol + 2..];
        if size == 0 || size > data.len() {
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or(&[]);
    }
    out
}
