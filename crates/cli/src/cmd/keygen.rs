//! `fusioncell keygen --id ID --out DIR`.

use std::process::ExitCode;

use fusioncell_keys::SigningKey;
use fusioncell_wire::IdentityId;

use crate::args::KeygenArgs;
use crate::files::{create_dir, write_key_pair};

pub(super) fn run(args: KeygenArgs) -> anyhow::Result<ExitCode> {
    let id =
        IdentityId::new(args.id.clone()).map_err(|e| anyhow::anyhow!("--id {}: {e}", args.id))?;
    create_dir(&args.out)?;
    let key = SigningKey::generate()?;
    write_key_pair(&args.out, id.as_str(), &key)?;
    eprintln!(
        "wrote {0}/{id}.key (private, mode 0600) and {0}/{id}.pub; public_key for the cell config:",
        args.out.display()
    );
    crate::outln!("{}", hex::encode(key.public_key().bytes()));
    Ok(ExitCode::SUCCESS)
}
