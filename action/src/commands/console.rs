//! `kiln console [PATH]`: evaluate expressions against a template. Reads
//! one expression per line from stdin and prints each result; errors are
//! rendered and the session goes on (exit 1 at the end if any failed). The
//! `> ` prompt is shown only when stdin is a terminal.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use kiln_lang::diag::{render_text, SourceFile, Sources};
use kiln_lang::template::hcl2::ctx::EvalCtx;
use kiln_lang::template::load::load;
use kiln_lang::template::Value;

use super::common::VarArgs;

#[derive(clap::Args, Debug)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    /// A template file or directory (optional: without it only functions
    /// and `path`/`packer` are available).
    pub path: Option<PathBuf>,
}

pub fn run(args: ConsoleArgs) -> anyhow::Result<u8> {
    let opts = args.vars.load_options()?;
    let ctx = match &args.path {
        Some(p) => {
            let res = load(p, &opts);
            if res.diags.has_errors() {
                eprint!("{}", render_text(&res.diags.0, &res.sources));
                return Ok(1);
            }
            match res.loaded {
                Some(l) => l.ctx,
                None => return Ok(1),
            }
        }
        None => EvalCtx::new(&opts.cwd, &opts.cwd),
    };
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut stdout = std::io::stdout();
    let mut failed = false;
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            print!("> ");
            stdout.flush()?;
        }
        let Some(line) = lines.next() else { break };
        let line = line?;
        let input = line.trim();
        if input.is_empty() {
            continue;
        }
        if interactive && (input == "exit" || input == "quit") {
            break;
        }
        match evaluate(&ctx, input) {
            Ok(v) => println!("{}", show(&v)),
            Err(text) => {
                failed = true;
                eprint!("{text}");
            }
        }
    }
    Ok(u8::from(failed))
}

/// Evaluate one line; errors come back rendered.
pub fn evaluate(ctx: &EvalCtx, input: &str) -> Result<Value, String> {
    let file = SourceFile::new("<console-input>", input);
    let mut sources = Sources::new();
    sources.add(file.clone());
    let expr = hcl_edit::parser::parse_expr(input).map_err(|e| {
        let off = e.location().offset().min(input.len());
        let d = kiln_lang::diag::Diagnostic::error(
            "Invalid expression",
            format!("Parse error: {}.", e.message()),
        )
        .with_range(file.range(off..off));
        render_text(&[d], &sources)
    })?;
    ctx.try_eval(&expr, &file)
        .map_err(|d| render_text(&d.0, &sources))
}

/// Top-level strings print raw, like Packer's console; everything else in
/// HCL syntax.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
