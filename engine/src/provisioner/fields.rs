//! Packer's run-time command templates: `execute_command = "chmod +x
//! {{.Path}}; {{.Vars}} {{.Path}}"`, `inventory_file_template`. Only
//! `{{ .Field }}` actions are filled here (the template front ends have
//! already evaluated everything else); like Go's `text/template` over a
//! map, a field with no value prints `<no value>`.

use std::sync::OnceLock;

use regex::Regex;

fn field_action() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\{\{-?\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}")
            .expect("a literal pattern compiles")
    })
}

/// Replace every `{{ .Name }}` in `template` with `lookup(Name)`.
pub fn fill(template: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    field_action()
        .replace_all(template, |caps: &regex::Captures<'_>| {
            lookup(&caps[1]).unwrap_or_else(|| "<no value>".to_string())
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_filled_and_missing_ones_print_no_value() {
        let out = fill(
            "chmod +x {{.Path}}; {{ .Vars }} {{.Path}} {{.Nope}}",
            |k| match k {
                "Path" => Some("/tmp/s.sh".into()),
                "Vars" => Some("A='1' ".into()),
                _ => None,
            },
        );
        assert_eq!(out, "chmod +x /tmp/s.sh; A='1'  /tmp/s.sh <no value>");
    }

    #[test]
    fn other_actions_are_left_alone() {
        assert_eq!(fill("{{user `x`}}", |_| None), "{{user `x`}}");
    }
}
