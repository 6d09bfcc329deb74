//! Folding ranges: each declaration's block.

use super::*;

/// Lines `(start, end)` (zero-based) of declarations that span several lines.
pub fn folding_ranges(db: &dyn Db, file: SourceFile) -> Vec<(u32, u32)> {
    let text = file.text(db);
    let index = ward_lang::LineIndex::new(text);
    parsed(db, file)
        .file
        .decls()
        .filter_map(|decl| {
            let start = index.line_col(text, decl.range.start).line;
            let end = index.line_col(text, decl.range.end).line;
            (end > start).then_some((start, end))
        })
        .collect()
}
