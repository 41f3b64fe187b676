//! `kiln fmt` (placeholder until its issue lands; not reachable in a release).

#[derive(clap::Args, Debug)]
pub struct FmtArgs {}

pub fn run(_args: FmtArgs) -> anyhow::Result<u8> {
    anyhow::bail!("kiln fmt is under construction")
}
