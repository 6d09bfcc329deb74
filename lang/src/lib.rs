//! The ward language: grammar, tolerant parser, typed syntax tree and formatter.
//!
//! This crate knows nothing of files, salsa or editors: it turns text into a tree and back.
//! [`parse`] never fails: it returns the tree with the errors beside it, and recovers at
//! declaration boundaries so that one broken declaration does not hide the others.

pub mod ast;
mod errors;
pub mod format;
mod line_index;
mod lower;
mod parse;
mod syntax;
pub mod table;
pub mod time;

pub use ast::TextRange;
pub use format::{FormatError, format};
pub use line_index::{LineCol, LineIndex};
pub use lower::parse_duration;
pub use parse::{Parse, ParseError, ParseErrorKind, parse};
pub use time::Timestamp;
