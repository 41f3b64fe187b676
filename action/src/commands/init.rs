//! `kiln init` (placeholder until its issue lands; not reachable in a release).

#[derive(clap::Args, Debug)]
pub struct InitArgs {}

pub fn run(_args: InitArgs) -> anyhow::Result<u8> {
    anyhow::bail!("kiln init is under construction")
}
