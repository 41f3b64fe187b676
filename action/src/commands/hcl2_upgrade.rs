//! `kiln hcl2_upgrade` (placeholder until its issue lands; not reachable in a release).

#[derive(clap::Args, Debug)]
pub struct UpgradeArgs {}

pub fn run(_args: UpgradeArgs) -> anyhow::Result<u8> {
    anyhow::bail!("kiln hcl2_upgrade is under construction")
}
