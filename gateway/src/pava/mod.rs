//! PAVA (the draft's section 8): things' syslog reports analysed for vulnerabilities and
//! attacks with the bundle's detection rules.

pub mod engine;
pub mod framing;
pub mod incidents;
pub mod listeners;
pub mod outbox;
pub mod scan;
pub mod service;
pub mod syslog;
pub mod tls;

use ward_compiler::ir::DetectIr;

use crate::bundle::PolicyBundle;

/// The detection rules of a bundle (`pava/rules.json`).
pub fn rules_of(bundle: &PolicyBundle) -> Vec<DetectIr> {
    bundle.ir.detections.clone()
}
