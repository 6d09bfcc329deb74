//! `ward verify BUNDLE --key PUB`: checks a signed `bundle.cbor` (signature, format version,
//! every digest) or a bundle directory (every digest, and its `bundle.cbor` when a key is
//! given). Exit 0 when all holds, 1 with the reason otherwise.

use std::path::{Path, PathBuf};

use ward_compiler::bundle::sign::{self, SignError};

use crate::Outcome;
use crate::stdout::outln;

#[derive(clap::Args)]
pub struct Args {
    /// A signed `bundle.cbor`, or a bundle directory.
    bundle: PathBuf,
    /// The public key (`NAME.pub` from `ward keygen`).
    #[arg(long, value_name = "PUB")]
    key: Option<PathBuf>,
}

pub fn run(args: Args) -> Outcome {
    let key = match crate::keys::optional_public_key(args.key.as_deref()) {
        Ok(key) => key,
        Err(outcome) => return outcome,
    };
    let signed_file = if args.bundle.is_dir() {
        let bundle = match ward_gateway::bundle::read_dir(&args.bundle) {
            Ok(bundle) => bundle,
            Err(error) => {
                eprintln!("error: {error}");
                return Outcome::Failure;
            }
        };
        match sign::check_manifest(&bundle) {
            Ok(manifest) => outln!(
                "{}: {} files match the manifest (revision {})",
                args.bundle.display(),
                bundle.files.len(),
                manifest.short_revision()
            ),
            Err(error) => return refuse(&args.bundle, &error),
        }
        let signed = args.bundle.join("bundle.cbor");
        if !signed.is_file() {
            if key.is_some() {
                eprintln!(
                    "error: {} has no bundle.cbor to check the signature of",
                    args.bundle.display()
                );
                return Outcome::Findings;
            }
            return Outcome::Clean;
        }
        if key.is_none() {
            // The loose files were checked; what the signature says was not.
            outln!(
                "{}: signed, but its signature was NOT checked: give the public key with `--key NAME.pub`",
                signed.display()
            );
            return Outcome::Clean;
        }
        signed
    } else {
        args.bundle.clone()
    };
    let Some(key) = key else {
        eprintln!("error: checking a signature needs the public key: `--key NAME.pub`");
        return Outcome::Failure;
    };
    let bytes = match std::fs::read(&signed_file) {
        Ok(bytes) => bytes,
        Err(error) => {
            eprintln!("error: {}: {error}", signed_file.display());
            return Outcome::Failure;
        }
    };
    match sign::verify_signed(&bytes, &key) {
        Ok(manifest) => {
            outln!(
                "{}: signature valid, {} files match the manifest (revision {})",
                signed_file.display(),
                manifest.files.len() + 1,
                manifest.short_revision()
            );
            Outcome::Clean
        }
        Err(error) => refuse(&signed_file, &error),
    }
}

fn refuse(path: &Path, error: &SignError) -> Outcome {
    eprintln!("error: {}: {error}", path.display());
    Outcome::Findings
}
