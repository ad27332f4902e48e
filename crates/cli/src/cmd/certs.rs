//! `fusioncell certs --out DIR`.

use std::process::ExitCode;

use crate::args::CertsArgs;
use crate::certs::dev_certs;
use crate::files::{create_dir, write_new};

pub(super) fn run(args: CertsArgs) -> anyhow::Result<ExitCode> {
    create_dir(&args.out)?;
    let certs = dev_certs(&args.name, &args.hosts)?;
    write_new(&args.out.join("ca.pem"), certs.ca_pem.as_bytes(), false)?;
    write_new(&args.out.join("ca.key"), certs.ca_key_pem.as_bytes(), true)?;
    write_new(
        &args.out.join("relay.pem"),
        certs.relay_pem.as_bytes(),
        false,
    )?;
    write_new(
        &args.out.join("relay-tls.key"),
        certs.relay_key_pem.as_bytes(),
        true,
    )?;
    eprintln!(
        "wrote ca.pem, ca.key, relay.pem, relay-tls.key in {} (development only)",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
