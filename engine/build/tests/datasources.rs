//! The build layer's data sources, run through the language layer's
//! seam (`LoadOptions::data_sources`) as `kiln validate
//! -evaluate-datasources` and `kiln build` run them.

use kiln_lang::template::model::{ConfigAttr, ConfigBody};
use kiln_lang::template::{LoadOptions, Value};
use kiln_lang::validate::validate_full;

/// A configuration body with these attributes (no source ranges).
fn config(pairs: &[(&str, Value)]) -> ConfigBody {
    let mut b = ConfigBody::default();
    for (k, v) in pairs {
        b.attrs.insert(
            k.to_string(),
            ConfigAttr {
                value: v.clone(),
                name_range: None,
                value_range: None,
            },
        );
    }
    b
}

#[test]
fn http_data_source_fetches_from_loopback() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let req = String::from_utf8_lossy(&req).to_lowercase();
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nami-1",
            );
            req
        } else {
            String::new()
        }
    });
    let src = format!(
        "data \"http\" \"x\" {{\n  url = \"http://127.0.0.1:{port}/latest\"\n  request_headers = {{ Accept = \"text/plain\" }}\n}}\nlocals {{\n  body = data.http.x.body\n}}\n"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("t.pkr.hcl"), &src).expect("write");
    let opts = LoadOptions {
        cwd: dir.path().to_path_buf(),
        evaluate_datasources: true,
        data_sources: Some(kiln_build::data_sources()),
        ..LoadOptions::default()
    };
    let res = validate_full(&dir.path().join("t.pkr.hcl"), &opts);
    assert!(!res.diags.has_errors(), "{:#?}", res.diags);
    let l = res.loaded.expect("loaded");
    assert_eq!(l.template.locals.get("body"), Some(&Value::from("ami-1")));
    let req = server.join().expect("server");
    assert!(req.starts_with("get /latest http/1.1"), "{req}");
    assert!(req.contains("accept: text/plain"), "{req}");
}

#[test]
fn without_a_table_only_null_runs() {
    // The language layer alone (kiln-app, plain validate) leaves other
    // data sources unknown instead of reaching the network.
    let dir = tempfile::tempdir().expect("tempdir");
    let src = "data \"http\" \"x\" {\n  url = \"http://127.0.0.1:9/never\"\n}\ndata \"null\" \"n\" {\n  input = \"v\"\n}\nlocals {\n  body = data.http.x.body\n  n    = data.null.n.output\n}\n";
    std::fs::write(dir.path().join("t.pkr.hcl"), src).expect("write");
    let opts = LoadOptions {
        cwd: dir.path().to_path_buf(),
        evaluate_datasources: true,
        ..LoadOptions::default()
    };
    let res = validate_full(&dir.path().join("t.pkr.hcl"), &opts);
    assert!(!res.diags.has_errors(), "{:#?}", res.diags);
    let l = res.loaded.expect("loaded");
    assert_eq!(l.template.locals.get("n"), Some(&Value::from("v")));
    assert_eq!(l.template.locals.get("body"), Some(&Value::Unknown));
}

#[test]
fn the_description_rules_run_before_a_data_source_calls_out() {
    use kiln_lang::datasource::DataSources;
    // amazon-ami without owners: refused by the catalogue's rule, so no
    // EC2 call is made (the endpoint would refuse the connection anyway).
    let mut filters = std::collections::BTreeMap::new();
    filters.insert("name".to_string(), Value::from("ubuntu/*"));
    let body = config(&[
        ("region", Value::from("us-east-1")),
        ("custom_endpoint_ec2", Value::from("http://127.0.0.1:9")),
        ("filters", Value::Map(filters)),
    ]);
    let out = kiln_build::BuiltinDataSources
        .execute("amazon-ami", &body)
        .expect("amazon-ami is in the table");
    let err = out.expect_err("no owners").to_string();
    assert!(
        err.starts_with("amazon-ami data source: ") && err.contains("owner"),
        "{err}"
    );
}

#[test]
fn http_and_registry_errors_name_the_url_and_status() {
    use kiln_lang::datasource::DataSources;
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let bodies = [
            "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno",
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 27\r\nConnection: close\r\n\r\n{\"error\":\"no such channel\"}",
        ];
        for body in bodies {
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf);
                let _ = s.write_all(body.as_bytes());
            }
        }
    });
    let body = |pairs: &[(&str, String)]| {
        let pairs: Vec<(&str, Value)> = pairs
            .iter()
            .map(|(k, v)| (*k, Value::from(v.clone())))
            .collect();
        config(&pairs)
    };
    let url = format!("http://127.0.0.1:{port}/x");
    let http = kiln_build::BuiltinDataSources
        .execute("http", &body(&[("url", url.clone())]))
        .expect("http is in the table")
        .expect_err("404");
    assert_eq!(
        http.to_string(),
        format!("HTTP GET {url} returned status 404.")
    );
    let registry = kiln_build::BuiltinDataSources
        .execute(
            "kiln-registry-version",
            &body(&[
                ("registry_url", format!("http://127.0.0.1:{port}/")),
                ("bucket_name", "golden base".into()),
                ("channel_name", "prod".into()),
            ]),
        )
        .expect("in the table")
        .expect_err("404");
    assert_eq!(
        registry.to_string(),
        format!(
            "Registry request GET http://127.0.0.1:{port}/api/v1/buckets/golden%20base/channels/prod returned status 404: no such channel"
        )
    );
    server.join().expect("server");
}
