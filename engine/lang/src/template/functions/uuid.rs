//! UUID generation.

use super::helpers::{arg_err, str_arg, string, R};
use super::FuncCtx;
use crate::template::Value;

pub fn uuidv4(_: &FuncCtx, _: &[Value]) -> R {
    Ok(string(::uuid::Uuid::new_v4().hyphenated().to_string()))
}

pub fn uuidv5(_: &FuncCtx, a: &[Value]) -> R {
    let ns = str_arg(a, 0)?;
    let namespace = match ns.as_ref() {
        "dns" => ::uuid::Uuid::NAMESPACE_DNS,
        "url" => ::uuid::Uuid::NAMESPACE_URL,
        "oid" => ::uuid::Uuid::NAMESPACE_OID,
        "x500" => ::uuid::Uuid::NAMESPACE_X500,
        other => ::uuid::Uuid::parse_str(other).map_err(|_| {
            arg_err(0, format!("uuidv5() doesn't support namespace prefix {other:?} (expected \"dns\", \"url\", \"oid\", \"x500\" or a UUID)"))
        })?,
    };
    let name = str_arg(a, 1)?;
    Ok(string(
        ::uuid::Uuid::new_v5(&namespace, name.as_bytes())
            .hyphenated()
            .to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_ok, ctx, s};
    use crate::template::functions::call;

    #[test]
    fn docs_examples() {
        assert_eq!(
            call_ok("uuidv5", &[s("dns"), s("www.terraform.io")]),
            s("a5008fae-b28c-5ba5-96cd-82b4c53552d6")
        );
        assert_eq!(
            call_ok("uuidv5", &[s("url"), s("https://www.terraform.io/")]),
            s("9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5")
        );
        assert_eq!(
            call_ok("uuidv5", &[s("oid"), s("1.3.6.1.4")]),
            s("af9d40a5-7a36-5c07-b23a-851cd99fbfa5")
        );
        assert_eq!(
            call_ok("uuidv5", &[s("x500"), s("CN=Example,C=GB")]),
            s("84e09961-4aa4-57f8-95b7-03edb1073253")
        );
        assert_eq!(
            call_ok(
                "uuidv5",
                &[
                    s("6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
                    s("www.terraform.io")
                ]
            ),
            s("a5008fae-b28c-5ba5-96cd-82b4c53552d6")
        );
        assert!(call("uuidv5", &ctx(), &[s("bogus"), s("x")]).is_err());
        let a = call_ok("uuidv4", &[]);
        let a = a.as_str().unwrap_or_default().to_string();
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
        assert_ne!(call_ok("uuidv4", &[]), s(&a));
    }
}
