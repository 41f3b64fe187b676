//! `X-Hub-Signature-256` verification: HMAC-SHA256 of the raw body, hex,
//! compared in constant time against every configured secret (rotation).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The header value GitHub would send for `body` signed with `secret`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length.
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` (`sha256=HEX`) is a valid signature of `body` under any
/// of `secrets`. Every secret is tried, so timing does not tell which one.
pub fn verify(secrets: &[Vec<u8>], body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(given) = hex::decode(hex_sig) else {
        return false;
    };
    let mut ok = subtle::Choice::from(0u8);
    for secret in secrets {
        let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
            continue;
        };
        mac.update(body);
        let expected = mac.finalize().into_bytes();
        if given.len() == expected.len() {
            ok |= expected.as_slice().ct_eq(&given);
        }
    }
    ok.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_docs_vector() {
        let secret = b"It's a Secret to Everybody".to_vec();
        let sig = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(sign(&secret, b"Hello, World!"), sig);
        assert!(verify(
            &[b"old".to_vec(), secret.clone()],
            b"Hello, World!",
            sig
        ));
        assert!(!verify(&[b"old".to_vec()], b"Hello, World!", sig));
        assert!(!verify(
            std::slice::from_ref(&secret),
            b"Hello, World?",
            sig
        ));
        assert!(!verify(&[secret], b"Hello, World!", "sha1=abc"));
    }
}
