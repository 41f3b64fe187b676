//! `kiln-app token create --repo OWNER/NAME`: issue a registry token for a
//! repository (printed once on stdout; only its hash is stored). Uses the
//! same database settings as the server, with the same precedence:
//! `--database-url` / `KILN_DATABASE_URL`, then `database_url` of the
//! `--config` / `KILN_APP_CONFIG` file, then the default SQLite file.

use clap::Subcommand;

use super::store::Registry;
use super::tokens;
use crate::config::{mask_url, Args, Config};
use crate::store::Store;

#[derive(Subcommand, Debug, Clone)]
pub enum Command {
    /// Registry API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Subcommand, Debug, Clone)]
pub enum TokenCommand {
    /// Create a token that may record manifests, move channels and revoke
    /// versions of REPO's buckets; printed once.
    Create {
        /// The repository, OWNER/NAME.
        #[arg(long)]
        repo: String,
    },
}

/// Run a subcommand; the process exit code.
pub async fn run(cmd: Command, args: &Args) -> anyhow::Result<()> {
    let url = Config::database_url(args)?;
    tracing::debug!(database = %mask_url(&url), "token command");
    let store = Store::connect(&url)
        .await
        .map_err(|e| anyhow::anyhow!("database {}: {e}", mask_url(&url)))?;
    match cmd {
        Command::Token(TokenCommand::Create { repo }) => {
            let token = tokens::create(&Registry::new(&store), &repo).await?;
            println!("{token}");
            eprintln!(
                "kiln-app: created a registry token for {repo} (shown once; store it as a secret)"
            );
        }
    }
    Ok(())
}
