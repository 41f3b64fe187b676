//! Fuzz the HCL2 loader end to end: parse, decode, evaluate and validate
//! arbitrary bytes as a `.pkr.hcl` file (and as HCL JSON when the input
//! starts with `{`). Any panic is a bug; diagnostics are the expected
//! outcome for bad input.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = std::env::temp_dir().join(format!("kiln-fuzz-{}", std::process::id())).canonicalize().or_else(|_| {
        let d = std::env::temp_dir().join(format!("kiln-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).map(|_| d)
    }) else {
        return;
    };
    let name = if data.first() == Some(&b'{') { "t.pkr.json" } else { "t.pkr.hcl" };
    if std::fs::write(dir.join(name), data).is_err() {
        return;
    }
    let opts = kiln_lang::template::LoadOptions {
        cwd: dir.clone(),
        ..Default::default()
    };
    let _ = kiln_lang::validate::validate_full(Path::new(name), &opts);
    let _ = std::fs::remove_file(dir.join(name));
});
