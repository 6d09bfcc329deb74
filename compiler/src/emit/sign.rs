//! Signed bundles: `bundle.cbor`, the whole bundle as one COSE_Sign1 message (RFC 9052)
//! signed with Ed25519, and the library function gateways use to load one back.
//!
//! The payload is a CBOR map from path to file content (byte string), `manifest.json`
//! included. Verifying checks the signature, then that the manifest's format version is
//! known, then that every file the manifest lists is present with its digest, and nothing
//! else is.

use std::collections::BTreeMap;

use coset::{CborSerializable, CoseSign1, CoseSign1Builder, HeaderBuilder, iana};
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::Value;

use super::{Bundle, FORMAT_VERSION, sha256_hex};

/// The COSE content type of the payload.
pub const CONTENT_TYPE: &str = "application/vnd.ward.bundle+cbor";

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

/// Signs a bundle: the bytes of `bundle.cbor`.
pub fn sign(bundle: &Bundle, key: &SigningKey) -> Result<Vec<u8>, SignError> {
    let payload: BTreeMap<String, ciborium::Value> = bundle
        .files
        .iter()
        .map(|(path, bytes)| (path.clone(), ciborium::Value::Bytes(bytes.clone())))
        .collect();
    let mut payload_bytes = Vec::new();
    ciborium::into_writer(&payload, &mut payload_bytes)
        .map_err(|e| SignError::Malformed(e.to_string()))?;
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::EdDSA)
        .content_type(CONTENT_TYPE.to_string())
        .key_id(key_id(&key.verifying_key()))
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
    pub manifest: Value,
    pub revision: String,
}

/// The files of a signed bundle without checking its signature (for `ward diff` without a
/// key): the manifest is still checked. Never use this to deploy.
pub fn read_unverified(bytes: &[u8]) -> Result<Bundle, SignError> {
    let message = CoseSign1::from_slice(bytes)
        .map_err(|e| SignError::Malformed(format!("not a COSE_Sign1 message ({e})")))?;
    let bundle = payload_files(&message)?;
    check_manifest(&bundle)?;
    Ok(bundle)
}

fn payload_files(message: &CoseSign1) -> Result<Bundle, SignError> {
    let payload = message
        .payload
        .as_ref()
        .ok_or_else(|| SignError::Malformed("no payload".to_string()))?;
    decode_files(payload)
}

/// Reads the CBOR head at `at`: (major type, argument, position after it). Only definite
/// lengths: ward writes no indefinite ones.
fn cbor_head(bytes: &[u8], at: usize) -> Option<(u8, u64, usize)> {
    let first = *bytes.get(at)?;
    let major = first >> 5;
    let info = first & 0x1f;
    let (value, size) = match info {
        0..=23 => (u64::from(info), 0),
        24 => (u64::from(*bytes.get(at + 1)?), 1),
        25 => (
            u64::from(u16::from_be_bytes(
                bytes.get(at + 1..at + 3)?.try_into().ok()?,
            )),
            2,
        ),
        26 => (
            u64::from(u32::from_be_bytes(
                bytes.get(at + 1..at + 5)?.try_into().ok()?,
            )),
            4,
        ),
        27 => (
            u64::from_be_bytes(bytes.get(at + 1..at + 9)?.try_into().ok()?),
            8,
        ),
        _ => return None,
    };
    Some((major, value, at + 1 + size))
}

/// The payload, a CBOR map of path (text) to content (bytes), read directly: a general CBOR
/// decoder builds a value tree first, which for a bundle of tens of megabytes costs more
/// than the signature check. Every length is checked against the input.
fn decode_files(payload: &[u8]) -> Result<Bundle, SignError> {
    let malformed =
        |what: &str| SignError::Malformed(format!("the payload is not a map of files ({what})"));
    let (major, count, mut at) = cbor_head(payload, 0).ok_or_else(|| malformed("no map"))?;
    if major != 5 {
        return Err(malformed("no map"));
    }
    let mut files = BTreeMap::new();
    for _ in 0..count {
        let (major, len, start) = cbor_head(payload, at).ok_or_else(|| malformed("truncated"))?;
        let end = usize::try_from(len)
            .ok()
            .and_then(|len| start.checked_add(len))
            .filter(|end| *end <= payload.len())
            .ok_or_else(|| malformed("truncated"))?;
        if major != 3 {
            return Err(malformed("a key is not text"));
        }
        let path = std::str::from_utf8(&payload[start..end])
            .map_err(|_| malformed("a path is not UTF-8"))?
            .to_string();
        let (major, len, start) = cbor_head(payload, end).ok_or_else(|| malformed("truncated"))?;
        let value_end = usize::try_from(len)
            .ok()
            .and_then(|len| start.checked_add(len))
            .filter(|end| *end <= payload.len())
            .ok_or_else(|| malformed("truncated"))?;
        if major != 2 {
            return Err(SignError::Malformed(format!(
                "`{path}` is not a byte string"
            )));
        }
        files.insert(path, payload[start..value_end].to_vec());
        at = value_end;
    }
    if at != payload.len() {
        return Err(malformed("trailing bytes"));
    }
    Ok(Bundle { files })
}

/// Loads a signed bundle: signature, format version and every digest are checked.
pub fn load_signed(bytes: &[u8], key: &VerifyingKey) -> Result<LoadedBundle, SignError> {
    let message = CoseSign1::from_slice(bytes)
        .map_err(|e| SignError::Malformed(format!("not a COSE_Sign1 message ({e})")))?;
    if message.protected.header.alg
        != Some(coset::RegisteredLabelWithPrivate::Assigned(
            iana::Algorithm::EdDSA,
        ))
    {
        return Err(SignError::Malformed(
            "the signature algorithm is not EdDSA".to_string(),
        ));
    }
    // The signature (SHA-512 over the whole payload) and the files (decoding, SHA-256 of
    // each) are independent: checked on two threads, the slower sets the pace.
    let (signature, contents) = std::thread::scope(|scope| {
        let contents = scope.spawn(|| {
            let bundle = payload_files(&message)?;
            let (manifest, revision) = check_manifest(&bundle)?;
            Ok::<_, SignError>((bundle, manifest, revision))
        });
        let signature = message.verify_signature(b"", |signature, data| {
            let signature =
                Signature::from_slice(signature).map_err(|_| SignError::BadSignature)?;
            key.verify(data, &signature)
                .map_err(|_| SignError::BadSignature)
        });
        let contents = contents.join().unwrap_or_else(|_| {
            Err(SignError::Malformed(
                "the payload could not be read".to_string(),
            ))
        });
        (signature, contents)
    });
    // A bad signature is the answer whatever the contents say: they are not to be trusted.
    signature?;
    let (bundle, manifest, revision) = contents?;
    Ok(LoadedBundle {
        bundle,
        manifest,
        revision,
    })
}

/// Checks a bundle against its manifest (for signed bundles and bundle directories alike).
pub fn check_manifest(bundle: &Bundle) -> Result<(Value, String), SignError> {
    let manifest_bytes = bundle
        .files
        .get("manifest.json")
        .ok_or_else(|| SignError::Malformed("no manifest.json".to_string()))?;
    let manifest: Value = serde_json::from_slice(manifest_bytes)
        .map_err(|e| SignError::Malformed(format!("manifest.json is not JSON ({e})")))?;
    match manifest["format_version"].as_u64() {
        Some(v) if v == u64::from(FORMAT_VERSION) => {}
        Some(v) => {
            return Err(SignError::UnknownFormat(format!(
                "bundle format version {v}; this ward reads version {FORMAT_VERSION}: upgrade ward, or rebuild the bundle with this version"
            )));
        }
        None => {
            return Err(SignError::UnknownFormat(
                "the manifest has no format_version".to_string(),
            ));
        }
    }
    let listed = manifest["files"]
        .as_array()
        .ok_or_else(|| SignError::Malformed("the manifest lists no files".to_string()))?;
    let mut expected: BTreeMap<&str, &str> = BTreeMap::new();
    for entry in listed {
        let (Some(path), Some(digest)) = (entry["path"].as_str(), entry["sha256"].as_str()) else {
            return Err(SignError::Malformed(
                "a manifest entry lacks path or sha256".to_string(),
            ));
        };
        expected.insert(path, digest);
    }
    for (path, digest) in &expected {
        let bytes = bundle
            .files
            .get(*path)
            .ok_or_else(|| SignError::Digest(format!("`{path}` is missing")))?;
        if sha256_hex(bytes) != *digest {
            return Err(SignError::Digest(format!(
                "`{path}` does not match its digest"
            )));
        }
    }
    for path in bundle.files.keys() {
        if path != "manifest.json" && path != "bundle.cbor" && !expected.contains_key(path.as_str())
        {
            return Err(SignError::Digest(format!(
                "`{path}` is not in the manifest"
            )));
        }
    }
    let revision = manifest["revision"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Ok((manifest, revision))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(files: &[(&str, &[u8])]) -> Vec<u8> {
        let map: BTreeMap<String, ciborium::Value> = files
            .iter()
            .map(|(p, b)| (p.to_string(), ciborium::Value::Bytes(b.to_vec())))
            .collect();
        let mut out = Vec::new();
        ciborium::into_writer(&map, &mut out).expect("encodes");
        out
    }

    #[test]
    fn the_payload_reader_reads_what_ciborium_writes() {
        let big = vec![7u8; 70_000];
        let bytes = encoded(&[("a.json", b"{}"), ("b/c.cbor", &big), ("empty", b"")]);
        let bundle = decode_files(&bytes).expect("decodes");
        assert_eq!(bundle.files.len(), 3);
        assert_eq!(bundle.files["b/c.cbor"], big);
        assert_eq!(bundle.files["empty"], b"");
    }

    #[test]
    fn the_payload_reader_refuses_bad_input_without_panicking() {
        let bytes = encoded(&[("a.json", b"{\"x\": 1}"), ("b", b"xyz")]);
        for end in 0..bytes.len() {
            assert!(decode_files(&bytes[..end]).is_err(), "truncated at {end}");
        }
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(decode_files(&trailing).is_err());
        // A map claiming 2^64-1 entries, a text claiming a huge length.
        assert!(decode_files(&[0xbb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(
            decode_files(&[0xa1, 0x7b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err()
        );
        // Indefinite lengths, a number where a path should be.
        assert!(decode_files(&[0xbf]).is_err());
        assert!(decode_files(&[0xa1, 0x01, 0x40]).is_err());
    }
}
