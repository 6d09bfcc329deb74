pub mod build;
pub mod check;
pub mod diff;
pub mod explain;
pub mod explain_risk;
pub mod fmt;
pub mod keygen;
pub mod verify;
