//! The signed bundle container, apart from what goes in it (`crate::emit`): `sign.rs` signs
//! and loads back a bundle as one COSE_Sign1 message (Ed25519), `cose.rs` reads that message
//! without copying its payload, `packed.rs` packs the files in LZ4-compressed CBOR chunks,
//! `cbor.rs` is the little CBOR they need, `parallel.rs` shares the hashing over all cores.

pub mod cbor;
pub mod cose;
pub mod packed;
pub mod parallel;
pub mod sign;

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// The version of the bundle layout; readers refuse versions they do not know.
pub const FORMAT_VERSION: u32 = 1;

/// What `ward build` writes: path within the bundle -> content.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bundle {
    pub files: BTreeMap<String, Vec<u8>>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&sha256_hex_bytes(bytes)).into_owned()
}

/// The lowercase hex SHA-256 of `bytes`, on the stack: verifying compares ten thousand of
/// these, and formatting each byte through `format!` cost more than the hashing.
pub fn sha256_hex_bytes(bytes: &[u8]) -> [u8; 64] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (i, b) in Sha256::digest(bytes).iter().enumerate() {
        out[2 * i] = HEX[usize::from(b >> 4)];
        out[2 * i + 1] = HEX[usize::from(b & 0x0f)];
    }
    out
}
