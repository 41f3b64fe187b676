//! `kiln`: a Packer-compatible command line (same commands, flags and exit
//! codes) on the kiln engine.

mod actions;
mod args;
mod commands;
mod logging;
mod render;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "kiln",
    version = kiln_lang::PACKER_COMPAT_VERSION,
    about = "Build golden machine images from Packer templates",
    long_about = "kiln reads Packer templates (HCL2 *.pkr.hcl and legacy JSON) and validates, formats, inspects and builds them.\nFlags follow Packer: `-flag`, `-flag=value` and `--flag value` are all accepted."
)]
struct Cli {
    /// GitHub Actions mode: annotations, job summary and step outputs
    /// (on by default when GITHUB_ACTIONS=true).
    #[arg(long = "github-actions", global = true)]
    github_actions: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check that a template is valid.
    Validate(commands::validate::ValidateArgs),
    /// Run the builds of a template.
    Build(commands::build::BuildArgs),
    /// Rewrite HCL2 templates and var files to the canonical format.
    Fmt(commands::fmt::FmtArgs),
    /// Show the variables, sources and builds of a template.
    Inspect(commands::inspect::InspectArgs),
    /// Evaluate expressions against a template (REPL or stdin).
    Console(commands::console::ConsoleArgs),
    /// Convert a legacy JSON template to HCL2.
    #[command(name = "hcl2_upgrade")]
    Hcl2Upgrade(commands::hcl2_upgrade::UpgradeArgs),
    /// Check that every required plugin is served by a built-in component.
    Init(commands::init::InitArgs),
    /// Print the kiln version and the Packer version it follows.
    Version,
    /// List the builds of a template as a GitHub Actions build matrix.
    Matrix(commands::matrix::MatrixArgs),
    /// Move Terraform AMI variables to the images a Packer manifest records.
    Bump(commands::bump::BumpArgs),
}

fn main() -> ExitCode {
    logging::init();
    // GitHub Action entry point (`kiln github-action`): the INPUT_*
    // variables become one or more kiln command lines.
    let invocations = match actions::inputs::invocations(std::env::args_os().collect()) {
        Ok(v) => v,
        Err(code) => return ExitCode::from(code),
    };
    let mut code = 0;
    for argv in invocations {
        code = code.max(run(argv));
    }
    if let Some(gh) = actions::mode() {
        code = gh.finish(code);
    }
    ExitCode::from(code)
}

fn run(argv: Vec<std::ffi::OsString>) -> u8 {
    let mut argv = args::normalize(argv);
    // Packer takes `-machine-readable` before the command too
    // (`packer -machine-readable build t.pkr.hcl`).
    if argv.get(1).is_some_and(|a| a == "--machine-readable")
        && argv.get(2).is_some_and(|a| a == "build")
    {
        argv.swap(1, 2);
    }
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            if let (true, Some(gh)) = (e.use_stderr(), actions::init(false)) {
                let text = e.render().to_string();
                let first = text.lines().next().unwrap_or_default();
                gh.annotate(
                    actions::command::Level::Error,
                    "kiln",
                    &Default::default(),
                    first,
                );
            }
            let _ = e.print();
            return code;
        }
    };
    actions::init(cli.github_actions);
    let result = match cli.command {
        Command::Validate(a) => commands::validate::run(a),
        Command::Build(a) => commands::build::run(a),
        Command::Fmt(a) => commands::fmt::run(a),
        Command::Inspect(a) => commands::inspect::run(a),
        Command::Console(a) => commands::console::run(a),
        Command::Hcl2Upgrade(a) => commands::hcl2_upgrade::run(a),
        Command::Init(a) => commands::init::run(a),
        Command::Matrix(a) => commands::matrix::run(a),
        Command::Bump(a) => commands::bump::run(a),
        Command::Version => {
            println!(
                "kiln v{} (Packer v{} compatible)",
                env!("CARGO_PKG_VERSION"),
                kiln_lang::PACKER_COMPAT_VERSION
            );
            Ok(0)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if let Some(gh) = actions::mode() {
                gh.annotate(
                    actions::command::Level::Error,
                    "kiln",
                    &Default::default(),
                    &format!("{e:#}"),
                );
            }
            eprintln!("Error: {e:#}");
            1
        }
    }
}
