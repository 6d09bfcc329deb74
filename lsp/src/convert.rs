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
    // The line index is the database's, built once per text: publishing a file's hundred
    // diagnostics does not rebuild it a hundred times.
    range(
        file.text(db),
        ward_compiler::queries::line_index(db, file),
        r,
    )
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
        Waiver => lsp::SymbolKind::KEY,
    }
}

/// The legend of semantic tokens, in the order `token_type` indexes it.
pub const TOKEN_TYPES: [&str; 15] = [
    "keyword",
    "comment",
    "string",
    "number",
    "regexp",
    "property",
    "enumMember",
    "event",
    "function",
    "type",
    "interface",
    "namespace",
    "class",
    "struct",
    "macro",
];

fn token_type(kind: ward_compiler::ide::TokenKind) -> u32 {
    use ward_compiler::ide::TokenKind::*;
    use ward_lang::ast::DeclKind;
    match kind {
        Keyword => 0,
        Comment => 1,
        String => 2,
        Number => 3,
        Regexp => 4,
        Property => 5,
        EnumMember => 6,
        Declared(DeclKind::Threat) => 7,
        Declared(DeclKind::Mitigation) => 8,
        Declared(DeclKind::Capability) => 9,
        Declared(DeclKind::Profile) => 10,
        Declared(DeclKind::Environment | DeclKind::Segment) => 11,
        Declared(DeclKind::Class) => 12,
        Declared(DeclKind::Service | DeclKind::Gateway) => 13,
        Declared(DeclKind::Detect | DeclKind::Flow | DeclKind::Test | DeclKind::Waiver) => 14,
    }
}

/// LSP's relative encoding of tokens. Tokens spanning lines (raw strings) are left out:
/// the protocol has no multi-line tokens by default.
pub fn semantic_tokens(
    text: &str,
    index: &LineIndex,
    tokens: &[(TextRange, ward_compiler::ide::TokenKind, bool)],
) -> Vec<lsp::SemanticToken> {
    let mut out = Vec::with_capacity(tokens.len());
    let (mut last_line, mut last_col) = (0u32, 0u32);
    for (range, kind, declaration) in tokens {
        let start = index.line_col_utf16(text, range.start);
        let end = index.line_col_utf16(text, range.end);
        if start.line != end.line || end.col <= start.col {
            continue;
        }
        let delta_line = start.line - last_line;
        let delta_start = if delta_line == 0 {
            start.col - last_col
        } else {
            start.col
        };
        out.push(lsp::SemanticToken {
            delta_line,
            delta_start,
            length: end.col - start.col,
            token_type: token_type(*kind),
            token_modifiers_bitset: u32::from(*declaration),
        });
        last_line = start.line;
        last_col = start.col;
    }
    out
}
