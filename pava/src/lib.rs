//! PAVA's analysis (the draft's section 8): the things' syslog reports parsed (`syslog.rs`:
//! RFC 5424, RFC 3164 tolerated) and framed (`framing.rs`: RFC 6587 octet counting and LF),
//! the bundle's detection rules run over them (`engine.rs`), and whole log files scanned
//! offline (`scan.rs`, `ward pava scan`). No async runtime and no database: the gateway's
//! listeners, incident store and outbox feed it and act on what it finds.

pub mod engine;
pub mod framing;
pub mod scan;
pub mod syslog;
