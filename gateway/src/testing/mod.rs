//! Policy tests (`ward test`): assertions decided on a policy's compiled outputs.

pub mod coverage;
pub mod firewall;
pub mod run;
