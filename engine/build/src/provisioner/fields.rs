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
        Regex::new(r"\{\{-?\s*(?:\.([A-Za-z_][A-Za-z0-9_]*)|(build_name|build_type))\s*-?\}\}")
            .expect("a literal pattern compiles")
    })
}

/// Replace every `{{ .Name }}` in `template` with `lookup(Name)`, and
/// `{{ build_name }}` / `{{ build_type }}` with `lookup("build_name")` /
/// `lookup("build_type")`.
pub fn fill(template: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    field_action()
        .replace_all(template, |caps: &regex::Captures<'_>| {
            let name = caps
                .get(1)
                .or_else(|| caps.get(2))
                .map_or("", |m| m.as_str());
            lookup(name).unwrap_or_else(|| "<no value>".to_string())
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
    fn build_name_and_type() {
        let out = fill("{{ build_name }}/{{build_type}}", |k| {
            Some(format!("<{k}>"))
        });
        assert_eq!(out, "<build_name>/<build_type>");
    }

    #[test]
    fn other_actions_are_left_alone() {
        assert_eq!(fill("{{user `x`}}", |_| None), "{{user `x`}}");
    }
}
