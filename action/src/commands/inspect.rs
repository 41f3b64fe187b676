//! `kiln inspect` (placeholder until its issue lands; not reachable in a release).

#[derive(clap::Args, Debug)]
pub struct InspectArgs {}

pub fn run(_args: InspectArgs) -> anyhow::Result<u8> {
    anyhow::bail!("kiln inspect is under construction")
}
