//! Opening a policy bundle: a directory written by `ward build` (checked against its manifest)
//! or a signed `bundle.cbor` (checked against its signature too), with its IR decoded.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use ward_compiler::bundle::sign::{self, Manifest, SignError};
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

/// Why a bundle did not open.
#[derive(Debug)]
pub enum BundleError {
    /// A file (the bundle, one of its files, the public key) could not be read.
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// The key, the signature, the manifest's digests or the format were refused.
    Sign { path: PathBuf, error: SignError },
    /// A signed bundle, and no key to check it with.
    NeedsKey { path: PathBuf },
    /// The bundle carries no IR (built by an older ward).
    NoIr { path: PathBuf },
    /// The IR does not decode.
    Ir { path: PathBuf, detail: String },
}

impl std::fmt::Display for BundleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BundleError::Read { path, error } => write!(f, "{}: {error}", path.display()),
            BundleError::Sign { path, error } => write!(f, "{}: {error}", path.display()),
            BundleError::NeedsKey { path } => write!(
                f,
                "{} is signed: give its public key with `--key NAME.pub`",
                path.display()
            ),
            BundleError::NoIr { path } => write!(
                f,
                "{}: the bundle has no ir.cbor (built by an older ward?)",
                path.display()
            ),
            BundleError::Ir { path, detail } => write!(f, "{}: ir.cbor: {detail}", path.display()),
        }
    }
}

impl std::error::Error for BundleError {}

fn read(path: &Path) -> Result<Vec<u8>, BundleError> {
    std::fs::read(path).map_err(|error| BundleError::Read {
        path: path.to_path_buf(),
        error,
    })
}

/// The public key of a PEM file, to check signed bundles with.
pub fn verifying_key(path: &Path) -> Result<VerifyingKey, BundleError> {
    let pem = read(path)?;
    sign::verifying_key(&String::from_utf8_lossy(&pem)).map_err(|error| BundleError::Sign {
        path: path.to_path_buf(),
        error,
    })
}

/// The files of a bundle directory, by path relative to it (with `/` separators).
pub fn read_dir(dir: &Path) -> Result<Bundle, BundleError> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let entries = std::fs::read_dir(&current).map_err(|error| BundleError::Read {
            path: current.clone(),
            error,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                // Entries of the walk are under `dir`.
                let Ok(relative) = path.strip_prefix(dir) else {
                    continue;
                };
                let relative = relative.to_string_lossy().replace('\\', "/");
                files.insert(relative, read(&path)?);
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
) -> Result<PolicyBundle, BundleError> {
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
            let manifest = sign::check_manifest(&bundle).map_err(|error| BundleError::Sign {
                path: path.to_path_buf(),
                error,
            })?;
            (bundle, manifest)
        }
        (Some(file), key) => {
            let bytes = read(file)?;
            let refused = |error| BundleError::Sign {
                path: file.clone(),
                error,
            };
            let loaded = match (key, unsigned) {
                (Some(key), _) => sign::load_signed(&bytes, key).map_err(refused)?,
                (None, Unsigned::Read) => sign::read_unverified(&bytes).map_err(refused)?,
                (None, Unsigned::Refuse) => {
                    return Err(BundleError::NeedsKey { path: file.clone() });
                }
            };
            (loaded.bundle, loaded.manifest)
        }
    };
    let ir = bundle
        .files
        .get("ir.cbor")
        .ok_or_else(|| BundleError::NoIr {
            path: path.to_path_buf(),
        })?;
    let ir: PolicyIr = ciborium::from_reader(ir.as_slice()).map_err(|e| BundleError::Ir {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    Ok(PolicyBundle {
        bundle,
        manifest,
        ir,
    })
}
