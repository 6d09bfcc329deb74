//! Policy tests (`ward test`): assertions decided on a policy's compiled outputs, without a
//! gateway. `run.rs` runs the `test` blocks (flows asked of the firewall and of Cedar,
//! profiles and risks, detection rules over log lines); `nft_eval.rs` decides a packet as
//! nftables would on the compiled ruleset; `coverage.rs` says what the tests exercised.

pub mod coverage;
pub mod explain;
pub mod nft_eval;
pub mod run;
pub mod validate;
