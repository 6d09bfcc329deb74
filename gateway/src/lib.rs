//! ward-gateway: the runtime of the draft's protocols on a gateway. PASC (onboarding a thing
//! from its MUD file, assessing it, configuring it, its peers and the firewall) over a verified
//! policy bundle, with its state in SQLite.

pub mod access;
pub mod api;
pub mod bundle;
pub mod config;
pub mod distribution;
pub mod error;
pub mod fetch_guard;
pub mod firewall;
pub mod fleet;
pub mod holds;
pub mod limits;
pub mod messages;
pub mod metrics;
// MUD is its own crate (no async, no network); the gateway reads it as `crate::mud`.
pub use ward_mud as mud;
pub mod mud_signature;
pub mod mud_source;
pub mod pasc;
pub mod pava;
pub mod refusals;
pub mod runtime;
pub mod sequence;
pub mod store;
pub mod things;
