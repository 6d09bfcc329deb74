pub mod build;
pub mod check;
pub mod explain;
pub mod explain_risk;
pub mod fmt;
