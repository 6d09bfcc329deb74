//! Manufacturer Usage Descriptions (RFC 8520) and their access lists (RFC 8519): PASC's m2/m3,
//! what the gateway learns about a thing before it assesses it.

pub mod error;
pub mod flows;
pub mod import;
pub mod model;
pub mod parse;

pub use error::MudError;
pub use model::*;
pub use parse::{MAX_MUD_BYTES, parse_mud};

/// Reads a MUD file from disk: at most one byte more than a MUD file may have, so that a huge
/// file (or a device node) is refused by the size check instead of filling memory.
pub fn read_file(path: &std::path::Path) -> Result<MudFile, String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_MUD_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    parse_mud(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}
