//! PAVA (the draft's section 8): things' syslog reports analysed for vulnerabilities and
//! attacks with the bundle's detection rules.

pub mod actions;
pub mod attribution;
pub mod incidents;
pub mod listeners;
pub mod outbox;
pub mod quota;
pub mod service;
pub mod storms;
pub mod tls;

// The analysis is its own crate (no tokio, no SQLite); the daemon's parts here feed it.
pub use ward_pava::{engine, framing, scan, syslog};

use ward_compiler::ir::DetectIr;

use crate::bundle::PolicyBundle;

/// The detection rules of a bundle (`pava/rules.json`).
pub fn rules_of(bundle: &PolicyBundle) -> Vec<DetectIr> {
    bundle.ir.detections.clone()
}
