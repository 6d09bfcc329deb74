//! Reading a COSE_Sign1 message (RFC 9052 section 4.2) without copying its payload.
//!
//! coset parses a message into owned values, and its `Sig_structure` builder copies the
//! payload twice more; for a bundle of 15 MB those copies and their page faults cost more
//! than the signature check itself. Here the message is split into borrowed slices and the
//! `Sig_structure` is written with one copy. coset still builds messages (signing) and
//! parses the protected header, and a test checks both agree with it byte for byte.

use super::cbor::{cbor_head, cbor_string, write_head};
use super::sign::SignError;

/// The parts of a COSE_Sign1 message, borrowed from it.
pub struct Sign1<'a> {
    /// The protected header, as serialized (the signature covers these bytes).
    pub protected: &'a [u8],
    pub payload: &'a [u8],
    pub signature: &'a [u8],
}

/// Splits a COSE_Sign1 message: optional tag 18, then `[protected, unprotected, payload,
/// signature]`. ward writes an empty unprotected header; anything else there is refused
/// rather than skipped, as nothing in it would be covered by the signature.
pub fn split(bytes: &[u8]) -> Result<Sign1<'_>, SignError> {
    let malformed = |what: &str| SignError::Malformed(format!("not a COSE_Sign1 message ({what})"));
    let mut at = 0;
    if let Some((6, 18, next)) = cbor_head(bytes, 0) {
        at = next;
    }
    match cbor_head(bytes, at) {
        Some((4, 4, next)) => at = next,
        _ => return Err(malformed("expected an array of four items")),
    }
    let (protected, next) =
        cbor_string(bytes, at, 2).ok_or_else(|| malformed("the protected header"))?;
    let next = match cbor_head(bytes, next) {
        Some((5, 0, next)) => next,
        _ => return Err(malformed("an unprotected header ward does not write")),
    };
    let (payload, next) = cbor_string(bytes, next, 2).ok_or_else(|| malformed("the payload"))?;
    let (signature, end) = cbor_string(bytes, next, 2).ok_or_else(|| malformed("the signature"))?;
    if end != bytes.len() {
        return Err(malformed("trailing bytes"));
    }
    Ok(Sign1 {
        protected,
        payload,
        signature,
    })
}

/// The bytes a COSE_Sign1 signature covers (RFC 9052 section 4.4), with no external data:
/// `["Signature1", protected, h'', payload]`.
pub fn sig_structure(protected: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + protected.len() + 32);
    out.push(0x84);
    write_head(&mut out, 3, "Signature1".len());
    out.extend_from_slice(b"Signature1");
    write_head(&mut out, 2, protected.len());
    out.extend_from_slice(protected);
    write_head(&mut out, 2, 0);
    write_head(&mut out, 2, payload.len());
    out.extend_from_slice(payload);
    out
}

#[cfg(test)]
mod tests {
    use coset::{CborSerializable, CoseSign1Builder, HeaderBuilder, iana};

    use super::*;

    #[test]
    fn agrees_with_coset() {
        for size in [0usize, 5, 23, 24, 255, 256, 65_535, 65_536, 100_000] {
            let payload = vec![0x5a; size];
            let protected = HeaderBuilder::new()
                .algorithm(iana::Algorithm::EdDSA)
                .content_type("application/x".to_string())
                .build();
            let message = CoseSign1Builder::new()
                .protected(protected)
                .payload(payload.clone())
                .create_signature(b"", |data| data[..8].to_vec())
                .build();
            let expected_tbs = message.tbs_data(b"");
            let bytes = message.to_vec().expect("serializes");
            let parts = split(&bytes).expect("splits");
            assert_eq!(parts.payload, payload.as_slice());
            assert_eq!(sig_structure(parts.protected, parts.payload), expected_tbs);
            assert_eq!(parts.signature, &expected_tbs[..8]);
        }
    }

    #[test]
    fn refuses_what_is_not_a_message() {
        assert!(split(b"").is_err());
        assert!(split(&[0x84, 0x40, 0xa0, 0x40]).is_err());
        assert!(split(&[0x84, 0x40, 0xa1, 0x01, 0x01, 0x40, 0x40]).is_err());
        assert!(split(&[0x84, 0x40, 0xa0, 0x40, 0x40, 0x00]).is_err());
        assert!(split(&[0x84, 0x40, 0xa0, 0x40, 0x40]).is_ok());
        assert!(split(&[0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40]).is_ok());
    }
}
