//! MUD file signatures (RFC 8520 section 13): a MUD file names its signature
//! (`mud-signature`), a detached CMS SignedData (RFC 5652) over the file's exact bytes, made
//! by the manufacturer. The gateway checks it against the trust anchors the operator
//! configured for the MUD URL's host (`--mud-signer HOST=CA.pem`): the message digest of
//! the signed attributes is the file's, the signature over those attributes verifies with
//! the signer's certificate, and that certificate chains (through certificates the message
//! carries, four at most) to an anchor, each within its validity.
//!
//! Written over RustCrypto's `cms`, `x509-cert`, `rsa` and `p256` because no well-kept crate
//! verifies a CMS signature whole; what is checked is the part of RFC 5652 section 5.4 and
//! RFC 5280 section 6 a MUD signature needs (no revocation lists, no policy constraints).

use std::time::{Duration, SystemTime};

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::OctetString;
use der::{Decode, Encode};
use sha2::Digest;
use x509_cert::Certificate;
use x509_cert::spki::SubjectPublicKeyInfoOwned;

/// The most certificates between a signer and its anchor.
const MAX_CHAIN: usize = 4;

/// Reads the PEM certificates of a trust anchor file.
pub fn anchors_from_pem(pem: &str) -> Result<Vec<Certificate>, String> {
    let certs = Certificate::load_pem_chain(pem.as_bytes()).map_err(|e| e.to_string())?;
    if certs.is_empty() {
        return Err("no certificate".to_string());
    }
    Ok(certs)
}

/// Checks `signature` (DER, a CMS ContentInfo holding a detached SignedData) over `mud`;
/// the signer's subject when it holds, why not otherwise.
pub fn verify(
    mud: &[u8],
    signature: &[u8],
    anchors: &[Certificate],
    now: SystemTime,
) -> Result<String, String> {
    let info = ContentInfo::from_der(signature).map_err(|e| format!("not a CMS message: {e}"))?;
    if info.content_type != const_oid::db::rfc5911::ID_SIGNED_DATA {
        return Err("not a CMS SignedData".to_string());
    }
    let signed: SignedData = info
        .content
        .decode_as()
        .map_err(|e| format!("SignedData does not read: {e}"))?;
    if signed.encap_content_info.econtent.is_some() {
        return Err("the signature carries its content: a MUD signature is detached".to_string());
    }
    let carried: Vec<Certificate> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            cms::cert::CertificateChoices::Certificate(cert) => Some(cert.clone()),
            _ => None,
        })
        .collect();
    let signer = signed.signer_infos.0.iter().next().ok_or("no signer")?;
    let digest = digest(&signer.digest_alg.oid, mud)?;
    let attributes = signer
        .signed_attrs
        .as_ref()
        .ok_or("no signed attributes (a MUD signature signs a message digest)")?;
    let stated = attributes
        .iter()
        .find(|a| a.oid == const_oid::db::rfc5911::ID_MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .ok_or("no message digest")?
        .decode_as::<OctetString>()
        .map_err(|e| format!("message digest: {e}"))?;
    if stated.as_bytes() != digest.as_slice() {
        return Err("the signature is over other bytes than this MUD file".to_string());
    }
    let cert = match &signer.sid {
        SignerIdentifier::IssuerAndSerialNumber(id) => carried.iter().find(|c| {
            c.tbs_certificate.issuer == id.issuer
                && c.tbs_certificate.serial_number == id.serial_number
        }),
        SignerIdentifier::SubjectKeyIdentifier(_) => None,
    }
    .ok_or("the signer's certificate is not in the signature")?;
    let signed_bytes = attributes
        .to_der()
        .map_err(|e| format!("signed attributes: {e}"))?;
    check_signature(
        &cert.tbs_certificate.subject_public_key_info,
        &signer.signature_algorithm.oid,
        &signer.digest_alg.oid,
        &signed_bytes,
        signer.signature.as_bytes(),
    )?;
    chain(cert, &carried, anchors, now)?;
    Ok(cert.tbs_certificate.subject.to_string())
}

/// The digest of `data` by the algorithm a signer names.
fn digest(algorithm: &der::oid::ObjectIdentifier, data: &[u8]) -> Result<Vec<u8>, String> {
    use const_oid::db::rfc5912::{ID_SHA_256, ID_SHA_384, ID_SHA_512};
    match *algorithm {
        ID_SHA_256 => Ok(sha2::Sha256::digest(data).to_vec()),
        ID_SHA_384 => Ok(sha2::Sha384::digest(data).to_vec()),
        ID_SHA_512 => Ok(sha2::Sha512::digest(data).to_vec()),
        other => Err(format!("digest algorithm {other} is not SHA-2")),
    }
}

/// Whether `signature` over `message` verifies with the key: RSA PKCS #1 v1.5 or ECDSA P-256,
/// with the SHA-2 digest the algorithm (or, for plain `rsaEncryption`, the signer) names.
fn check_signature(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &der::oid::ObjectIdentifier,
    digest_alg: &der::oid::ObjectIdentifier,
    message: &[u8],
    signature: &[u8],
) -> Result<(), String> {
    use const_oid::db::rfc5912::{
        ECDSA_WITH_SHA_256, ID_SHA_256, ID_SHA_384, ID_SHA_512, RSA_ENCRYPTION,
        SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION, SHA_512_WITH_RSA_ENCRYPTION,
    };
    use signature::Verifier;
    let bad = |e: &dyn std::fmt::Display| format!("the signature does not verify: {e}");
    let key_bytes = key.subject_public_key.raw_bytes();
    match *algorithm {
        ECDSA_WITH_SHA_256 => {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(key_bytes).map_err(|e| bad(&e))?;
            let signature = p256::ecdsa::Signature::from_der(signature).map_err(|e| bad(&e))?;
            key.verify(message, &signature).map_err(|e| bad(&e))
        }
        RSA_ENCRYPTION
        | SHA_256_WITH_RSA_ENCRYPTION
        | SHA_384_WITH_RSA_ENCRYPTION
        | SHA_512_WITH_RSA_ENCRYPTION => {
            use rsa::pkcs1::DecodeRsaPublicKey;
            let key = rsa::RsaPublicKey::from_pkcs1_der(key_bytes).map_err(|e| bad(&e))?;
            let signature = rsa::pkcs1v15::Signature::try_from(signature).map_err(|e| bad(&e))?;
            let hash = match *algorithm {
                SHA_256_WITH_RSA_ENCRYPTION => ID_SHA_256,
                SHA_384_WITH_RSA_ENCRYPTION => ID_SHA_384,
                SHA_512_WITH_RSA_ENCRYPTION => ID_SHA_512,
                _ => *digest_alg,
            };
            match hash {
                ID_SHA_256 => rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key)
                    .verify(message, &signature)
                    .map_err(|e| bad(&e)),
                ID_SHA_384 => rsa::pkcs1v15::VerifyingKey::<sha2::Sha384>::new(key)
                    .verify(message, &signature)
                    .map_err(|e| bad(&e)),
                ID_SHA_512 => rsa::pkcs1v15::VerifyingKey::<sha2::Sha512>::new(key)
                    .verify(message, &signature)
                    .map_err(|e| bad(&e)),
                other => Err(format!("digest algorithm {other} is not SHA-2")),
            }
        }
        other => Err(format!(
            "signature algorithm {other} is not RSA or ECDSA P-256"
        )),
    }
}

/// Clocks disagree: a certificate issued a few minutes "in the future" is still taken.
const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Whether `cert` is within its validity at `now`.
fn current(cert: &Certificate, now: SystemTime) -> Result<(), String> {
    let at = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    let validity = &cert.tbs_certificate.validity;
    if at + CLOCK_SKEW < validity.not_before.to_unix_duration()
        || at > validity.not_after.to_unix_duration()
    {
        return Err(format!(
            "certificate `{}` is not valid now (from {} to {})",
            cert.tbs_certificate.subject, validity.not_before, validity.not_after
        ));
    }
    Ok(())
}

/// Whether `cert` chains to one of the anchors: each certificate is signed by the next (an
/// anchor, or one the message carries), all are current, four links at most.
fn chain(
    cert: &Certificate,
    carried: &[Certificate],
    anchors: &[Certificate],
    now: SystemTime,
) -> Result<(), String> {
    let mut current_cert = cert.clone();
    for _ in 0..MAX_CHAIN {
        current(&current_cert, now)?;
        let tbs = current_cert
            .tbs_certificate
            .to_der()
            .map_err(|e| format!("certificate: {e}"))?;
        let signed_by = |issuer: &Certificate| {
            issuer.tbs_certificate.subject == current_cert.tbs_certificate.issuer
                && check_signature(
                    &issuer.tbs_certificate.subject_public_key_info,
                    &current_cert.signature_algorithm.oid,
                    &const_oid::db::rfc5912::ID_SHA_256,
                    &tbs,
                    current_cert.signature.raw_bytes(),
                )
                .is_ok()
        };
        if let Some(anchor) = anchors.iter().find(|a| signed_by(a)) {
            return current(anchor, now);
        }
        // The anchor itself may be the signer's certificate.
        if anchors.iter().any(|a| a == &current_cert) {
            return Ok(());
        }
        match carried.iter().find(|c| *c != &current_cert && signed_by(c)) {
            Some(next) => current_cert = next.clone(),
            None => {
                return Err(format!(
                    "certificate `{}` does not chain to a trust anchor of this manufacturer",
                    current_cert.tbs_certificate.subject
                ));
            }
        }
    }
    Err("the chain to a trust anchor is longer than four certificates".to_string())
}
