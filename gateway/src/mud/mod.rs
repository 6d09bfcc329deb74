//! Manufacturer Usage Descriptions (RFC 8520) and their access lists (RFC 8519): PASC's m2/m3,
//! what the gateway learns about a thing before it assesses it.

pub mod error;
pub mod model;
pub mod parse;

pub use error::MudError;
pub use model::*;
pub use parse::{MAX_MUD_BYTES, parse_mud};
pub mod import;
