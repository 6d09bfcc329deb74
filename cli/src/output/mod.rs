//! Diagnostics rendered for their readers: people (miette), scripts (JSON lines), code
//! review tools (SARIF 2.1.0) and GitHub workflow annotations.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use std::cell::RefCell;
use std::collections::HashMap;

use ward_compiler::{Db, SourceFile};
use ward_lang::{LineCol, LineIndex};

/// The `--format` of `ward check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source snippets with labels and help, for people.
    Human,
    /// One JSON object per line, for scripts.
    Json,
    /// A SARIF 2.1.0 log, for code review tools.
    Sarif,
    /// GitHub workflow commands (`::error file=...`), for annotations on pull requests.
    Github,
}

/// A range as one-based lines and columns (in characters), the way people and tools count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub line: u32,
    pub col: u32,
    pub end_line: u32,
    pub end_col: u32,
}

/// Lines and columns of ranges, with one line index per file (built on first use).
pub struct Spans<'a> {
    db: &'a dyn Db,
    indexes: RefCell<HashMap<SourceFile, LineIndex>>,
}

impl<'a> Spans<'a> {
    pub fn new(db: &'a dyn Db) -> Self {
        Self {
            db,
            indexes: RefCell::new(HashMap::new()),
        }
    }

    pub fn db(&self) -> &'a dyn Db {
        self.db
    }

    pub fn span(&self, file: SourceFile, range: ward_lang::TextRange) -> Span {
        let text = file.text(self.db);
        let mut indexes = self.indexes.borrow_mut();
        let index = indexes.entry(file).or_insert_with(|| LineIndex::new(text));
        let LineCol { line, col } = index.line_col(text, range.start);
        let end = index.line_col(text, range.end);
        Span {
            line: line + 1,
            col: col + 1,
            end_line: end.line + 1,
            end_col: end.col + 1,
        }
    }
}
