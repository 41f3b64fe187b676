//! Turning legacy template strings into HCL2 quoted templates for
//! `hcl2_upgrade`, the way Packer's upgrader does: `{{user `x`}}` →
//! `${var.x}`, `{{timestamp}}` → `${local.timestamp}`, `{{isotime "f"}}`
//! → `${legacy_isotime("f")}`, `{{uuid}}` → `${uuidv4()}`, … Calls with
//! no HCL2 equivalent (`lower`, `split`, `replace`, …) are kept as Go
//! template text and reported so the block gets an explanatory comment;
//! unknown actions such as `{{ .Field }}` are kept as written.

use super::gotmpl::{self, Node, Operand, Pipeline};
use super::hclwrite::escape_literal;

/// A call the upgrader cannot translate (rendered as a comment).
#[derive(Debug, Clone, PartialEq)]
pub struct Unhandled {
    pub call: &'static str,
    pub correspondance: &'static str,
    pub docs: &'static str,
}

impl Unhandled {
    /// The comment lines Packer writes for this call.
    pub fn lines(&self) -> Vec<String> {
        vec![
            format!("# unhandled {:?} call:", self.call),
            format!(
                "# there is no way to automatically upgrade the {:?} call.",
                self.call
            ),
            format!("# Please manually upgrade to {}", self.correspondance),
            format!("# Visit {} for more infos.", self.docs),
        ]
    }
}

const REPLACE_HINT: &str =
    "`replace(string, substring, replacement)` or `regex_replace(string, substring, replacement)`";
const REPLACE_DOCS: &str = "https://www.packer.io/docs/templates/hcl_templates/functions/string/replace or https://www.packer.io/docs/templates/hcl_templates/functions/string/regex_replace";

/// What the upgrader learned while translating strings.
#[derive(Debug, Default)]
pub struct TransposeState {
    /// `aws_secretsmanager` data sources: (name, optional key), numbered
    /// from 1 in order of first use.
    pub secrets: Vec<(String, Option<String>)>,
    /// Variables that became locals (`{{user `x`}}` → `${local.x}`).
    pub locals: std::collections::BTreeSet<String>,
    pub timestamp: bool,
    pub isotime: bool,
    pub strftime: bool,
}

/// A translated value: HCL template content (already escaped), plus the
/// raw text when it came from a literal.
#[derive(Debug, Clone)]
struct Up {
    content: String,
    raw: Option<String>,
    int: Option<i64>,
}

impl Up {
    fn text(s: String) -> Up {
        Up {
            content: s,
            raw: None,
            int: None,
        }
    }
    fn name(&self) -> &str {
        self.raw.as_deref().unwrap_or(&self.content)
    }
}

/// Outcome of translating one string.
pub enum Transposed {
    /// The HCL quoted-template content (without the quotes).
    Ok(String),
    /// The string could not be translated: its literal content and why.
    Failed(String, String),
}

impl TransposeState {
    /// Translate one template string; unhandled calls are appended to
    /// `errors`.
    pub fn string(&mut self, s: &str, errors: &mut Vec<Unhandled>) -> Transposed {
        let tmpl = match gotmpl::parse(s) {
            Ok(t) => t,
            Err(e) => return Transposed::Failed(escape_literal(s), e.message),
        };
        let mut out = String::new();
        let mut local_errors = Vec::new();
        for node in &tmpl.nodes {
            match node {
                Node::Text(t) => out.push_str(&escape_literal(t)),
                Node::Action(a) => {
                    let single = a.pipe.cmds.len() == 1 && a.pipe.cmds[0].args.len() == 1;
                    let known_call =
                        matches!(&a.pipe.cmds[0].args[0], Operand::Ident(f) if is_known(f));
                    if single && !known_call {
                        if let Operand::Ident(f) = &a.pipe.cmds[0].args[0] {
                            return Transposed::Failed(
                                escape_literal(s),
                                format!("function {f:?} not defined"),
                            );
                        }
                        // Fields and literals are kept as Go template text.
                        out.push_str(&escape_literal(&format!("{{{{ {} }}}}", a.pipe)));
                        continue;
                    }
                    match self.pipeline(&a.pipe, &mut local_errors) {
                        Ok(v) => out.push_str(&v.content),
                        Err(msg) => return Transposed::Failed(escape_literal(s), msg),
                    }
                }
            }
        }
        errors.extend(local_errors);
        Transposed::Ok(out)
    }

    /// Whether a variable default needs a local (it calls anything but
    /// `env`).
    pub fn needs_local(s: &str) -> bool {
        let Ok(t) = gotmpl::parse(s) else {
            return false;
        };
        let mut local = false;
        let mut unknown = false;
        for n in &t.nodes {
            if let Node::Action(a) = n {
                a.pipe.walk(&mut |op| {
                    if let Operand::Ident(f) = op {
                        if !VARIABLE_FUNCS.contains(&f.as_str()) {
                            unknown = true;
                        } else if f != "env" {
                            local = true;
                        }
                    }
                });
            }
        }
        local && !unknown
    }

    fn pipeline(&mut self, p: &Pipeline, errors: &mut Vec<Unhandled>) -> Result<Up, String> {
        let mut prev: Option<Up> = None;
        for cmd in &p.cmds {
            let (head, rest) = cmd.args.split_first().ok_or("empty command")?;
            let v = match head {
                Operand::Ident(f) => {
                    let mut args = rest
                        .iter()
                        .map(|a| self.operand(a, errors))
                        .collect::<Result<Vec<_>, _>>()?;
                    args.extend(prev.take());
                    self.call(f, &args, errors)?
                }
                other => {
                    if !rest.is_empty() || prev.is_some() {
                        return Err(format!("can't give argument to non-function {other}"));
                    }
                    self.operand(other, errors)?
                }
            };
            prev = Some(v);
        }
        prev.ok_or_else(|| "empty pipeline".to_string())
    }

    fn operand(&mut self, op: &Operand, errors: &mut Vec<Unhandled>) -> Result<Up, String> {
        Ok(match op {
            Operand::Ident(f) => self.call(f, &[], errors)?,
            Operand::Str { value, .. } => Up {
                content: escape_literal(value),
                raw: Some(value.clone()),
                int: None,
            },
            Operand::Int(n) => Up {
                content: n.to_string(),
                raw: Some(n.to_string()),
                int: Some(*n),
            },
            Operand::Sub(p) => self.pipeline(p, errors)?,
            other => Up::text(escape_literal(&other.to_string())),
        })
    }

    fn call(&mut self, f: &str, args: &[Up], errors: &mut Vec<Unhandled>) -> Result<Up, String> {
        let want = |n: usize| -> Result<(), String> {
            if args.len() == n {
                Ok(())
            } else {
                Err(format!(
                    "wrong number of args for {f}: want {n} got {}",
                    args.len()
                ))
            }
        };
        let int = |i: usize| -> Result<i64, String> {
            args[i].int.ok_or_else(|| {
                format!(
                    "wrong type for value; expected int; got string (argument {} of {f})",
                    i + 1
                )
            })
        };
        let s = |c: String| Ok(Up::text(c));
        match f {
            "aws_secretsmanager" => {
                if args.is_empty() || args.len() > 2 {
                    return Err("aws_secretsmanager takes a secret name and an optional key".into());
                }
                let name = args[0].name().to_string();
                let key = args.get(1).map(|k| k.name().to_string());
                let found = self
                    .secrets
                    .iter()
                    .position(|(n, k)| *n == name && (key.is_none() || *k == key));
                let idx = match found {
                    Some(i) => i,
                    None => {
                        self.secrets.push((name, key));
                        self.secrets.len() - 1
                    }
                };
                s(format!(
                    "${{data.amazon-secretsmanager.autogenerated_{}.value}}",
                    idx + 1
                ))
            }
            "timestamp" => {
                want(0)?;
                self.timestamp = true;
                s("${local.timestamp}".into())
            }
            "isotime" | "strftime" => match args.len() {
                0 => s("${timestamp()}".into()),
                1 => {
                    if f == "isotime" {
                        self.isotime = true;
                    } else {
                        self.strftime = true;
                    }
                    s(format!("${{legacy_{f}(\"{}\")}}", args[0].content))
                }
                n => Err(format!(
                    "wrong number of args for {f}: want at most 1 got {n}"
                )),
            },
            "user" => {
                want(1)?;
                let n = args[0].name();
                if self.locals.contains(n) {
                    s(format!("${{local.{n}}}"))
                } else {
                    s(format!("${{var.{n}}}"))
                }
            }
            "env" => {
                want(1)?;
                s(format!("${{env({})}}", go_quote(args[0].name())))
            }
            "build" | "data" => {
                want(1)?;
                s(format!("${{{f}.{}}}", args[0].name()))
            }
            "template_dir" => s("${path.root}".into()),
            "pwd" => s("${path.cwd}".into()),
            "packer_version" => s("${packer.version}".into()),
            "uuid" => s("${uuidv4()}".into()),
            "build_name" => s("${build.name}".into()),
            "build_type" => s("${build.type}".into()),
            "lower" | "upper" => {
                want(1)?;
                errors.push(Unhandled {
                    call: if f == "lower" { "lower" } else { "upper" },
                    correspondance: if f == "lower" {
                        "`lower(var.example)`"
                    } else {
                        "`upper(var.example)`"
                    },
                    docs: if f == "lower" {
                        "https://www.packer.io/docs/templates/hcl_templates/functions/string/lower"
                    } else {
                        "https://www.packer.io/docs/templates/hcl_templates/functions/string/upper"
                    },
                });
                s(format!("{{{{ {f} `{}` }}}}", args[0].content))
            }
            "split" => {
                want(3)?;
                let n = int(2)?;
                errors.push(Unhandled {
                    call: "split",
                    correspondance: "`split(separator, string)`",
                    docs:
                        "https://www.packer.io/docs/templates/hcl_templates/functions/string/split",
                });
                s(format!(
                    "{{{{ split `{}` `{}` {n} }}}}",
                    args[0].content, args[1].content
                ))
            }
            "replace" => {
                want(4)?;
                let n = int(2)?;
                errors.push(Unhandled {
                    call: "replace",
                    correspondance: REPLACE_HINT,
                    docs: REPLACE_DOCS,
                });
                s(format!(
                    "{{{{ replace `{}` `{}` `{}` {n} }}}}",
                    args[0].content, args[1].content, args[3].content
                ))
            }
            "replace_all" => {
                want(3)?;
                errors.push(Unhandled {
                    call: "replace_all",
                    correspondance: REPLACE_HINT,
                    docs: REPLACE_DOCS,
                });
                s(format!(
                    "{{{{ replace_all `{}` `{}` `{}` }}}}",
                    args[0].content, args[1].content, args[2].content
                ))
            }
            "clean_resource_name" => {
                want(1)?;
                errors.push(Unhandled {
                    call: "clean_resource_name",
                    correspondance: "use custom validation rules, `replace(string, substring, replacement)` or `regex_replace(string, substring, replacement)`",
                    docs: "https://packer.io/docs/templates/hcl_templates/variables#custom-validation-rules , https://www.packer.io/docs/templates/hcl_templates/functions/string/replace or https://www.packer.io/docs/templates/hcl_templates/functions/string/regex_replace",
                });
                s(format!(
                    "{{{{ clean_resource_name `{}` }}}}",
                    args[0].content
                ))
            }
            other => Err(format!("function {other:?} not defined")),
        }
    }
}

/// The functions the upgrader translates.
const UPGRADE_FUNCS: &[&str] = &[
    "aws_secretsmanager",
    "timestamp",
    "isotime",
    "strftime",
    "user",
    "env",
    "build",
    "data",
    "template_dir",
    "pwd",
    "packer_version",
    "uuid",
    "lower",
    "upper",
    "split",
    "replace",
    "replace_all",
    "clean_resource_name",
    "build_name",
    "build_type",
];

/// The functions Packer's upgrader accepts in variable defaults.
const VARIABLE_FUNCS: &[&str] = &[
    "aws_secretsmanager",
    "timestamp",
    "isotime",
    "strftime",
    "user",
    "env",
    "template_dir",
    "pwd",
    "packer_version",
    "uuid",
    "lower",
    "upper",
    "split",
    "replace",
    "replace_all",
];

fn is_known(f: &str) -> bool {
    UPGRADE_FUNCS.contains(&f)
}

/// Go's `%q` for a plain string, which is also a valid HCL string.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(s: &str) -> (String, usize) {
        let mut st = TransposeState::default();
        let mut errs = Vec::new();
        match st.string(s, &mut errs) {
            Transposed::Ok(c) => (c, errs.len()),
            Transposed::Failed(c, why) => (format!("FAILED {c} {why}"), errs.len()),
        }
    }

    #[test]
    fn translates_calls() {
        assert_eq!(up("a {{ user `x` }} b").0, "a ${var.x} b");
        assert_eq!(
            up("{{user \"conf\"}}-{{timestamp}}-{{isotime \"01-02-2006\"}}").0,
            "${var.conf}-${local.timestamp}-${legacy_isotime(\"01-02-2006\")}"
        );
        assert_eq!(up("{{ env `A` }}").0, "${env(\"A\")}");
        assert_eq!(
            up("{{ uuid }} {{ build `ID` }} {{build_name}}").0,
            "${uuidv4()} ${build.ID} ${build.name}"
        );
        assert_eq!(up("{{ .SourceAMI }}").0, "{{ .SourceAMI }}");
        assert_eq!(up("${x}").0, "$${x}");
    }

    #[test]
    fn unhandled_calls_are_kept_and_reported() {
        assert_eq!(
            up("echo {{ `SOMETHING` | lower }}"),
            ("echo {{ lower `SOMETHING` }}".into(), 1)
        );
        assert_eq!(
            up("mybuild-{{isotime | clean_resource_name}}"),
            (
                "mybuild-{{ clean_resource_name `${timestamp()}` }}".into(),
                1
            )
        );
        assert_eq!(
            up("{{ replace `some-string` `-` 1 `/` }}"),
            ("{{ replace `some-string` `-` `/` 1 }}".into(), 1)
        );
        assert_eq!(
            up("{{ replace_all `-` `/` build_name }}"),
            ("{{ replace_all `-` `/` `${build.name}` }}".into(), 1)
        );
        assert!(up("{{ isotime | clean_ami_name }}").0.starts_with("FAILED"));
        assert!(up("{{ split `a` `b` `c` }}").0.starts_with("FAILED"));
    }

    #[test]
    fn locals_detection() {
        assert!(TransposeState::needs_local("{{ timestamp }}"));
        assert!(!TransposeState::needs_local("{{ env `X` }}"));
        assert!(!TransposeState::needs_local("plain"));
        assert!(TransposeState::needs_local(
            "MY_{{ aws_secretsmanager `a` `b` }}"
        ));
    }
}
