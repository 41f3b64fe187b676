//! `hcl2_upgrade`: convert a legacy JSON template to an HCL2 template the
//! way `packer hcl2_upgrade` does — `variable` blocks (string typed,
//! sensitive kept), locals for defaults that need functions, `data`
//! blocks for `aws_secretsmanager` calls and amazon `source_ami_filter`s,
//! `source` blocks from the builders, and one `build` block with the
//! provisioners, error-cleanup provisioner and post-processor chains.
//! Template calls are translated (see `template::json::transpose`);
//! the output is formatted like `packer fmt`.

use std::collections::BTreeSet;
use std::path::Path;

use crate::diag::{Diagnostics, Sources};
use crate::template::json::hclwrite::{quote, Block, Expr, Item};
use crate::template::json::parse::{JsonKind, JsonMember, JsonNode};
use crate::template::json::timefmt::{format_duration, parse_duration};
use crate::template::json::transpose::TransposeState;
use crate::template::json::{load_json_template, parse_json_bytes, vars::weak_string};
use crate::template::LoadOptions;

use crate::template::json::upgrade_body::{
    body, collect_user_refs, string_expr, value_expr, with_notes,
};
use crate::template::json::upgrade_text::*;

/// Options of `hcl2_upgrade`.
#[derive(Debug, Clone, Default)]
pub struct UpgradeOptions {
    /// Add Packer's explanatory comments (`-with-annotations`).
    pub with_annotations: bool,
}

/// Upgrade a JSON template file. The template is first checked like
/// `validate -syntax-only`; its errors are returned as diagnostics.
pub fn upgrade_file(path: &Path, cwd: &Path, opts: &UpgradeOptions) -> Result<String, Diagnostics> {
    let load = LoadOptions {
        cwd: cwd.to_path_buf(),
        syntax_only: true,
        ..LoadOptions::default()
    };
    load_json_template(path, &load)?;
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let bytes = std::fs::read(&full).map_err(|e| {
        Diagnostics(vec![crate::diag::Diagnostic::error(
            "Failed to read file",
            format!("Error reading {}: {e}", path.display()),
        )])
    })?;
    upgrade_json(&bytes, &path.display().to_string(), opts)
}

/// Upgrade JSON template text (named `name` in diagnostics).
pub fn upgrade_json(
    bytes: &[u8],
    name: &str,
    opts: &UpgradeOptions,
) -> Result<String, Diagnostics> {
    let mut diags = Diagnostics::new();
    let mut sources = Sources::new();
    let Some((_, root)) = parse_json_bytes(bytes, name, &mut sources, &mut diags) else {
        return Err(diags);
    };
    if root.as_object().is_none() {
        diags.push(crate::diag::Diagnostic::error(
            "Invalid template",
            "A JSON template must be an object.",
        ));
        return Err(diags);
    }
    Ok(Upgrader::new(opts.with_annotations).run(&root))
}

/// A builder as the upgrader sees it.
struct Source {
    type_name: String,
    name: String,
    config: Vec<(String, JsonNode)>,
}

struct Upgrader {
    annotate: bool,
    st: TransposeState,
}

fn members(node: Option<&JsonMember>) -> &[JsonMember] {
    node.and_then(|m| m.value.as_object()).unwrap_or_default()
}

fn items(node: Option<&JsonMember>) -> &[JsonNode] {
    node.and_then(|m| m.value.as_array()).unwrap_or_default()
}

fn synthetic(s: &str) -> JsonNode {
    JsonNode {
        kind: JsonKind::String(s.to_string()),
        span: 0..0,
    }
}

impl Upgrader {
    fn new(annotate: bool) -> Self {
        Upgrader {
            annotate,
            st: TransposeState::default(),
        }
    }

    fn run(mut self, root: &JsonNode) -> String {
        let packer = self.packer_block(root);
        let (variables, locals) = self.variables(root);
        let mut sources = self.sources(root);
        let ami = self.amazon_ami(&mut sources);
        let source_text = self.source_blocks(&sources);
        let build = self.build_block(root, &sources);
        let secrets = self.secrets_blocks();

        let mut out = String::new();
        if self.annotate {
            out.push_str(FILE_HEADER);
        }
        if !packer.is_empty() {
            if self.annotate {
                out.push_str(PACKER_HEADER);
            }
            out.push_str(&packer);
        }
        if !variables.is_empty() {
            if self.annotate {
                out.push_str(INPUT_VAR_HEADER);
            }
            out.push_str(&variables);
        }
        if !secrets.is_empty() {
            if self.annotate {
                out.push_str(SECRETS_HEADER);
            }
            out.push_str(&secrets);
        }
        if !ami.is_empty() {
            if self.annotate {
                out.push_str(AMI_HEADER);
            }
            out.push_str(&ami);
        }
        if self.st.timestamp {
            out.push('\n');
            if self.annotate {
                out.push_str("# \"timestamp\" template function replacement\n");
            }
            out.push_str("locals { timestamp = regex_replace(timestamp(), \"[- TZ:]\", \"\") }\n");
        }
        if self.st.isotime {
            out.push_str(&legacy_time_note("legacy_isotime"));
        }
        if self.st.strftime {
            out.push_str(&legacy_time_note("legacy_strftime"));
        }
        if !locals.is_empty() {
            if self.annotate {
                out.push_str(LOCALS_HEADER);
            }
            out.push_str(&locals);
        }
        if !source_text.is_empty() {
            if self.annotate {
                out.push_str(SOURCES_HEADER);
            }
            out.push_str(&source_text);
        }
        if !build.is_empty() {
            out.push_str(if self.annotate { BUILD_HEADER } else { "\n" });
            out.push_str(&build);
        }
        out
    }

    /// `packer { required_version, required_plugins }`.
    fn packer_block(&mut self, root: &JsonNode) -> String {
        let mut plugins = BTreeSet::new();
        let mut types: Vec<&str> = Vec::new();
        for b in items(root.get("builders"))
            .iter()
            .chain(items(root.get("provisioners")))
        {
            types.extend(b.get("type").and_then(|t| t.value.as_str()));
        }
        for pp in items(root.get("post-processors")) {
            let chain: Vec<&JsonNode> = match pp.as_array() {
                Some(c) => c.iter().collect(),
                None => vec![pp],
            };
            for p in chain {
                types.extend(
                    p.as_str()
                        .or_else(|| p.get("type").and_then(|t| t.value.as_str())),
                );
            }
        }
        for t in types {
            if let Some(p) = KNOWN_PLUGINS.iter().find(|p| t.starts_with(*p)) {
                plugins.insert(*p);
            }
        }
        let min = root
            .get("min_packer_version")
            .and_then(|m| m.value.as_str());
        if min.is_none() && plugins.is_empty() {
            return String::new();
        }
        let mut b = Block::new("packer", &[]);
        if let Some(v) = min {
            b.attr("required_version", Expr::Raw(quote(&format!(">= {v}"))));
        }
        if !plugins.is_empty() {
            let mut req = Block::new("required_plugins", &[]);
            for p in plugins {
                req.attr(
                    p,
                    Expr::Object(vec![
                        (
                            "source".into(),
                            Expr::Raw(quote(&format!("github.com/hashicorp/{p}"))),
                        ),
                        ("version".into(), Expr::Raw(quote("~> 1"))),
                    ]),
                );
            }
            b.body.push(Item::Block(req));
        }
        b.render(0)
    }

    /// `variable` blocks, and locals for defaults that need functions.
    fn variables(&mut self, root: &JsonNode) -> (String, String) {
        let sensitive: BTreeSet<&str> = items(root.get("sensitive-variables"))
            .iter()
            .filter_map(|s| s.as_str())
            .collect();
        // (name, default, required)
        let mut vars: Vec<(String, String, bool)> = members(root.get("variables"))
            .iter()
            .map(|m| {
                let required = matches!(m.value.kind, JsonKind::Null);
                (
                    m.key.clone(),
                    weak_string(&m.value).unwrap_or_default(),
                    required,
                )
            })
            .collect();
        let declared: BTreeSet<String> = vars.iter().map(|v| v.0.clone()).collect();
        let mut referenced = BTreeSet::new();
        collect_user_refs(root, &mut referenced);
        for r in referenced {
            if !declared.contains(&r) {
                vars.push((r, String::new(), true));
            }
        }
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        for (name, default, _) in &vars {
            if TransposeState::needs_local(default) {
                self.st.locals.insert(name.clone());
            }
        }

        let mut var_out = String::new();
        let mut locals_out = String::new();
        let mut plain_locals: Vec<(String, String)> = Vec::new();
        for (name, default, required) in &vars {
            let is_sensitive = sensitive.contains(name.as_str());
            if self.st.locals.contains(name) {
                if is_sensitive {
                    let mut errs = Vec::new();
                    let expr = string_expr(&mut self.st, default, &mut errs);
                    let mut b = Block::new("local", &[name]);
                    b.attr("sensitive", Expr::Raw("true".into()));
                    b.attr("expression", expr.0);
                    locals_out.push_str(&with_notes(&errs, expr.1.as_deref(), "\n", &b.render(0)));
                } else {
                    plain_locals.push((name.clone(), default.clone()));
                }
                continue;
            }
            let mut b = Block::new("variable", &[name]);
            b.attr("type", Expr::Raw("string".into()));
            let mut note = None;
            if !default.is_empty() || !required {
                let mut errs = Vec::new();
                let (e, n) = string_expr(&mut self.st, default, &mut errs);
                note = n;
                b.attr("default", e);
            }
            if is_sensitive {
                b.attr("sensitive", Expr::Raw("true".into()));
            }
            var_out.push_str(&with_notes(&[], note.as_deref(), "\n", &b.render(0)));
        }
        if !plain_locals.is_empty() {
            let mut b = Block::new("locals", &[]);
            let mut errs = Vec::new();
            let mut note = None;
            for (name, default) in plain_locals {
                let (e, n) = string_expr(&mut self.st, &default, &mut errs);
                note = note.or(n);
                b.attr(&name, e);
            }
            locals_out.push_str(&with_notes(&errs, note.as_deref(), "\n", &b.render(0)));
        }
        (var_out, locals_out)
    }

    fn sources(&mut self, root: &JsonNode) -> Vec<Source> {
        let mut out: Vec<Source> = items(root.get("builders"))
            .iter()
            .filter_map(|b| {
                let obj = b.as_object()?;
                let type_name = b.get("type")?.value.as_str()?.to_string();
                let name = b
                    .get("name")
                    .and_then(|n| n.value.as_str())
                    .unwrap_or(&type_name)
                    .to_string();
                let config = obj
                    .iter()
                    .filter(|m| m.key != "type" && m.key != "name")
                    .map(|m| (m.key.clone(), m.value.clone()))
                    .collect();
                Some(Source {
                    type_name,
                    name,
                    config,
                })
            })
            .collect();
        out.sort_by_key(|s| s.type_name.clone() + &s.name);
        for (i, s) in out.iter_mut().enumerate() {
            if s.name.is_empty() || s.name == s.type_name || s.name.contains("{{") {
                s.name = format!("autogenerated_{}", i + 1);
            }
            s.name = s.name.trim().replace(' ', "_");
        }
        out
    }

    /// `data "amazon-ami"` blocks from amazon builders' `source_ami_filter`.
    fn amazon_ami(&mut self, sources: &mut [Source]) -> String {
        let mut out = String::new();
        let mut filters: Vec<Vec<(String, JsonNode)>> = Vec::new();
        for s in sources.iter_mut() {
            if !s.type_name.starts_with("amazon-") {
                continue;
            }
            let Some(pos) = s.config.iter().position(|(k, _)| k == "source_ami_filter") else {
                continue;
            };
            let mut cfg: Vec<(String, JsonNode)> = s.config[pos]
                .1
                .as_object()
                .unwrap_or_default()
                .iter()
                .map(|m| (m.key.clone(), m.value.clone()))
                .collect();
            for (k, v) in &s.config {
                if AWS_ACCESS_KEYS.contains(&k.as_str()) {
                    cfg.retain(|(ck, _)| ck != k);
                    cfg.push((k.clone(), v.clone()));
                }
            }
            cfg.sort_by(|a, b| a.0.cmp(&b.0));
            let same = |a: &Vec<(String, JsonNode)>| {
                a.len() == cfg.len()
                    && a.iter()
                        .zip(&cfg)
                        .all(|(x, y)| x.0 == y.0 && x.1.to_value() == y.1.to_value())
            };
            let (idx, dup) = match filters.iter().position(same) {
                Some(i) => (i + 1, true),
                None => (filters.len() + 1, false),
            };
            s.config.remove(pos);
            s.config.retain(|(k, _)| k != "source_ami");
            let reference = format!("{{{{ data `amazon-ami.autogenerated_{idx}.id` }}}}");
            s.config.push(("source_ami".into(), synthetic(&reference)));
            if dup {
                continue;
            }
            let name = format!("autogenerated_{idx}");
            let mut b = Block::new("data", &["amazon-ami", &name]);
            let mut errs = Vec::new();
            let mut notes = Vec::new();
            body(&mut self.st, &cfg, &mut b.body, &mut errs, &mut notes);
            filters.push(cfg);
            out.push_str(&with_notes(
                &errs,
                notes.first().map(String::as_str),
                "\n",
                &b.render(0),
            ));
        }
        out
    }

    fn source_blocks(&mut self, sources: &[Source]) -> String {
        let mut out = String::new();
        for s in sources {
            let mut b = Block::new("source", &[&s.type_name, &s.name]);
            let mut errs = Vec::new();
            let mut notes = Vec::new();
            body(&mut self.st, &s.config, &mut b.body, &mut errs, &mut notes);
            out.push_str(&with_notes(
                &errs,
                notes.first().map(String::as_str),
                "\n",
                &b.render(0),
            ));
        }
        out
    }

    fn secrets_blocks(&mut self) -> String {
        let mut out = String::new();
        for (i, (name, key)) in self.st.secrets.clone().iter().enumerate() {
            let id = format!("autogenerated_{}", i + 1);
            let mut b = Block::new("data", &["amazon-secretsmanager", &id]);
            if let Some(k) = key {
                b.attr("key", Expr::Raw(quote(k)));
            }
            b.attr("name", Expr::Raw(quote(name)));
            out.push('\n');
            out.push_str(&b.render(0));
        }
        out
    }

    fn build_block(&mut self, root: &JsonNode, sources: &[Source]) -> String {
        if sources.is_empty() {
            return String::new();
        }
        let mut body = String::new();
        if let Some(d) = root.get("description").and_then(|m| m.value.as_str()) {
            body.push_str(&format!("  description = {}\n\n", quote(d)));
        }
        let names: Vec<String> = sources
            .iter()
            .map(|s| quote(&format!("source.{}.{}", s.type_name, s.name)))
            .collect();
        body.push_str(&format!("  sources = [{}]\n\n", names.join(", ")));
        for p in items(root.get("provisioners")) {
            body.push_str(&self.provisioner("provisioner", p));
        }
        if let Some(p) = root.get("error-cleanup-provisioner") {
            body.push_str(&self.provisioner("error-cleanup-provisioner", &p.value));
        }
        for chain in items(root.get("post-processors")) {
            body.push_str(&self.post_processor_chain(chain));
        }
        format!("build {{\n{body}}}\n")
    }

    fn provisioner(&mut self, kind: &str, node: &JsonNode) -> String {
        let Some(type_name) = node.get("type").and_then(|t| t.value.as_str()) else {
            return String::new();
        };
        let mut cfg: Vec<(String, JsonNode)> = Vec::new();
        for m in node.as_object().unwrap_or_default() {
            match m.key.as_str() {
                "type" | "override" => {}
                "only" | "except" => {
                    if m.value.as_array().is_some_and(|a| !a.is_empty()) {
                        cfg.push((m.key.clone(), m.value.clone()));
                    }
                }
                "max_retries" => {
                    if let Some(s) = weak_string(&m.value).filter(|s| !s.is_empty()) {
                        cfg.push((m.key.clone(), synthetic(&s)));
                    }
                }
                "timeout" | "pause_before" => {
                    let text = weak_string(&m.value).unwrap_or_default();
                    if let Some(d) = parse_duration(&text).filter(|d| *d > 0) {
                        cfg.push((m.key.clone(), synthetic(&format_duration(d))));
                    }
                }
                _ => cfg.push((m.key.clone(), m.value.clone())),
            }
        }
        let mut b = Block::new(kind, &[type_name]);
        let mut errs = Vec::new();
        let mut notes = Vec::new();
        body(&mut self.st, &cfg, &mut b.body, &mut errs, &mut notes);
        if let Some(o) = node.get("override") {
            let e = value_expr(&mut self.st, &o.value, &mut errs, &mut notes);
            b.body.push(Item::Attr("override".into(), e));
        }
        let block = b.render(1) + "\n";
        with_notes(&errs, notes.first().map(String::as_str), "", &block)
    }

    fn post_processor_chain(&mut self, chain: &JsonNode) -> String {
        let pps: Vec<&JsonNode> = match chain.as_array() {
            Some(a) => a.iter().collect(),
            None => vec![chain],
        };
        let mut errs = Vec::new();
        let mut notes = Vec::new();
        let mut blocks = Vec::new();
        for pp in pps {
            let (type_name, obj) = match (pp.as_str(), pp.as_object()) {
                (Some(t), _) => (t.to_string(), &[][..]),
                (None, Some(o)) => match pp.get("type").and_then(|t| t.value.as_str()) {
                    Some(t) => (t.to_string(), o),
                    None => continue,
                },
                _ => continue,
            };
            let mut b = Block::new("post-processor", &[&type_name]);
            if let Some(JsonKind::Bool(k)) = pp.get("keep_input_artifact").map(|m| &m.value.kind) {
                b.attr("keep_input_artifact", Expr::Raw(k.to_string()));
            }
            let mut cfg: Vec<(String, JsonNode)> = Vec::new();
            for m in obj {
                match m.key.as_str() {
                    "type" | "keep_input_artifact" => {}
                    "name" if m.value.as_str() == Some(type_name.as_str()) => {}
                    "only" | "except" if !matches!(m.value.as_array(), Some(a) if !a.is_empty()) => {
                    }
                    _ => cfg.push((m.key.clone(), m.value.clone())),
                }
            }
            body(&mut self.st, &cfg, &mut b.body, &mut errs, &mut notes);
            blocks.push(b);
        }
        let text = match blocks.len() {
            0 => return String::new(),
            1 => blocks[0].render(1),
            _ => {
                let mut wrapper = Block::new("post-processors", &[]);
                wrapper.body = blocks.into_iter().map(Item::Block).collect();
                wrapper.render(1)
            }
        };
        with_notes(&errs, notes.first().map(String::as_str), "", &text)
    }
}
