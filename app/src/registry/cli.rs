//! `kiln-app token create --repo OWNER/NAME`: issue a registry token for a
//! repository (printed once on stdout; only its hash is stored). Uses the
//! same database settings as the server (`--database-url`,
//! `KILN_DATABASE_URL`).

use clap::Subcommand;

use super::store::Registry;
use super::tokens;
use crate::config::{Args, DEFAULT_DATABASE_URL};
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
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_string());
    let store = Store::connect(&url).await?;
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
