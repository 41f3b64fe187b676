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
        return Err(arg_err(0, "bcrypt: password length exceeds 72 bytes"));
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
    let pem = pem.trim();
    let key = if pem.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----") {
        openssh_rsa_key(pem).map_err(|e| arg_err(1, format!("failed to parse key: {e}")))?
    } else {
        rsa::RsaPrivateKey::from_pkcs1_pem(pem)
            .or_else(|_| rsa::RsaPrivateKey::from_pkcs8_pem(pem))
            .map_err(|e| arg_err(1, format!("failed to parse key: {e}")))?
    };
    let plain = key
        .decrypt(rsa::Pkcs1v15Encrypt, &cipher)
        .map_err(|e| failed(format!("failed to decrypt: {e}")))?;
    String::from_utf8(plain)
        .map(Value::String)
        .map_err(|_| failed("the decrypted result is not valid UTF-8"))
}

/// Reader for the SSH wire encoding (RFC 4251 strings and integers).
struct SshReader<'a>(&'a [u8]);

impl<'a> SshReader<'a> {
    fn u32(&mut self) -> Result<u32, String> {
        let (head, rest) = self
            .0
            .split_first_chunk::<4>()
            .ok_or("truncated key data")?;
        self.0 = rest;
        Ok(u32::from_be_bytes(*head))
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let len = self.u32()? as usize;
        if len > self.0.len() {
            return Err("truncated key data".into());
        }
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(head)
    }

    fn int(&mut self) -> Result<rsa::BigUint, String> {
        Ok(rsa::BigUint::from_bytes_be(self.bytes()?))
    }
}

/// An unencrypted RSA key in OpenSSH's `openssh-key-v1` format.
fn openssh_rsa_key(pem: &str) -> Result<rsa::RsaPrivateKey, String> {
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    let data = STANDARD
        .decode(body.trim())
        .map_err(|e| format!("invalid base64 in key: {e}"))?;
    let rest = data
        .strip_prefix(b"openssh-key-v1\0")
        .ok_or("not an openssh-key-v1 key")?;
    let mut r = SshReader(rest);
    let cipher = r.bytes()?;
    let _kdf = r.bytes()?;
    let _kdf_options = r.bytes()?;
    if cipher != b"none" {
        return Err("encrypted (passphrase-protected) keys are not supported".into());
    }
    if r.u32()? != 1 {
        return Err("expected exactly one key".into());
    }
    let _public = r.bytes()?;
    let mut p = SshReader(r.bytes()?);
    if p.u32()? != p.u32()? {
        return Err("corrupt private key (check values differ)".into());
    }
    if p.bytes()? != b"ssh-rsa" {
        return Err("only RSA keys can decrypt".into());
    }
    let n = p.int()?;
    let e = p.int()?;
    let d = p.int()?;
    let _iqmp = p.int()?;
    let prime1 = p.int()?;
    let prime2 = p.int()?;
    rsa::RsaPrivateKey::from_components(n, e, d, vec![prime1, prime2]).map_err(|e| e.to_string())
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

    const OPENSSH_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAlwAAAAdzc2gtcn\nNhAAAAAwEAAQAAAIEAsUI1lLI57f9A87ewjj6PzOKh7btAZo7F7ABrGKWrR1RtMibwPSk1\nPn+5E8F2AJ4YXHiDE0yU66qYS291UT8aUsSkC+1coNojnzGyPesa29sJEFlH1arqPybm4t\nxyavmvD22WtxDJrdWzugtAVPEXieKfI7Mg0W/xxtjES++fEy0AAAIAkWUN/pFlDf4AAAAH\nc3NoLXJzYQAAAIEAsUI1lLI57f9A87ewjj6PzOKh7btAZo7F7ABrGKWrR1RtMibwPSk1Pn\n+5E8F2AJ4YXHiDE0yU66qYS291UT8aUsSkC+1coNojnzGyPesa29sJEFlH1arqPybm4txy\navmvD22WtxDJrdWzugtAVPEXieKfI7Mg0W/xxtjES++fEy0AAAADAQABAAAAgGmtr4QXPb\nJGm9KxkPE9Gz5rX178ZEjAlf89wJvRKWw9SVy9Gj1cdAHu48iDbnavypZWws6euapG6sUO\njkMB/A6dEZnj97sXw6ZXw1VIlvrlssmeK54CUHz8bmSeCEk7AheniefuEdEr8X0LX96+uF\nsIuEdbaZTAb7yuaIENVbGBAAAAQQCQa2aTnCcqsc/BGVxoJimUMmJLSWCx9FnqWCouYaCG\n4Uk5+mMfYDK+/0ueQBGf5SdtI3u8vnBI1ecN60T8a3x3AAAAQQDsNAtuykBRB6U0dpvEPs\neurnOKCVKtw94WfiHUwoDsWv0mAtV3gQ3kcInW8OaVu5OyqMjKtxh5A8AvWlC//xODAAAA\nQQDAHXQWdn924HG8zXlmGRF4KakRkZBQ662Bw1J0oMVW2KqkctzUPYR9uFTqh1hZ8yulCb\n+gmMqCvxSDAu9NP4+PAAAABHRlc3QBAgMEBQY=\n-----END OPENSSH PRIVATE KEY-----";
    const OPENSSH_CIPHER: &str = "M8jNnVo7qe6udyiUae9RCDkud48ZDB0mMIzmN6k4zW03WsxBsWcVZKCXvW33lH15CuXP1sGR01xqDRMPluZlsM0djppRMB6/hwFAYpMuvg7gBWFdEG44f0udkv93XkXJIqgYmvKwoPnbnvAEcAb5dKh2pRcJYmcAcvYB40Zawk8=";

    #[test]
    fn rsadecrypt_openssh_key() {
        assert_eq!(
            call_ok("rsadecrypt", &[s(OPENSSH_CIPHER), s(OPENSSH_KEY)]),
            s("hello openssh")
        );
        let truncated = &OPENSSH_KEY[..200];
        assert!(call("rsadecrypt", &ctx(), &[s(OPENSSH_CIPHER), s(truncated)]).is_err());
    }

    #[test]
    fn rsadecrypt_pkcs1() {
        assert_eq!(call_ok("rsadecrypt", &[s(CIPHER), s(KEY)]), s("message"));
        assert!(call("rsadecrypt", &ctx(), &[s(CIPHER), s("not a key")]).is_err());
        assert!(call("rsadecrypt", &ctx(), &[s("AAAA"), s(KEY)]).is_err());
    }
}
