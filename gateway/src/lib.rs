//! ward-gateway: the runtime of the draft's protocols on a gateway. PASC (onboarding a thing
//! from its MUD file, assessing it, configuring it, its peers and the firewall) over a verified
//! policy bundle, with its state in SQLite.

pub mod bundle;
pub mod mud;
pub mod pasc;
