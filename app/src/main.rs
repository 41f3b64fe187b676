use clap::Parser;
use kiln_app::config::{Args, Config};

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KILN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    if let Some(cmd) = args.command.clone() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build();
        return match rt
            .map_err(anyhow::Error::from)
            .and_then(|rt| rt.block_on(kiln_app::registry::cli::run(cmd, &args)))
        {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("kiln-app: {e:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let cfg = match Config::resolve(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("kiln-app: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kiln-app: starting the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(kiln_app::run(cfg)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kiln-app: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
