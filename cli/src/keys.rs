//! Reading key files for `build --sign`, `verify` and `diff`, with errors that name the file.

use std::path::Path;

use ed25519_dalek::{SigningKey, VerifyingKey};
use ward_compiler::bundle::sign;

pub fn private_key(path: &Path) -> Result<SigningKey, String> {
    let pem = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    sign::signing_key(&pem).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn public_key(path: &Path) -> Result<VerifyingKey, String> {
    let pem = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    sign::verifying_key(&pem).map_err(|e| format!("{}: {e}", path.display()))
}

/// The public key of an optional `--key`. A key that cannot be read is reported here, and
/// the command ends with `Err`'s outcome.
pub fn optional_public_key(path: Option<&Path>) -> Result<Option<VerifyingKey>, crate::Outcome> {
    path.map(public_key).transpose().map_err(|error| {
        eprintln!("error: {error}");
        crate::Outcome::Failure
    })
}
