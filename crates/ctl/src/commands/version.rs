//! `version`.

use std::io::Write;

use super::common::{Failure, open};
use crate::cli::{Target, VersionArgs};

pub fn run(args: &VersionArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let _ = writeln!(out, "Client Version:    v{}", env!("CARGO_PKG_VERSION"));
    if args.client {
        return Ok(());
    }
    let target = Target {
        config: args.config.clone(),
        namespace: None,
    };
    let client = open(&target)?;
    let _ = writeln!(out, "Cluster Type:      tortie,{}", client.backend_kind());
    let _ = writeln!(out, "Datastore Revision: {}", client.revision()?);
    Ok(())
}
