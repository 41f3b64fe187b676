//! Sorting the top-level blocks of all files by type and decoding the
//! `packer {}` block. Unknown top-level blocks and arguments are errors.

use hcl_edit::structure::{Block, Structure};
use hcl_edit::Span;

use super::ctx::EvalCtx;
use super::parse::HclFile;
use crate::diag::{Diagnostic, Diagnostics};
use crate::template::model::RequiredPlugin;
use crate::template::Value;

/// A block and the index of the file it is in.
pub type Located<'a> = (usize, &'a Block);

/// The top-level blocks of a template, by type.
#[derive(Default)]
pub struct TopLevel<'a> {
    pub packer: Vec<Located<'a>>,
    pub variables: Vec<Located<'a>>,
    pub variables_blocks: Vec<Located<'a>>,
    pub locals: Vec<Located<'a>>,
    pub local: Vec<Located<'a>>,
    pub sources: Vec<Located<'a>>,
    pub data: Vec<Located<'a>>,
    pub builds: Vec<Located<'a>>,
    pub hcp_registry: Vec<Located<'a>>,
}

const KNOWN: &[&str] = &[
    "packer",
    "variable",
    "variables",
    "locals",
    "local",
    "source",
    "data",
    "build",
    "hcp_packer_registry",
];

pub fn collect<'a>(files: &'a [HclFile], diags: &mut Diagnostics) -> TopLevel<'a> {
    let mut top = TopLevel::default();
    for (i, f) in files.iter().enumerate() {
        for s in f.body.iter() {
            match s {
                Structure::Attribute(a) => diags.push(
                    Diagnostic::error(
                        "Unsupported argument",
                        format!(
                            "An argument named \"{}\" is not expected here.",
                            a.key.as_str()
                        ),
                    )
                    .with_range_opt(a.key.span().map(|s| f.file.range(s))),
                ),
                Structure::Block(b) => {
                    let list = match b.ident.as_str() {
                        "packer" => &mut top.packer,
                        "variable" => &mut top.variables,
                        "variables" => &mut top.variables_blocks,
                        "locals" => &mut top.locals,
                        "local" => &mut top.local,
                        "source" => &mut top.sources,
                        "data" => &mut top.data,
                        "build" => &mut top.builds,
                        "hcp_packer_registry" => &mut top.hcp_registry,
                        other => {
                            let hint =
                                crate::schema::suggest::did_you_mean(other, KNOWN.iter().copied());
                            diags.push(
                                Diagnostic::error(
                                    "Unsupported block type",
                                    format!(
                                        "Blocks of type \"{other}\" are not expected here.{hint}"
                                    ),
                                )
                                .with_range_opt(b.ident.span().map(|s| f.file.range(s))),
                            );
                            continue;
                        }
                    };
                    list.push((i, b));
                }
            }
        }
    }
    top
}

/// What the `packer {}` blocks declare.
#[derive(Debug, Default)]
pub struct PackerSettings {
    pub required_version: Option<String>,
    pub required_plugins: Vec<RequiredPlugin>,
}

/// Decode `packer { required_version, required_plugins {} }` and check
/// `required_version` against [`crate::PACKER_COMPAT_VERSION`].
pub fn decode_packer(
    blocks: &[Located<'_>],
    files: &[HclFile],
    ctx: &EvalCtx,
    diags: &mut Diagnostics,
) -> PackerSettings {
    let mut out = PackerSettings::default();
    for &(fi, block) in blocks {
        let file = &files[fi].file;
        let at = |s: Option<std::ops::Range<usize>>| s.map(|s| file.range(s));
        for s in block.body.iter() {
            match s {
                Structure::Attribute(a) if a.key.as_str() == "required_version" => {
                    match ctx.eval(&a.value, file, diags) {
                        Value::String(c) => {
                            match crate::schema::version_satisfies(crate::PACKER_COMPAT_VERSION, &c) {
                                Ok(true) => {}
                                Ok(false) => diags.push(
                                    Diagnostic::error(
                                        "Unsupported Packer Core version",
                                        format!(
                                            "This configuration does not support Packer version {}. To proceed, \
                                             either choose another supported Packer version or update this \
                                             version constraint. Version constraints are normally set for good \
                                             reason, so updating the constraint may lead to other errors or \
                                             unexpected behavior.",
                                            crate::PACKER_COMPAT_VERSION
                                        ),
                                    )
                                    .with_range_opt(at(a.value.span()))
                                    .with_context("packer"),
                                ),
                                Err(e) => diags.push(
                                    Diagnostic::error("Invalid version constraint", e)
                                        .with_range_opt(at(a.value.span()))
                                        .with_context("packer"),
                                ),
                            }
                            out.required_version = Some(c);
                        }
                        Value::Unknown => {}
                        other => diags.push(
                            Diagnostic::error(
                                "Invalid version constraint",
                                format!(
                                    "required_version must be a string, not {}.",
                                    other.type_name()
                                ),
                            )
                            .with_range_opt(at(a.value.span())),
                        ),
                    }
                }
                Structure::Block(b) if b.ident.as_str() == "required_plugins" => {
                    decode_required_plugins(b, fi, files, ctx, &mut out, diags);
                }
                Structure::Attribute(a) => diags.push(
                    Diagnostic::error(
                        "Unsupported argument",
                        format!(
                            "An argument named \"{}\" is not expected here.",
                            a.key.as_str()
                        ),
                    )
                    .with_range_opt(at(a.key.span()))
                    .with_context("packer"),
                ),
                Structure::Block(b) => diags.push(super::unsupported_block(b, file, "packer")),
            }
        }
    }
    out
}

fn decode_required_plugins(
    block: &Block,
    fi: usize,
    files: &[HclFile],
    ctx: &EvalCtx,
    out: &mut PackerSettings,
    diags: &mut Diagnostics,
) {
    let file = &files[fi].file;
    for a in block.body.attributes() {
        let range = a.key.span().map(|s| file.range(s));
        let value = ctx.eval(&a.value, file, diags);
        let (source, version) = match &value {
            Value::Map(m) => (
                m.get("source").and_then(Value::as_str).map(str::to_string),
                m.get("version").and_then(Value::as_str).map(str::to_string),
            ),
            Value::Unknown => continue,
            _ => (None, None),
        };
        let Some(source) = source else {
            diags.push(
                Diagnostic::error(
                    "Invalid required_plugins entry",
                    format!(
                        "The plugin \"{}\" must be an object with a \"source\" string, e.g. \
                         {{ source = \"github.com/hashicorp/amazon\", version = \">= 1.0.0\" }}.",
                        a.key.as_str()
                    ),
                )
                .with_range_opt(a.value.span().map(|s| file.range(s)))
                .with_context("packer"),
            );
            continue;
        };
        out.required_plugins.push(RequiredPlugin {
            local_name: a.key.as_str().to_string(),
            source,
            version,
            range,
        });
    }
}
