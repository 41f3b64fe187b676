//! `kiln console` (placeholder until its issue lands; not reachable in a release).

#[derive(clap::Args, Debug)]
pub struct ConsoleArgs {}

pub fn run(_args: ConsoleArgs) -> anyhow::Result<u8> {
    anyhow::bail!("kiln console is under construction")
}
