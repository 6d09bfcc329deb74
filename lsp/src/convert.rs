//! Conversions between the compiler's byte offsets and LSP's lines and UTF-16 columns, and
//! between its diagnostics and LSP's.

use tower_lsp_server::ls_types as lsp;
use ward_compiler::{Db, Severity, SourceFile};
use ward_lang::{LineCol, LineIndex, TextRange};

pub fn position(text: &str, index: &LineIndex, offset: u32) -> lsp::Position {
    let LineCol { line, col } = index.line_col_utf16(text, offset);
    lsp::Position::new(line, col)
}

pub fn range(text: &str, index: &LineIndex, range: TextRange) -> lsp::Range {
    lsp::Range::new(
        position(text, index, range.start),
        position(text, index, range.end),
    )
}

pub fn offset(text: &str, index: &LineIndex, position: lsp::Position) -> u32 {
    index.offset_utf16(
        text,
        LineCol {
            line: position.line,
            col: position.character,
        },
    )
}

/// A range in a file, with the file's own line index.
pub fn file_range(db: &dyn Db, file: SourceFile, r: TextRange) -> lsp::Range {
    let text = file.text(db);
    range(text, &LineIndex::new(text), r)
}

pub fn severity(severity: Severity) -> lsp::DiagnosticSeverity {
    match severity {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Note => lsp::DiagnosticSeverity::INFORMATION,
    }
}

pub fn symbol_kind(kind: ward_lang::ast::DeclKind) -> lsp::SymbolKind {
    use ward_lang::ast::DeclKind::*;
    match kind {
        Threat => lsp::SymbolKind::EVENT,
        Mitigation => lsp::SymbolKind::FUNCTION,
        Capability => lsp::SymbolKind::CONSTANT,
        Profile => lsp::SymbolKind::INTERFACE,
        Environment => lsp::SymbolKind::NAMESPACE,
        Class => lsp::SymbolKind::CLASS,
        Service | Gateway => lsp::SymbolKind::OBJECT,
        Segment => lsp::SymbolKind::MODULE,
        Flow => lsp::SymbolKind::OPERATOR,
        Detect => lsp::SymbolKind::PROPERTY,
        Test => lsp::SymbolKind::METHOD,
    }
}
