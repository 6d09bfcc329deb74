//! `ward keygen -o NAME`: an Ed25519 key pair for signing bundles: NAME (private, PKCS#8 PEM,
//! readable by its owner only) and NAME.pub (public, SPKI PEM). Existing files are never
//! overwritten: a lost signing key cannot be recovered.

use std::io::Write;
use std::path::{Path, PathBuf};

use ward_compiler::bundle::sign;

use crate::Outcome;
use crate::stdout::outln;

#[derive(clap::Args)]
pub struct Args {
    /// Where to write the private key; the public key goes to the same path plus `.pub`.
    #[arg(short, long, value_name = "NAME")]
    output: PathBuf,
}

fn create(path: &Path, text: &str, private: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

pub fn run(args: Args) -> Outcome {
    let public_path = PathBuf::from(format!("{}.pub", args.output.display()));
    for path in [&args.output, &public_path] {
        if path.exists() {
            eprintln!(
                "error: {} exists; ward never overwrites a key (remove it first if you mean to)",
                path.display()
            );
            return Outcome::Failure;
        }
    }
    // A missing folder is created, readable by its owner only: it holds a private key.
    if let Some(folder) = args.output.parent().filter(|p| !p.as_os_str().is_empty())
        && !folder.exists()
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        if let Err(error) = builder.create(folder) {
            eprintln!(
                "error: {}: cannot create the folder: {error}",
                folder.display()
            );
            return Outcome::Failure;
        }
    }
    let (private, public) = match sign::generate_key() {
        Ok(pair) => pair,
        Err(error) => {
            eprintln!("error: {error}");
            return Outcome::Failure;
        }
    };
    if let Err(error) = create(&args.output, &private, true) {
        eprintln!("error: {}: {error}", args.output.display());
        return Outcome::Failure;
    }
    if let Err(error) = create(&public_path, &public, false) {
        eprintln!("error: {}: {error}", public_path.display());
        return Outcome::Failure;
    }
    outln!(
        "wrote {} (private, keep it secret) and {} (public, for gateways and `ward verify`)",
        args.output.display(),
        public_path.display()
    );
    Outcome::Clean
}
