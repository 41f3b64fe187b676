//! The HCL2 front end: `*.pkr.hcl` (and HCL-JSON `*.pkr.json`) files →
//! an evaluated [`Template`].
//!
//! Order of evaluation follows Packer: the `packer {}` block, variable
//! declarations and their values (see [`crate::template::vars`]), data
//! sources (in dependency order), locals (in dependency order), sources,
//! then builds. Every problem is a located diagnostic; decoding goes on
//! after errors so that one run reports as much as possible.

pub(crate) mod body;
pub(crate) mod build;
pub(crate) mod collect;
pub mod ctx;
pub(crate) mod data;
pub(crate) mod hcp;
pub(crate) mod json_body;
pub(crate) mod locals;
pub(crate) mod meta;
pub mod order;
pub mod parse;
pub mod sources;
pub(crate) mod variables;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Diagnostics, SourceFile, Sources};
use crate::template::model::{Component, Template, TemplateFormat, Variable};
use crate::template::{vars, LoadOptions, Value};
use ctx::EvalCtx;
use parse::HclFile;

/// An evaluated HCL2 template plus what the commands need beyond the
/// shared model.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The evaluated template.
    pub template: Template,
    /// The final evaluation context (`var`, `local`, `data`, …), for
    /// `kiln console`.
    pub ctx: EvalCtx,
    /// Sources no build refers to (still validated).
    pub unused_sources: Vec<Component>,
    /// Locals declared `sensitive = true`.
    pub sensitive_locals: Vec<String>,
}

impl Loaded {
    /// The values never to print: those of sensitive variables and of
    /// locals declared `sensitive = true`.
    pub fn sensitive_values(&self) -> Vec<String> {
        let t = &self.template;
        let mut out: Vec<String> = t
            .variables
            .iter()
            .filter(|v| v.sensitive)
            .filter_map(|v| v.value.to_display_string())
            .collect();
        out.extend(
            self.sensitive_locals
                .iter()
                .filter_map(|name| t.locals.get(name))
                .filter_map(|v| v.to_display_string()),
        );
        out
    }
}

/// Everything loading produced: the template when decoding got far enough,
/// all diagnostics, and the files read (for rendering).
#[derive(Debug, Default)]
pub struct LoadResult {
    /// The template; `None` when loading stopped early (a file that does
    /// not parse, a `required_version` mismatch, …).
    pub loaded: Option<Loaded>,
    /// Every error and warning found, in the order found.
    pub diags: Diagnostics,
    /// The text of every file read, for [`crate::diag::render_text`].
    pub sources: Sources,
}

/// Load HCL2 template files. `root` is the path the user gave (file or
/// directory); `dir` the directory holding the files (`path.root`);
/// `auto_vars` whether `*.auto.pkrvars.*` files of `dir` apply.
pub fn load_files(
    files: &[PathBuf],
    root: &Path,
    dir: &Path,
    auto_vars: bool,
    opts: &LoadOptions,
) -> LoadResult {
    let mut res = LoadResult::default();
    let mut parsed = Vec::new();
    for path in files {
        let name = display_name(path, &opts.cwd);
        let full = if path.is_absolute() {
            path.clone()
        } else {
            opts.cwd.join(path)
        };
        let result = if name.ends_with(".json") {
            json_body::read_json_body(&full, &name, &mut res.sources)
        } else {
            parse::read_hcl_file(&full, &name, &mut res.sources)
        };
        match result {
            Ok(f) => parsed.push(f),
            Err(d) => res.diags.push(d),
        }
    }
    if res.diags.has_errors() {
        return res;
    }
    let loaded = decode(
        &parsed,
        root,
        dir,
        auto_vars,
        opts,
        &mut res.sources,
        &mut res.diags,
    );
    res.loaded = Some(loaded);
    res
}

/// A file name for messages: relative to the working directory when it is
/// inside it.
pub fn display_name(path: &Path, cwd: &Path) -> String {
    path.strip_prefix(cwd).unwrap_or(path).display().to_string()
}

fn decode(
    files: &[HclFile],
    root: &Path,
    dir: &Path,
    auto_vars: bool,
    opts: &LoadOptions,
    sources: &mut Sources,
    diags: &mut Diagnostics,
) -> Loaded {
    let top = collect::collect(files, diags);
    let abs_dir = if dir.is_absolute() {
        dir.to_path_buf()
    } else {
        opts.cwd.join(dir)
    };
    let mut ctx = EvalCtx::new(dir, &opts.cwd);
    ctx.scope.set_sandbox(opts.sandbox.clone());
    ctx.scope.set_aws_secrets(opts.aws_secrets.clone());
    let mut template = Template {
        format: TemplateFormat::Hcl2,
        path: root.to_path_buf(),
        sources: Sources::new(),
        description: None,
        required_version: None,
        required_plugins: Vec::new(),
        variables: Vec::new(),
        locals: BTreeMap::new(),
        data_sources: Vec::new(),
        builds: Vec::new(),
    };
    if opts.syntax_only {
        template.sources = sources.clone();
        return Loaded {
            template,
            ctx,
            unused_sources: Vec::new(),
            sensitive_locals: Vec::new(),
        };
    }

    // Variables: declarations, then values.
    let mut decls: Vec<variables::VarDecl> = Vec::new();
    for &(fi, block) in &top.variables {
        if let Some(d) = variables::decode_variable(block, fi, &files[fi].file, &ctx, diags) {
            push_decl(&mut decls, d, diags);
        }
    }
    for &(fi, block) in &top.variables_blocks {
        for d in variables::decode_variables_block(block, &files[fi].file, &ctx, diags) {
            push_decl(&mut decls, d, diags);
        }
    }
    ctx.declared_vars = decls.iter().map(|d| d.name.clone()).collect();
    let packer = collect::decode_packer(&top.packer, files, &ctx, diags);
    template.required_version = packer.required_version;
    template.required_plugins = packer.required_plugins;

    let auto_dir = auto_vars.then_some(abs_dir.as_path());
    let values = vars::assign_values(&mut decls, auto_dir, opts, &ctx, sources, diags);
    ctx.scope.set("var", Value::Map(values.clone()));
    let file_list: Vec<SourceFile> = files.iter().map(|f| f.file.clone()).collect();
    vars::run_validations(&decls, &values, &file_list, &ctx, diags);
    template.variables = decls
        .iter()
        .map(|d| Variable {
            name: d.name.clone(),
            type_expr: d.type_text.clone(),
            default: d.default.clone(),
            value: values.get(&d.name).cloned().unwrap_or(Value::Unknown),
            description: d.description.clone(),
            sensitive: d.sensitive,
            range: d.range.clone(),
        })
        .collect();

    let mut locals = locals::eval_locals(&top, files, &mut ctx, locals::Phase::BeforeData, diags);
    template.data_sources = data::eval_data(
        &top,
        files,
        &mut ctx,
        opts.evaluate_datasources.then(|| {
            opts.data_sources
                .as_deref()
                .unwrap_or(&crate::datasource::NoDataSources as &dyn crate::datasource::DataSources)
        }),
        diags,
    );
    let later = locals::eval_locals(&top, files, &mut ctx, locals::Phase::AfterData, diags);
    locals.values.extend(later.values);
    template.locals = locals.values;

    let mut source_map = sources::eval_sources(&top, files, &ctx, diags);
    for &(fi, block) in &top.builds {
        let build = build::BuildDecoder {
            file: &files[fi].file,
            fallback: None,
            ctx: &ctx,
            sources: &mut source_map,
            diags,
            per_source: false,
            reeval: None,
        }
        .decode(block);
        template.builds.push(build);
    }
    if let Some(&(fi, block)) = top.hcp_registry.first() {
        let body = hcp::decode_registry(block, &files[fi].file, &ctx, diags);
        for b in template
            .builds
            .iter_mut()
            .filter(|b| b.hcp_packer_registry.is_none())
        {
            b.hcp_packer_registry = Some(body.clone());
        }
    }
    for &(fi, block) in top.hcp_registry.iter().skip(1) {
        diags.push(
            Diagnostic::error(
                "Duplicate hcp_packer_registry block",
                "Only one top-level hcp_packer_registry block is allowed.",
            )
            .with_range_opt(hcl_edit::Span::span(&block.ident).map(|s| files[fi].file.range(s))),
        );
    }
    let unused_sources = source_map
        .into_values()
        .filter(|s| !s.used)
        .map(|s| s.component)
        .collect();
    template.sources = sources.clone();
    Loaded {
        template,
        ctx,
        unused_sources,
        sensitive_locals: locals.sensitive,
    }
}

fn push_decl(decls: &mut Vec<variables::VarDecl>, d: variables::VarDecl, diags: &mut Diagnostics) {
    if let Some(prev) = decls.iter().find(|p| p.name == d.name) {
        let prev_at = prev
            .range
            .as_ref()
            .map(|r| format!(" at {}:{}", r.filename, r.start.line))
            .unwrap_or_default();
        diags.push(
            Diagnostic::error(
                "Duplicate variable",
                format!("Duplicate {} variable definition found{prev_at}.", d.name),
            )
            .with_range_opt(d.range.clone()),
        );
        return;
    }
    decls.push(d);
}

/// HCL's "Unsupported block type" error for a block that may not appear in
/// `context`, located at the block's type name.
pub(crate) fn unsupported_block(
    b: &hcl_edit::structure::Block,
    file: &SourceFile,
    context: impl Into<String>,
) -> Diagnostic {
    use hcl_edit::Span as _;
    Diagnostic::error(
        "Unsupported block type",
        format!(
            "Blocks of type \"{}\" are not expected here.",
            b.ident.as_str()
        ),
    )
    .with_range_opt(b.ident.span().map(|s| file.range(s)))
    .with_context(context)
}
