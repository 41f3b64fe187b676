//! The runner's file commands: step outputs (`$GITHUB_OUTPUT`) and the job
//! summary (`$GITHUB_STEP_SUMMARY`), appended like `@actions/core` does.

use std::io::Write as _;
use std::path::Path;

/// `NAME<<DELIM\nVALUE\nDELIM\n` with a random delimiter the value cannot
/// end early (the toolkit's `prepareKeyValueMessage`).
pub fn key_value(name: &str, value: &str) -> anyhow::Result<String> {
    let delimiter = format!("ghadelimiter_{}", uuid::Uuid::new_v4());
    anyhow::ensure!(
        !name.contains(&delimiter) && !value.contains(&delimiter),
        "output {name:?} contains the delimiter"
    );
    anyhow::ensure!(
        !name.is_empty() && !name.contains(['\n', '\r']),
        "invalid output name {name:?}"
    );
    Ok(format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"))
}

/// Append text to a runner file (created if missing).
pub fn append(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_random_and_frame_multiline_values() {
        let a = key_value("unformatted", "a.pkr.hcl\nb.pkr.hcl").unwrap();
        let b = key_value("unformatted", "a.pkr.hcl\nb.pkr.hcl").unwrap();
        assert_ne!(a, b);
        let lines: Vec<&str> = a.lines().collect();
        let delim = lines[0].strip_prefix("unformatted<<").unwrap();
        assert!(delim.starts_with("ghadelimiter_") && delim.len() > 20);
        assert_eq!(lines[1..], ["a.pkr.hcl", "b.pkr.hcl", delim]);
    }
}
