//! Hash and crypto functions.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use super::helpers::{arg_err, failed, int_arg, str_arg, string, R};
use super::FuncCtx;
use crate::template::Value;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn md5(_: &FuncCtx, a: &[Value]) -> R {
    Ok(string(hex(&Md5::digest(str_arg(a, 0)?.as_bytes()))))
}

pub fn sha1(_: &FuncCtx, a: &[Value]) -> R {
    Ok(string(hex(&Sha1::digest(str_arg(a, 0)?.as_bytes()))))
}

pub fn sha256(_: &FuncCtx, a: &[Value]) -> R {
    Ok(string(hex(&Sha256::digest(str_arg(a, 0)?.as_bytes()))))
}

pub fn sha512(_: &FuncCtx, a: &[Value]) -> R {
    Ok(string(hex(&Sha512::digest(str_arg(a, 0)?.as_bytes()))))
}

pub fn bcrypt(_: &FuncCtx, a: &[Value]) -> R {
    let s = str_arg(a, 0)?;
    // Like Go's x/crypto/bcrypt: a cost below the minimum means the default.
    let cost = match a.get(1) {
        Some(_) => int_arg(a, 1)?,
        None => 10,
    };
    let cost = if cost < 4 { 10 } else { cost };
    if cost > 31 {
        return Err(arg_err(
            1,
            format!("crypto/bcrypt: cost {cost} is outside allowed range (4,31)"),
        ));
    }
    if s.len() > 72 {
        return Err(arg_err(0, "bcrypt input must be at most 72 bytes long"));
    }
    bcrypt::hash(s.as_bytes(), cost as u32)
        .map(|h| string(h.replacen("$2b$", "$2a$", 1)))
        .map_err(|e| failed(format!("error occurred generating password: {e}")))
}

pub fn rsadecrypt(_: &FuncCtx, a: &[Value]) -> R {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    let cipher = STANDARD
        .decode(str_arg(a, 0)?.trim())
        .map_err(|e| arg_err(0, format!("failed to decode input as base64: {e}")))?;
    let pem = str_arg(a, 1)?;
    let key = rsa::RsaPrivateKey::from_pkcs1_pem(pem.trim())
        .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(pem.trim()))
        .map_err(|e| arg_err(1, format!("failed to parse key: {e}")))?;
    let plain = key
        .decrypt(rsa::Pkcs1v15Encrypt, &cipher)
        .map_err(|e| failed(format!("failed to decrypt: {e}")))?;
    String::from_utf8(plain)
        .map(Value::String)
        .map_err(|_| failed("the decrypted result is not valid UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_ok, ctx, n, s};
    use crate::template::functions::call;

    const KEY: &str = "-----BEGIN RSA PRIVATE KEY-----
MIICXAIBAAKBgQCyfYQ4ll5zbvTEcJc1Zdalpz+6L5H0K8y+AeCPcGOs8ksn1Xir
v7LlPIJ1mt+y8CIz9HG+ibAPM5xZEop1rcwPazlC71YzjVABKh//xTa42+L119C7
cQ6IQ7tYlC+ycs+pQbJKDZP5NpKAXW7QRwteNim7meh+RRipC41GbsUSjwIDAQAB
AoGAV4y9mEwZlCFuqhRX9vc27BY3agn/W3dIfELLdVA5dBF8z9Mj14q2Iz8k9q66
3zhubnGOgVlkJHC6Ve6EP+i52Fuw3xrnNTy+S9buFiza+FzH39psDHKq4Wd/lI+F
tSMh+nhvztPS7JdVzgMJ8DnyJat+3sBARSpxut9JocS7IyECQQDqn6AJt5CMFTq3
qS471SrkLQefYNjy7DCMnAIbYDJ9xNytzFupRCVqCTrjhngxx5411xGsT1rICEfY
+8ZtSJEnAkEAwsCi0bEszvd2LfYVwwdlayp/ZU4co0AL6gSw3d4JRqUbNSkBz2jA
FDCsP6FAFN0Nur9+Rz65S5o8dgQ/f0oEWQJBAMOxxqO0N12QK3ybIRQI1hChunTm
K65a8JenXF6HGzYp6EMSa/XAAFD0R+kU9NXYgQ65R2VofvjPZ1YFktj+KQsCQEMr
xfylK1tHJs+7bM4TovtPcRkz09TKplFUxNwBVRm0oKm5NxKegoF0ODTKHRwVEkMz
AQ75p1dYHzplRLFWiiECQE3rvDKLq2dOA6NcGEnsqBnqgvFmDZklarknvSPh/0sV
s2NbPV48IJwBIb3W2SaIymvRQZlAq0Po4t/DNa5uvUw=
-----END RSA PRIVATE KEY-----";
    const CIPHER: &str = "Tq/2Z0+1q7LBRpgH857skliSyTvSArTZPbtVSMGEBH2RK8HaXvOLbvZ4tO6CJMufU5KTSTWnutAcsYzaY5q3muMR9m3hCmGC8VeG9C7o91vPOd9Dp6fEesCnuGizYTxeZOf7q8StaDggIVxsQH2AmTN5oQ4WgH/mLf2aCxHTluA=";

    #[test]
    fn hashes() {
        assert_eq!(
            call_ok("md5", &[s("hello world")]),
            s("5eb63bbbe01eeed093cb22bb8f5acdc3")
        );
        assert_eq!(
            call_ok("sha1", &[s("hello world")]),
            s("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed")
        );
        assert_eq!(
            call_ok("sha256", &[s("hello world")]),
            s("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")
        );
        assert_eq!(
            call_ok("sha512", &[s("hello world")]),
            s("309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f")
        );
    }

    #[test]
    fn bcrypt_verifies() {
        let h = call_ok("bcrypt", &[s("hello world"), n(4.0)]);
        let h = h.as_str().unwrap_or_default().to_string();
        assert!(h.starts_with("$2a$04$"), "{h}");
        assert!(bcrypt::verify("hello world", &h).unwrap_or(false));
        assert!(call("bcrypt", &ctx(), &[s("x"), n(32.0), n(1.0)]).is_err());
        assert!(call("bcrypt", &ctx(), &[s("x"), n(32.0)]).is_err());
    }

    #[test]
    fn rsadecrypt_pkcs1() {
        assert_eq!(call_ok("rsadecrypt", &[s(CIPHER), s(KEY)]), s("message"));
        assert!(call("rsadecrypt", &ctx(), &[s(CIPHER), s("not a key")]).is_err());
        assert!(call("rsadecrypt", &ctx(), &[s("AAAA"), s(KEY)]).is_err());
    }
}
