//! Opening a policy bundle: a directory written by `ward build` (checked against its manifest)
//! or a signed `bundle.cbor` (checked against its signature too), with its IR decoded.

use std::collections::BTreeMap;
use std::path::Path;

use ed25519_dalek::VerifyingKey;
use ward_compiler::bundle::sign::{self, Manifest};
use ward_compiler::emit::Bundle;
use ward_compiler::ir::PolicyIr;

/// A bundle whose digests (and signature, when signed) hold.
#[derive(Debug)]
pub struct PolicyBundle {
    pub bundle: Bundle,
    pub manifest: Manifest,
    pub ir: PolicyIr,
}

impl PolicyBundle {
    /// A device configuration of the bundle (`devices/<class>.json`), as JSON.
    pub fn device_config(&self, class: &str) -> Option<serde_json::Value> {
        let bytes = self.bundle.files.get(&format!("devices/{class}.json"))?;
        serde_json::from_slice(bytes).ok()
    }
}

/// The files of a bundle directory, by path relative to it (with `/` separators).
pub fn read_dir(dir: &Path) -> Result<Bundle, String> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let entries =
            std::fs::read_dir(&current).map_err(|e| format!("{}: {e}", current.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .map_err(|e| e.to_string())?
                    .to_string_lossy()
                    .replace('\\', "/");
                let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                files.insert(relative, bytes);
            }
        }
    }
    Ok(Bundle { files })
}

/// How to treat a signed file when no key is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unsigned {
    /// Refuse: the file's signature must be checked (deploying, onboarding).
    Refuse,
    /// Read it without checking the signature (review tools such as `ward diff`).
    Read,
}

/// Opens a bundle directory or a signed file. A directory's `bundle.cbor`, when there is one
/// and a key is given, is what is read: the signature covers it, not the loose files.
pub fn open(
    path: &Path,
    key: Option<&VerifyingKey>,
    unsigned: Unsigned,
) -> Result<PolicyBundle, String> {
    let signed_path = if path.is_dir() {
        let signed = path.join("bundle.cbor");
        if key.is_some() && signed.is_file() {
            Some(signed)
        } else {
            None
        }
    } else {
        Some(path.to_path_buf())
    };
    let (bundle, manifest) = match (&signed_path, key) {
        (None, _) => {
            let bundle = read_dir(path)?;
            let manifest = sign::check_manifest(&bundle).map_err(|e| e.to_string())?;
            (bundle, manifest)
        }
        (Some(file), key) => {
            let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
            match (key, unsigned) {
                (Some(key), _) => {
                    let loaded = sign::load_signed(&bytes, key).map_err(|e| e.to_string())?;
                    (loaded.bundle, loaded.manifest)
                }
                (None, Unsigned::Read) => {
                    let loaded = sign::read_unverified(&bytes).map_err(|e| e.to_string())?;
                    (loaded.bundle, loaded.manifest)
                }
                (None, Unsigned::Refuse) => {
                    return Err(format!(
                        "{} is signed: give its public key with `--key NAME.pub`",
                        file.display()
                    ));
                }
            }
        }
    };
    let ir = bundle
        .files
        .get("ir.cbor")
        .ok_or("the bundle has no ir.cbor (built by an older ward?)")?;
    let ir: PolicyIr = ciborium::from_reader(ir.as_slice()).map_err(|e| format!("ir.cbor: {e}"))?;
    Ok(PolicyBundle {
        bundle,
        manifest,
        ir,
    })
}
