//! The ward compiler: the item index, name resolution, the checks of a policy and the
//! registry of diagnostic codes.
//!
//! It depends on `ward-lang` for syntax and knows nothing of terminals or editors: it returns
//! diagnostics as data, and the binary or the language server renders them.

pub mod check;
pub mod codes;
pub mod diagnostic;
pub mod index;
pub mod resolve;
pub mod schema;
mod structure;
pub mod suggest;
pub mod workspace;

pub use check::{CheckResult, check};
pub use diagnostic::{Diagnostic, Label, Severity, Suggestion};
pub use workspace::{FileId, SourceFile, Workspace};
