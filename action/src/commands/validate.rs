//! `kiln validate` (placeholder until its issue lands; not reachable in a release).

#[derive(clap::Args, Debug)]
pub struct ValidateArgs {}

pub fn run(_args: ValidateArgs) -> anyhow::Result<u8> {
    anyhow::bail!("kiln validate is under construction")
}
