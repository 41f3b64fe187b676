//! AWS Signature Version 4 request signing (Secrets Manager's
//! `GetSecretValue`, see [`super::secrets_manager`]).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac256(key: &[u8], data: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        // HMAC accepts keys of any length; this arm is unreachable.
        Err(_) => Vec::new(),
    }
}

/// A request to sign with AWS Signature Version 4.
pub struct SigV4Request<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// Canonical (already URI-encoded) path.
    pub path: &'a str,
    /// Canonical query string (sorted, encoded), may be empty.
    pub query: &'a str,
    /// Headers to sign (any case); must include `host` and `x-amz-date`.
    pub headers: &'a [(String, String)],
    /// The request body.
    pub payload: &'a [u8],
    /// The signing region.
    pub region: &'a str,
    /// The signing name of the service (`secretsmanager`).
    pub service: &'a str,
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'a str,
}

/// The SigV4 signing key.
pub fn sigv4_signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac256(&k, region.as_bytes());
    let k = hmac256(&k, service.as_bytes());
    hmac256(&k, b"aws4_request")
}

/// The `Authorization` header value for `req`.
pub fn sigv4_authorization(req: &SigV4Request, access_key: &str, secret_key: &str) -> String {
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| {
            let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
            (k.to_ascii_lowercase(), v)
        })
        .collect();
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        req.path,
        req.query,
        canonical_headers,
        signed,
        hex(&Sha256::digest(req.payload))
    );
    let date = req.amz_date.get(..8).unwrap_or(req.amz_date);
    let scope = format!("{date}/{}/{}/aws4_request", req.region, req.service);
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        req.amz_date,
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let key = sigv4_signing_key(secret_key, date, req.region, req.service);
    let signature = hex(&hmac256(&key, to_sign.as_bytes()));
    format!("AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, Signature={signature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    fn suite(method: &str, query: &str) -> String {
        let headers = vec![
            ("Host".to_string(), "example.amazonaws.com".to_string()),
            ("X-Amz-Date".to_string(), "20150830T123600Z".to_string()),
        ];
        sigv4_authorization(
            &SigV4Request {
                method,
                path: "/",
                query,
                headers: &headers,
                payload: b"",
                region: "us-east-1",
                service: "service",
                amz_date: "20150830T123600Z",
            },
            AKID,
            SECRET,
        )
    }

    /// AWS's published SigV4 test suite (get-vanilla, post-vanilla,
    /// get-vanilla-query-order-key-case) and derived signing key.
    #[test]
    fn sigv4_test_suite() {
        assert_eq!(
            hex(&sigv4_signing_key(
                SECRET,
                "20150830",
                "us-east-1",
                "service"
            )),
            "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75"
        );
        let cred = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=";
        assert_eq!(
            suite("GET", ""),
            format!("{cred}5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        );
        assert_eq!(
            suite("POST", ""),
            format!("{cred}5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b")
        );
        assert_eq!(
            suite("GET", "Param1=value1&Param2=value2"),
            format!("{cred}b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
        );
    }
}
