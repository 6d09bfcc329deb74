//! `parse(text)`: the tree plus its errors, never a failure.
//!
//! The common case, a file without syntax errors, is parsed in one pest pass. When that pass
//! fails, the file is parsed again one declaration at a time: a declaration that does not
//! parse becomes an error node spanning up to the next place a declaration can start, and
//! parsing goes on from there.

use pest::Parser;

use crate::ast::{CommentKind, Decl, ErrorNode, Item, SourceFile, TextRange};
use crate::errors::describe_error;
use crate::lower::Lowerer;
use crate::syntax::{Rule, WardParser};

/// The result of parsing one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parse {
    pub file: SourceFile,
    pub errors: Vec<ParseError>,
}

impl Parse {
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// What went wrong, for the diagnostics registry of the compiler.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParseErrorKind {
    /// The text does not follow the grammar.
    Syntax,
    /// A literal has the right shape but a wrong value: `10.0.0.300`, `/33`, port 70000.
    InvalidLiteral,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ParseErrorKind,
    /// Lowercase, in the user's words: "expected `{` after the class name, found `=`".
    pub message: String,
    pub range: TextRange,
    pub help: Option<String>,
}

/// Parses a ward file. Never fails and never panics; see the module documentation.
pub fn parse(text: &str) -> Parse {
    // Offsets are u32 throughout the tree; a policy file of 4 GiB is not a policy file.
    if text.len() > u32::MAX as usize {
        return Parse {
            file: SourceFile::default(),
            errors: vec![ParseError {
                kind: ParseErrorKind::Syntax,
                message: "file is too large to parse (over 4 GiB)".to_string(),
                range: TextRange::new(0, 0),
                help: None,
            }],
        };
    }
    let mut errors = Vec::new();
    let parsed = if text.len() >= PARALLEL_THRESHOLD {
        parse_in_parallel(text, &mut errors)
    } else {
        parse_whole(text, 0, &mut errors)
    };
    let mut file = match parsed {
        Some(file) => file,
        None => {
            errors.clear();
            parse_with_recovery(text, &mut errors)
        }
    };
    attach_docs(text, &mut file);
    Parse { file, errors }
}

/// Files at least this large are parsed in pieces on several threads.
const PARALLEL_THRESHOLD: usize = 256 * 1024;

/// The fast path: `text` (which starts at `offset` in its file) parsed in one pest pass, or
/// `None` when it has a syntax error.
fn parse_whole(text: &str, offset: usize, errors: &mut Vec<ParseError>) -> Option<SourceFile> {
    let mut pairs = WardParser::parse(Rule::file, text).ok()?;
    let mut lowerer = Lowerer {
        offset: offset as u32,
        errors,
    };
    let mut file = SourceFile::default();
    if let Some(root) = pairs.next() {
        lowerer.comments(root.clone(), &mut file.comments);
        for pair in root.into_inner() {
            if let Some(decl) = lowerer.decl(pair) {
                file.items.push(Item::Decl(decl));
            }
        }
    }
    Some(file)
}

/// Parses a large file as pieces cut where a line starts a declaration at column zero, one
/// thread per piece. Pest parses about 10 MB/s; on two cores this halves the time of a large
/// policy. A cut in the wrong place (inside a block or a `"""` string) leaves a piece that
/// does not parse, and then `None` sends the whole file down the ordinary path.
fn parse_in_parallel(text: &str, errors: &mut Vec<ParseError>) -> Option<SourceFile> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let mut cuts = vec![0];
    for i in 1..threads {
        let target = text.len() * i / threads;
        let Some(cut) = next_declaration_line(text, target) else {
            break;
        };
        if cut > *cuts.last().unwrap_or(&0) {
            cuts.push(cut);
        }
    }
    cuts.push(text.len());
    let pieces: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
    if pieces.len() < 2 {
        return parse_whole(text, 0, errors);
    }
    let results: Vec<Option<(SourceFile, Vec<ParseError>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = pieces
            .iter()
            .map(|&(start, end)| {
                scope.spawn(move || {
                    let mut piece_errors = Vec::new();
                    parse_whole(&text[start..end], start, &mut piece_errors)
                        .map(|file| (file, piece_errors))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    let mut file = SourceFile::default();
    for result in results {
        let (piece, piece_errors) = result?;
        file.items.extend(piece.items);
        file.comments.extend(piece.comments);
        errors.extend(piece_errors);
    }
    Some(file)
}

/// The start of the first line at or after `from` that begins, at column zero, with a
/// declaration keyword.
fn next_declaration_line(text: &str, from: usize) -> Option<usize> {
    let mut at = from;
    while !text.is_char_boundary(at) {
        at += 1;
    }
    while at < text.len() {
        let line_start = at + text[at..].find('\n')? + 1;
        if starts_declaration(&text[line_start..]) {
            return Some(line_start);
        }
        at = line_start;
    }
    None
}

fn parse_with_recovery(text: &str, errors: &mut Vec<ParseError>) -> SourceFile {
    let mut file = SourceFile::default();
    let mut pos = 0usize;
    while pos < text.len() {
        let rest = &text[pos..];
        // Whitespace and comments never fail to parse; they only move `pos` on.
        if let Ok(mut pairs) = WardParser::parse(Rule::trivia, rest)
            && let Some(trivia) = pairs.next()
        {
            let end = trivia.as_span().end();
            Lowerer {
                offset: pos as u32,
                errors,
            }
            .comments(trivia, &mut file.comments);
            pos += end;
        }
        if pos >= text.len() {
            break;
        }
        let rest = &text[pos..];
        match WardParser::parse(Rule::decl_only, rest) {
            Ok(mut pairs) => {
                let Some(wrapper) = pairs.next() else { break };
                let end = wrapper.as_span().end();
                let mut lowerer = Lowerer {
                    offset: pos as u32,
                    errors,
                };
                lowerer.comments(wrapper.clone(), &mut file.comments);
                if let Some(decl) = wrapper.into_inner().find_map(|p| lowerer.decl(p)) {
                    file.items.push(Item::Decl(decl));
                }
                // A declaration always consumes its keyword, so this moves forward.
                pos += end.max(1);
            }
            Err(error) => {
                errors.push(describe_error(text, pos, &error));
                // The declaration just before, when the error continues its last line, is
                // cut short.
                if let Some(Item::Decl(previous)) = file.items.last_mut()
                    && !text[previous.range.end as usize..pos].contains('\n')
                {
                    previous.broken = true;
                }
                let resume = recovery_point(text, pos);
                file.items.push(Item::Error(ErrorNode {
                    range: TextRange::new(pos as u32, resume as u32),
                }));
                pos = resume;
            }
        }
    }
    file.comments.sort_by_key(|c| c.range.start);
    file.comments.dedup_by_key(|c| c.range.start);
    file
}

/// Where parsing resumes after a broken declaration starting at `start`: the next line that
/// starts with a declaration keyword, either at brace depth zero or at column zero (a
/// missing `}` must not swallow the rest of the file). Strings and comments are skipped
/// when counting braces.
fn recovery_point(text: &str, start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth: i64 = 0;
    let mut i = start;
    let mut at_line_start = false;
    while i < bytes.len() {
        let b = bytes[i];
        if at_line_start {
            let indent_end = i + bytes[i..]
                .iter()
                .take_while(|b| **b == b' ' || **b == b'\t')
                .count();
            if starts_declaration(&text[indent_end..]) && (depth <= 0 || indent_end == i) {
                return indent_end;
            }
            at_line_start = false;
        }
        match b {
            b'\n' => at_line_start = true,
            b'{' => depth += 1,
            b'}' => depth -= 1,
            b'"' => {
                // Skip the string; a string never spans lines unless it is `"""`.
                if text[i..].starts_with("\"\"\"") {
                    i = text[i + 3..]
                        .find("\"\"\"")
                        .map_or(bytes.len(), |e| i + 3 + e + 2);
                } else {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    if i < bytes.len() && bytes[i] == b'\n' {
                        at_line_start = true;
                    }
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |e| i + e);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    text.len()
}

fn starts_declaration(line: &str) -> bool {
    let word_len = line
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    let word = &line[..word_len];
    let after = line[word_len..].chars().next();
    crate::ast::DeclKind::from_keyword(word).is_some()
        && after.is_none_or(|c| c.is_whitespace() || c == '"' || c == '{')
}

/// Gives each declaration the `///` comments directly above it.
fn attach_docs(text: &str, file: &mut SourceFile) {
    if !file.comments.iter().any(|c| c.kind == CommentKind::Doc) {
        return;
    }
    let comments = &file.comments;
    for item in &mut file.items {
        let Item::Decl(decl) = item else { continue };
        decl.docs = docs_above(text, comments, decl);
    }
}

fn docs_above(text: &str, comments: &[crate::ast::Comment], decl: &Decl) -> Vec<String> {
    // Comments end before the declaration starts; find the last one that does.
    let below = comments.partition_point(|c| c.range.end <= decl.range.start);
    let mut docs = Vec::new();
    let mut next_start = decl.range.start as usize;
    for comment in comments[..below].iter().rev() {
        let gap = text
            .get(comment.range.end as usize..next_start)
            .unwrap_or("x");
        // Only whitespace, and no blank line, between the comment and what follows it:
        // the grammar's whitespace (a byte-order mark is one), not Rust's `trim`, or the
        // formatter, which drops a BOM, would change what a declaration's docs are.
        if comment.kind != CommentKind::Doc
            || !gap
                .chars()
                .all(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{FEFF}'))
            || gap.matches('\n').count() > 1
        {
            break;
        }
        let line = comment.text.strip_prefix("///").unwrap_or(&comment.text);
        docs.push(line.strip_prefix(' ').unwrap_or(line).to_string());
        next_start = comment.range.start as usize;
    }
    docs.reverse();
    docs
}
