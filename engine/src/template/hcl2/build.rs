//! `build {}` blocks: name, description, sources (references and in-build
//! `source "source.T.N" {}` override blocks), provisioners,
//! post-processors (single and chained), the error-cleanup provisioner and
//! `hcp_packer_registry`.

use hcl_edit::expr::Expression;
use hcl_edit::structure::{Block, Structure};
use hcl_edit::Span;

use super::body::BodyEval;
use super::ctx::{list_literal_spans, EvalCtx};
use super::meta::{decode_pp, decode_provisioner};
use super::sources::{merge_config, unknown_source, SourceMap};
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::template::model::{Build, BuildSource, Component};
use crate::template::Value;

/// Decodes one build block.
pub struct BuildDecoder<'a, 'b> {
    pub file: &'a SourceFile,
    pub ctx: &'a EvalCtx,
    pub sources: &'a mut SourceMap<'b>,
    pub diags: &'a mut Diagnostics,
}

impl BuildDecoder<'_, '_> {
    fn err(&mut self, summary: &str, detail: String, span: Option<std::ops::Range<usize>>) {
        self.diags.push(
            Diagnostic::error(summary, detail)
                .with_range_opt(span.map(|s| self.file.range(s)))
                .with_context("build"),
        );
    }

    fn string_attr(&mut self, expr: &Expression, what: &str) -> Option<String> {
        match self.ctx.eval(expr, self.file, self.diags) {
            Value::String(s) => Some(s),
            Value::Unknown => None,
            other => {
                self.err(
                    "Incorrect attribute value type",
                    format!("Inappropriate value for attribute \"{what}\": string required, not {}.", other.type_name()),
                    expr.span(),
                );
                None
            }
        }
    }

    pub fn decode(&mut self, block: &Block) -> Build {
        let mut build = Build {
            range: block.ident.span().map(|s| self.file.range(s)),
            ..Build::default()
        };
        if let Some(l) = block.labels.first() {
            self.err(
                "Extraneous label for build",
                "No labels are expected for build blocks; use the \"name\" argument.".into(),
                l.span(),
            );
        }
        // Build names may not refer to variables: they are known before
        // anything is evaluated (Packer evaluates them without context).
        let name_ctx = EvalCtx::new(self.ctx.scope.base_dir(), self.ctx.scope.base_dir());
        for s in block.body.iter() {
            match s {
                Structure::Attribute(a) => match a.key.as_str() {
                    "name" => {
                        let refs = crate::template::eval::references(&a.value);
                        if let Some(r) = refs.first() {
                            self.err(
                                "Variables not allowed",
                                "Variables may not be used here: a build's name must be a literal string.".into(),
                                Some(r.span.clone()),
                            );
                        } else if let Value::String(n) = name_ctx.eval(&a.value, self.file, self.diags) {
                            build.name = Some(n);
                        }
                    }
                    "description" => build.description = self.string_attr(&a.value, "description"),
                    "sources" => self.source_refs(&a.value, &mut build),
                    other => self.err(
                        "Unsupported argument",
                        format!("An argument named \"{other}\" is not expected here."),
                        a.key.span(),
                    ),
                },
                Structure::Block(b) => self.block(b, &mut build),
            }
        }
        build
    }

    fn block(&mut self, b: &Block, build: &mut Build) {
        let kind = b.ident.as_str();
        let pctx = self.ctx.with_source(None);
        match kind {
            "source" => self.source_block(b, build),
            "provisioner" => {
                if let Some(p) = decode_provisioner(b, kind, self.file, &pctx, self.diags) {
                    build.provisioners.push(p);
                }
            }
            "error-cleanup-provisioner" => {
                if build.error_cleanup_provisioner.is_some() {
                    self.err(
                        "Duplicate error-cleanup-provisioner block",
                        "Only one error-cleanup-provisioner block is allowed per build.".into(),
                        b.ident.span(),
                    );
                    return;
                }
                build.error_cleanup_provisioner = decode_provisioner(b, kind, self.file, &pctx, self.diags);
            }
            "post-processor" => {
                if let Some(p) = decode_pp(b, self.file, &pctx, self.diags) {
                    build.post_processors.push(vec![p]);
                }
            }
            "post-processors" => {
                let mut chain = Vec::new();
                for s in b.body.iter() {
                    match s {
                        Structure::Block(pb) if pb.ident.as_str() == "post-processor" => {
                            if let Some(p) = decode_pp(pb, self.file, &pctx, self.diags) {
                                chain.push(p);
                            }
                        }
                        Structure::Block(pb) => self.err(
                            "Unsupported block type",
                            format!("Blocks of type \"{}\" are not expected here.", pb.ident.as_str()),
                            pb.ident.span(),
                        ),
                        Structure::Attribute(a) => self.err(
                            "Unsupported argument",
                            format!("An argument named \"{}\" is not expected here.", a.key.as_str()),
                            a.key.span(),
                        ),
                    }
                }
                if !chain.is_empty() {
                    build.post_processors.push(chain);
                }
            }
            "hcp_packer_registry" => {
                let body = BodyEval {
                    file: self.file,
                    context: "hcp_packer_registry",
                    diags: self.diags,
                }
                .eval(&b.body, &pctx, &[]);
                build.hcp_packer_registry = Some(body);
            }
            other => {
                let known = [
                    "source",
                    "provisioner",
                    "post-processor",
                    "post-processors",
                    "error-cleanup-provisioner",
                    "hcp_packer_registry",
                ];
                let hint = crate::schema::suggest::did_you_mean(other, known.iter().copied());
                self.err(
                    "Unsupported block type",
                    format!("Blocks of type \"{other}\" are not expected here.{hint}"),
                    b.ident.span(),
                );
            }
        }
    }

    /// `sources = ["source.T.N", …]`.
    fn source_refs(&mut self, expr: &Expression, build: &mut Build) {
        let spans = list_literal_spans(expr);
        let value = self.ctx.eval(expr, self.file, self.diags);
        let Value::List(items) = value else {
            if !value.is_unknown() {
                self.err(
                    "Incorrect attribute value type",
                    format!("Inappropriate value for attribute \"sources\": list of string required, not {}.", value.type_name()),
                    expr.span(),
                );
            }
            return;
        };
        for (i, item) in items.iter().enumerate() {
            let span = spans.get(i).cloned().flatten().or_else(|| expr.span());
            let Some(reference) = item.as_str() else {
                self.err(
                    "Invalid source reference",
                    format!("A source reference must be a string like \"source.null.example\", not {}.", item.type_name()),
                    span,
                );
                continue;
            };
            self.add_source(reference, None, span, build);
        }
    }

    /// `source "source.T.N" { name = "…"  overrides… }`.
    fn source_block(&mut self, b: &Block, build: &mut Build) {
        let [label] = b.labels.as_slice() else {
            self.err(
                "Invalid source block",
                "A source block inside a build needs one label: the source reference, e.g. source \"source.null.example\" {}."
                    .into(),
                b.ident.span(),
            );
            return;
        };
        self.add_source(label.as_str(), Some(b), label.span(), build);
    }

    fn add_source(
        &mut self,
        reference: &str,
        overrides: Option<&Block>,
        span: Option<std::ops::Range<usize>>,
        build: &mut Build,
    ) {
        let key = reference
            .strip_prefix("source.")
            .or_else(|| reference.strip_prefix("sources."))
            .unwrap_or(reference);
        let range = span.clone().map(|s| self.file.range(s));
        let Some(def) = self.sources.get_mut(key) else {
            self.diags.push(unknown_source(key, self.sources, range).with_context("build"));
            return;
        };
        def.used = true;
        let base: Component = def.component.clone();
        let mut build_name = base.name.clone().unwrap_or_default();
        let mut builder = base;
        if let Some(ob) = overrides {
            if let Some(a) = ob.body.get_attribute("name") {
                if let Some(n) = self.string_attr(&a.value, "name") {
                    build_name = n;
                }
            }
            let sctx = self.ctx.with_source(Some((builder.type_name.as_str(), build_name.as_str())));
            let context = builder.context.clone();
            let over = BodyEval {
                file: self.file,
                context: &context,
                diags: self.diags,
            }
            .eval(&ob.body, &sctx, &["name"]);
            builder.config = merge_config(&builder.config, over);
        }
        let full = format!("{}.{}", builder.type_name, build_name);
        if build
            .sources
            .iter()
            .any(|s| format!("{}.{}", s.builder.type_name, s.build_name) == full)
        {
            self.err(
                "Duplicate source in build",
                format!("The source \"{full}\" is used more than once in this build; give it a different name with a source block's \"name\" argument."),
                span,
            );
            return;
        }
        build.sources.push(BuildSource {
            builder,
            build_name,
            range,
        });
    }
}
