//! Signed bundles: `bundle.cbor`, the whole bundle as one COSE_Sign1 message (RFC 9052)
//! signed with Ed25519, and the library function gateways use to load one back.
//!
//! The payload is the bundle in CBOR, `manifest.json` included (see `packed` for its
//! layout). Verifying checks the signature, then that the manifest's format version is
//! known, then that every file the manifest lists is present with its size and digest, and
//! nothing else is.

use coset::{CborSerializable, CoseSign1Builder, HeaderBuilder, iana};
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};

use super::{Bundle, FORMAT_VERSION};

/// The COSE content type of the payload.
pub const CONTENT_TYPE: &str = "application/vnd.ward.bundle+cbor; compression=lz4";

/// Why a key or a signed bundle was refused. Messages are for the people who run `ward
/// verify` or a gateway: they say what to check.
#[derive(Debug, PartialEq, Eq)]
pub enum SignError {
    Key(String),
    Malformed(String),
    BadSignature,
    UnknownFormat(String),
    Digest(String),
}

impl std::fmt::Display for SignError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignError::Key(m) => write!(f, "unusable key: {m}"),
            SignError::Malformed(m) => write!(f, "not a signed ward bundle: {m}"),
            SignError::BadSignature => write!(
                f,
                "the signature does not verify with this key: the bundle was altered, or signed with another key"
            ),
            SignError::UnknownFormat(m) => write!(f, "unsupported bundle: {m}"),
            SignError::Digest(m) => write!(f, "the bundle does not match its manifest: {m}"),
        }
    }
}

impl std::error::Error for SignError {}

/// A new Ed25519 key pair: (private key as PKCS#8 PEM, public key as SPKI PEM).
pub fn generate_key() -> Result<(String, String), SignError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| SignError::Key(format!("no randomness: {e}")))?;
    let key = SigningKey::from_bytes(&secret);
    let private = key
        .to_pkcs8_pem(Default::default())
        .map_err(|e| SignError::Key(e.to_string()))?;
    let public = key
        .verifying_key()
        .to_public_key_pem(Default::default())
        .map_err(|e| SignError::Key(e.to_string()))?;
    Ok((private.to_string(), public))
}

pub fn signing_key(pem: &str) -> Result<SigningKey, SignError> {
    SigningKey::from_pkcs8_pem(pem).map_err(|e| {
        SignError::Key(format!(
            "expected an Ed25519 private key in PKCS#8 PEM ({e})"
        ))
    })
}

pub fn verifying_key(pem: &str) -> Result<VerifyingKey, SignError> {
    VerifyingKey::from_public_key_pem(pem)
        .map_err(|e| SignError::Key(format!("expected an Ed25519 public key in SPKI PEM ({e})")))
}

/// The key id written in the protected header: the first 8 bytes of the SHA-256 of the
/// public key, so that a gateway can tell which key a bundle expects.
pub fn key_id(key: &VerifyingKey) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(key.as_bytes())[..8].to_vec()
}

/// The protected header's label of the bundle's sequence number: set at build (`ward build
/// --sign KEY --sequence N`), signed with the rest, so that a gateway that has accepted N
/// refuses anything lower (an old bundle, validly signed, replayed).
pub const SEQUENCE_LABEL: &str = "ward-sequence";

/// Signs a bundle as number `sequence`: the bytes of `bundle.cbor`.
pub fn sign(bundle: &Bundle, key: &SigningKey, sequence: u64) -> Result<Vec<u8>, SignError> {
    let payload_bytes = super::packed::pack(bundle)?;
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .content_type(CONTENT_TYPE.to_string())
        .key_id(key_id(&key.verifying_key()))
        .text_value(SEQUENCE_LABEL.to_string(), ciborium::Value::from(sequence))
        .build();
    let message = CoseSign1Builder::new()
        .protected(protected)
        .payload(payload_bytes)
        .create_signature(b"", |data| key.sign(data).to_bytes().to_vec())
        .build();
    message
        .to_vec()
        .map_err(|e| SignError::Malformed(e.to_string()))
}

/// A verified bundle, as a gateway uses it.
#[derive(Debug)]
pub struct LoadedBundle {
    pub bundle: Bundle,
    pub manifest: Manifest,
    /// The sequence number it was signed with (none for a bundle of an older ward).
    pub sequence: Option<u64>,
}

/// What the signed header says, before any key is chosen: which key signed the bundle, and
/// its sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    pub key_id: Vec<u8>,
    pub sequence: Option<u64>,
}

/// Reads the protected header of `bundle.cbor` (checks nothing but its shape).
pub fn signed_header(bytes: &[u8]) -> Result<Signed, SignError> {
    let (_, header) = open(bytes)?;
    Ok(Signed {
        key_id: header.key_id.clone(),
        sequence: sequence_of(&header),
    })
}

fn sequence_of(header: &coset::Header) -> Option<u64> {
    header.rest.iter().find_map(|(label, value)| match label {
        coset::Label::Text(text) if text == SEQUENCE_LABEL => {
            value.as_integer().and_then(|n| u64::try_from(n).ok())
        }
        _ => None,
    })
}

/// The files of a signed bundle without checking its signature (for `ward diff` without a
/// key): the manifest is still checked. Never use this to deploy.
pub fn read_unverified(bytes: &[u8]) -> Result<LoadedBundle, SignError> {
    let (message, header) = open(bytes)?;
    let (bundle, manifest) = super::packed::unpack(message.payload)?;
    Ok(LoadedBundle {
        bundle,
        manifest,
        sequence: sequence_of(&header),
    })
}

/// Loads a signed bundle: signature, format version and every digest are checked.
pub fn load_signed(bytes: &[u8], key: &VerifyingKey) -> Result<LoadedBundle, SignError> {
    let ((bundle, manifest), header) = checked(bytes, key, super::packed::unpack)?;
    Ok(LoadedBundle {
        bundle,
        manifest,
        sequence: sequence_of(&header),
    })
}

/// Checks a signed bundle as `load_signed` does, without keeping its files (`ward verify`):
/// each file is unpacked into a scratch buffer, hashed and dropped.
pub fn verify_signed(bytes: &[u8], key: &VerifyingKey) -> Result<Manifest, SignError> {
    checked(bytes, key, super::packed::check).map(|(manifest, _)| manifest)
}

/// The message's parts once its protected header says it is a ward bundle signed with EdDSA.
fn open(bytes: &[u8]) -> Result<(super::cose::Sign1<'_>, coset::Header), SignError> {
    let message = super::cose::split(bytes)?;
    let header = coset::Header::from_slice(message.protected).map_err(|e| {
        SignError::Malformed(format!("not a COSE_Sign1 message (protected header: {e})"))
    })?;
    if header.alg
        != Some(coset::RegisteredLabelWithPrivate::Assigned(
            iana::Algorithm::EdDSA,
        ))
    {
        return Err(SignError::Malformed(
            "the signature algorithm is not EdDSA".to_string(),
        ));
    }
    if header.content_type != Some(coset::ContentType::Text(CONTENT_TYPE.to_string())) {
        return Err(SignError::UnknownFormat(format!(
            "the payload is not `{CONTENT_TYPE}`: the bundle was signed by another version of ward; rebuild it with this one"
        )));
    }
    Ok((message, header))
}

/// Checks the signature and, at the same time, the payload with `unpack`: the signature
/// (SHA-512 over the whole payload) and the files (unpacking, SHA-256 of each) are
/// independent, so the slower sets the pace. A bad signature is the answer whatever the
/// contents say: they are not to be trusted.
fn checked<T: Send>(
    bytes: &[u8],
    key: &VerifyingKey,
    unpack: fn(&[u8]) -> Result<T, SignError>,
) -> Result<(T, coset::Header), SignError> {
    let (message, header) = open(bytes)?;
    let (signature, contents) = std::thread::scope(|scope| {
        let contents = scope.spawn(|| unpack(message.payload));
        let signature = Signature::from_slice(message.signature)
            .map_err(|_| SignError::BadSignature)
            .and_then(|signature| {
                let signed = super::cose::sig_structure(message.protected, message.payload);
                key.verify(&signed, &signature)
                    .map_err(|_| SignError::BadSignature)
            });
        let contents = contents.join().unwrap_or_else(|_| {
            Err(SignError::Malformed(
                "the payload could not be read".to_string(),
            ))
        });
        (signature, contents)
    });
    signature?;
    contents.map(|contents| (contents, header))
}

/// `manifest.json`: what a bundle is and what it holds.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Manifest {
    pub format_version: u64,
    #[serde(default)]
    pub revision: String,
    #[serde(default)]
    pub compiler: String,
    #[serde(default)]
    pub sources: Vec<SourceEntry>,
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct SourceEntry {
    pub path: String,
    pub sha256: String,
}

/// What the manifest says a file is.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub sha256: String,
    pub bytes: usize,
}

impl Manifest {
    /// The revision as people quote it: its first 12 hex digits.
    pub fn short_revision(&self) -> &str {
        self.revision.get(..12).unwrap_or(&self.revision)
    }
}

impl FileEntry {
    /// Whether `content` is this file.
    pub fn matches(&self, content: &[u8]) -> bool {
        content.len() == self.bytes && super::sha256_hex_bytes(content) == self.sha256.as_bytes()
    }
}

/// Reads `manifest.json`, refusing format versions this ward does not know (checked before
/// anything else is read, so that the message names the version, not a missing field).
pub fn read_manifest(bytes: &[u8]) -> Result<Manifest, SignError> {
    #[derive(serde::Deserialize)]
    struct Version {
        format_version: Option<u64>,
    }
    let not_json = |e: serde_json::Error| {
        SignError::Malformed(format!("manifest.json is not a ward manifest ({e})"))
    };
    // One parse in the usual case; the version alone is read only to explain a failure.
    let manifest: Manifest = match serde_json::from_slice(bytes) {
        Ok(manifest) => manifest,
        Err(error) => {
            let version: Version = serde_json::from_slice(bytes).map_err(not_json)?;
            check_version(version.format_version)?;
            return Err(not_json(error));
        }
    };
    check_version(Some(manifest.format_version))?;
    let mut seen = std::collections::HashSet::with_capacity(manifest.files.len());
    for entry in &manifest.files {
        if !seen.insert(entry.path.as_str()) || entry.path == "manifest.json" {
            return Err(SignError::Malformed(format!(
                "the manifest lists `{}` twice (or lists itself)",
                entry.path
            )));
        }
    }
    Ok(manifest)
}

fn check_version(version: Option<u64>) -> Result<(), SignError> {
    match version {
        Some(v) if v == u64::from(FORMAT_VERSION) => Ok(()),
        Some(v) => Err(SignError::UnknownFormat(format!(
            "bundle format version {v}; this ward reads version {FORMAT_VERSION}: upgrade ward, or rebuild the bundle with this version"
        ))),
        None => Err(SignError::UnknownFormat(
            "the manifest has no format_version".to_string(),
        )),
    }
}

/// Checks a bundle directory's files against its manifest.
pub fn check_manifest(bundle: &Bundle) -> Result<Manifest, SignError> {
    let manifest_bytes = bundle
        .files
        .get("manifest.json")
        .ok_or_else(|| SignError::Malformed("no manifest.json".to_string()))?;
    let manifest = read_manifest(manifest_bytes)?;
    let mut listed = Vec::with_capacity(manifest.files.len());
    for entry in &manifest.files {
        let bytes = bundle
            .files
            .get(&entry.path)
            .ok_or_else(|| SignError::Digest(format!("`{}` is missing", entry.path)))?;
        listed.push((entry, bytes));
    }
    super::parallel::map(&listed, |(entry, bytes)| {
        if !entry.matches(bytes) {
            return Err(SignError::Digest(format!(
                "`{}` does not match its digest",
                entry.path
            )));
        }
        Ok(())
    })?;
    let listed: std::collections::BTreeSet<&str> =
        manifest.files.iter().map(|e| e.path.as_str()).collect();
    for path in bundle.files.keys() {
        if path != "manifest.json" && path != "bundle.cbor" && !listed.contains(path.as_str()) {
            return Err(SignError::Digest(format!(
                "`{path}` is not in the manifest"
            )));
        }
    }
    Ok(manifest)
}
