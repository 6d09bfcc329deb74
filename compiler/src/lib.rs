//! The ward compiler: a salsa database over the files of a policy, the item index, name
//! resolution, the semantic model, the checks and the registry of diagnostic codes.
//!
//! It depends on `ward-lang` for syntax and knows nothing of terminals or editors: it returns
//! diagnostics as data, and the binary or the language server renders them.

pub mod analyze;
pub mod bundle;
pub mod capture_names;
pub mod check;
pub mod codes;
pub mod db;
mod detect;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod facts;
pub mod files;
pub mod ide;
pub mod ir;
pub mod model;
pub mod mud_pattern;
pub mod prefix;
pub mod queries;
pub mod relations;
pub mod resolve;
pub mod risk;
pub mod rule_regex;
pub mod schema;
mod semantic;
pub mod space;
mod structure;
pub mod suggest;
pub mod waiver;

pub use check::{CheckResult, check};
pub use db::{Db, EventLog, Policy, RootDatabase, SourceFile, Workspace};
pub use diagnostic::{Diagnostic, Label, Severity, Suggestion};
