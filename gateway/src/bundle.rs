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
    /// The sequence number it was signed with (`ward build --sequence`); none when unsigned
    /// or signed by an older ward.
    pub sequence: Option<u64>,
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
    /// Signed with a key none of the trusted keys is.
    UnknownKey { path: PathBuf, key_id: String },
    /// Signed with a key the operator retired.
    KeyRetired { key_id: String },
    /// Signed without a sequence number (by an older ward).
    Unsequenced,
    /// A lower sequence number than one already accepted: an old bundle replayed.
    Rollback { sequence: u64, highest: u64 },
    /// The sequence number of the bundle in force, with other contents.
    SequenceReused { sequence: u64 },
    /// The state database could not say, or record, which bundle was accepted.
    State(String),
}

impl BundleError {
    /// The stable code of a refusal, for the API and the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::Rollback { .. } => "bundle-rollback",
            BundleError::SequenceReused { .. } => "bundle-sequence-reused",
            BundleError::KeyRetired { .. } => "bundle-key-retired",
            BundleError::UnknownKey { .. } => "bundle-unknown-key",
            BundleError::Unsequenced => "bundle-unsequenced",
            _ => "bundle-refused",
        }
    }
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
            BundleError::UnknownKey { path, key_id } => write!(
                f,
                "{}: signed with key {key_id}, which is none of the gateway's keys (`--key`)",
                path.display()
            ),
            BundleError::KeyRetired { key_id } => {
                write!(f, "signed with key {key_id}, which was retired")
            }
            BundleError::Unsequenced => f.write_str(
                "the bundle has no sequence number: rebuild it with `ward build --sign KEY --sequence N`",
            ),
            BundleError::Rollback { sequence, highest } => write!(
                f,
                "bundle {sequence} is older than bundle {highest}, already accepted: an old bundle is never loaded again"
            ),
            BundleError::SequenceReused { sequence } => write!(
                f,
                "bundle {sequence} was accepted with other contents: a new bundle needs a higher `--sequence`"
            ),
            BundleError::State(message) => write!(f, "state: {message}"),
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
    let (bundle, manifest, sequence) = match (&signed_path, key) {
        (None, _) => {
            let bundle = read_dir(path)?;
            let manifest = sign::check_manifest(&bundle).map_err(|error| BundleError::Sign {
                path: path.to_path_buf(),
                error,
            })?;
            (bundle, manifest, None)
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
            (loaded.bundle, loaded.manifest, loaded.sequence)
        }
    };
    with_ir(path, bundle, manifest, sequence)
}

/// A checked bundle with its IR decoded.
fn with_ir(
    path: &Path,
    bundle: Bundle,
    manifest: Manifest,
    sequence: Option<u64>,
) -> Result<PolicyBundle, BundleError> {
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
        sequence,
    })
}

/// Opens a signed bundle with the trusted key its signature names (key rotation: several keys
/// are trusted at once, each known by its id).
pub fn open_trusted(
    path: &Path,
    keys: &[VerifyingKey],
) -> Result<(PolicyBundle, String), BundleError> {
    let file = if path.is_dir() {
        path.join("bundle.cbor")
    } else {
        path.to_path_buf()
    };
    let bytes = read(&file)?;
    let signed = sign::signed_header(&bytes).map_err(|error| BundleError::Sign {
        path: file.clone(),
        error,
    })?;
    let key_id = hex(&signed.key_id);
    let key = keys
        .iter()
        .find(|key| sign::key_id(key) == signed.key_id)
        .ok_or_else(|| BundleError::UnknownKey {
            path: file.clone(),
            key_id: key_id.clone(),
        })?;
    // The bytes read once: the header named the key, the same bytes are verified with it.
    let loaded = sign::load_signed(&bytes, key).map_err(|error| BundleError::Sign {
        path: file.clone(),
        error,
    })?;
    let bundle = with_ir(&file, loaded.bundle, loaded.manifest, loaded.sequence)?;
    Ok((bundle, key_id))
}

/// A key id as the audit log and messages show it.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
