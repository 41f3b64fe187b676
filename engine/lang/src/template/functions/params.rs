//! Parameter names (as in go-cty / Packer), so callers can word argument
//! errors the way HCL does: `Invalid value for "newbits" parameter: …`.
//! For variadic functions the last name covers all remaining arguments.

pub(crate) fn params(name: &str) -> &'static [&'static str] {
    match name {
        "abs" | "ceil" | "floor" | "signum" => &["num"],
        "log" => &["num", "base"],
        "pow" => &["num", "power"],
        "max" | "min" => &["numbers"],
        "parseint" => &["number", "base"],
        "sum" | "alltrue" | "anytrue" | "compact" | "distinct" | "flatten" | "reverse" | "sort" => {
            &["list"]
        }
        "range" => &["params", "params", "params"],
        "chomp" | "lower" | "upper" | "strrev" | "title" | "trimspace" | "base64decode"
        | "base64encode" | "base64gzip" | "csvdecode" | "jsondecode" | "urlencode" | "md5"
        | "sha1" | "sha256" | "sha512" => &["str"],
        "bcrypt" => &["str", "cost"],
        "endswith" => &["str", "suffix"],
        "startswith" => &["str", "prefix"],
        "strcontains" => &["str", "substr"],
        "format" | "formatlist" => &["format", "args"],
        "indent" => &["spaces", "str"],
        "join" => &["separator", "lists"],
        "split" => &["separator", "str"],
        "regex" | "regexall" => &["pattern", "string"],
        "regex_replace" => &["str", "pattern", "replace"],
        "replace" => &["str", "substr", "replace"],
        "substr" => &["str", "offset", "length"],
        "trim" => &["str", "cutset"],
        "trimprefix" => &["str", "prefix"],
        "trimsuffix" => &["str", "suffix"],
        "chunklist" => &["list", "size"],
        "coalesce" | "coalescelist" => &["vals"],
        "concat" => &["seqs"],
        "contains" | "index" => &["list", "value"],
        "element" => &["list", "index"],
        "keys" => &["inputMap"],
        "length" => &["value"],
        "lookup" => &["inputMap", "key", "default"],
        "merge" => &["maps"],
        "setintersection" | "setunion" => &["first_set", "other_sets"],
        "setproduct" => &["sets"],
        "setsubtract" => &["a", "b"],
        "slice" => &["list", "start_index", "end_index"],
        "transpose" => &["values"],
        "values" => &["mapping"],
        "zipmap" => &["keys", "values"],
        "jsonencode" => &["val"],
        "textdecodebase64" => &["source", "encoding"],
        "textencodebase64" => &["string", "encoding"],
        "yamldecode" => &["src"],
        "yamlencode" => &["value"],
        "abspath" | "basename" | "dirname" | "file" | "filebase64" | "fileexists"
        | "pathexpand" => &["path"],
        "fileset" => &["path", "pattern"],
        "templatefile" => &["path", "vars"],
        "formatdate" => &["format", "time"],
        "legacy_isotime" | "legacy_strftime" => &["format"],
        "timeadd" => &["timestamp", "duration"],
        "rfc3339_parse" => &["timestamp"],
        "unix_timestamp_parse" => &["unix_timestamp"],
        "rsadecrypt" => &["ciphertext", "privatekey"],
        "uuidv5" => &["namespace", "name"],
        "cidrhost" => &["prefix", "hostnum"],
        "cidrnetmask" => &["prefix"],
        "cidrsubnet" => &["prefix", "newbits", "netnum"],
        "cidrsubnets" => &["prefix", "newbits"],
        "can" => &["expression"],
        "try" => &["expressions"],
        "convert" => &["value", "type"],
        "tobool" | "tolist" | "tomap" | "tonumber" | "toset" | "tostring" => &["v"],
        "sensitive" | "nonsensitive" => &["value"],
        "aws_secretsmanager" => &["name", "key"],
        "aws_secretsmanager_raw" => &["name"],
        "consul_key" | "env" => &["key"],
        "vault" => &["path", "key"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::super::{lookup, names};

    #[test]
    fn every_function_with_arguments_names_them() {
        for name in names() {
            let Some(f) = lookup(name) else { continue };
            let params = super::params(name);
            let needed = f.max_args.unwrap_or(f.min_args.max(1));
            assert!(
                params.len() >= needed.min(1) && (f.max_args.is_none() || params.len() == needed),
                "{name}: {params:?} vs {:?}..{:?}",
                f.min_args,
                f.max_args
            );
        }
        let f = lookup("cidrsubnet");
        assert_eq!(f.map(|f| f.param_name(1)), Some(Some("newbits")));
        let f = lookup("join");
        assert_eq!(f.map(|f| f.param_name(5)), Some(Some("lists")));
        let f = lookup("timestamp");
        assert_eq!(f.map(|f| f.param_name(0)), Some(None));
    }
}
