//! `ward fmt`: the canonical layout of a ward file.
//!
//! The layout: one declaration after another, separated by a blank line when either side spans
//! several lines (or when the author left one); blocks indented by two spaces with one
//! statement per line; lists on one line when they fit in 100 columns, else one element per
//! line with a trailing comma. A block the author wrote on one line stays on one line when it
//! holds only simple properties and fits (`segment door { classes = [lock] }`). Literals are
//! printed as written.
//!
//! Comments are not in the tree's nodes; they are kept in source order beside it. Each is
//! printed before the first node that starts after it, or at the end of the line of the node
//! it trails. A comment inside a statement (say, inside a long list) moves to the line after
//! that statement: it survives, and a second run leaves it there, so formatting is idempotent.

use std::fmt;

use crate::ast::*;
use crate::parse::{ParseError, parse};

const WIDTH: usize = 100;
const INDENT: &str = "  ";

/// Why a file was not formatted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    /// The syntax errors of the file: a broken file is left untouched.
    pub errors: Vec<ParseError>,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the file has {} syntax error{}; fix {} before formatting",
            self.errors.len(),
            if self.errors.len() == 1 { "" } else { "s" },
            if self.errors.len() == 1 { "it" } else { "them" },
        )
    }
}

impl std::error::Error for FormatError {}

/// Formats a whole file. A file with syntax errors is refused, never half-formatted.
pub fn format(text: &str) -> Result<String, FormatError> {
    let parse = parse(text);
    if parse.has_errors() {
        return Err(FormatError {
            errors: parse.errors,
        });
    }
    Ok(format_file(text, &parse.file))
}

/// Formats an already parsed, error-free file.
pub fn format_file(text: &str, file: &SourceFile) -> String {
    let mut printer = Printer {
        text,
        comments: &file.comments,
        next_comment: 0,
        out: String::with_capacity(text.len() + text.len() / 8),
        indent: 0,
        last_end: 0,
        opened_at: usize::MAX,
    };
    let mut previous_multiline = false;
    let mut first = true;
    for item in &file.items {
        let Item::Decl(decl) = item else { continue };
        let forced = previous_multiline || decl_is_multiline(text, decl);
        let separation = printer.out.len();
        printer.separate(decl.range.start, forced, first);
        let start = printer.out.len();
        printer.decl(decl);
        let multiline = printer.out[start..].trim_end().contains('\n');
        // A declaration written on one line may print on several (too long for one): it
        // gets the blank line before it too, as it will on the next run, which reads it
        // from several lines (otherwise formatting twice would differ from once).
        if multiline && !forced && !first && !printer.out[separation..].starts_with('\n') {
            printer.out.insert(separation, '\n');
        }
        previous_multiline = multiline;
        first = false;
    }
    // Comments after the last declaration.
    printer.separate(text.len() as u32, false, first);
    let trimmed_len = printer.out.trim_end().len();
    printer.out.truncate(trimmed_len);
    if !printer.out.is_empty() {
        printer.out.push('\n');
    }
    printer.out
}

/// One statement in the canonical layout, on one line where it fits: how `ward test` names
/// an assertion (a table's row with its values put in, too). `text` is the file the
/// statement's ranges point into.
pub fn format_stmt(text: &str, stmt: &Stmt) -> String {
    let mut printer = Printer {
        text,
        comments: &[],
        next_comment: 0,
        out: String::new(),
        indent: 0,
        last_end: stmt.range.start,
        opened_at: usize::MAX,
    };
    printer.stmt(stmt);
    printer.out
}

/// Whether a declaration will be printed over several lines (decided before printing it, to
/// know whether a blank line must separate it from the one before).
fn decl_is_multiline(text: &str, decl: &Decl) -> bool {
    decl.has_block && !decl.body.is_empty() && text[decl.range.as_usize()].contains('\n')
}

struct Printer<'a> {
    text: &'a str,
    comments: &'a [Comment],
    next_comment: usize,
    out: String,
    indent: usize,
    /// The end of the last node or comment printed, in the source.
    last_end: u32,
    /// Where the output stood right after the last block's `{`: the block is still empty
    /// when it stands there. (Asking whether the output ends with `{` was fooled by a
    /// comment ending with one, found by the parse_format fuzz target.)
    opened_at: usize,
}

impl<'a> Printer<'a> {
    fn open_block(&mut self) {
        self.out.push_str(" {");
        self.opened_at = self.out.len();
    }

    /// Nothing printed since the last block's `{`.
    fn just_opened(&self) -> bool {
        self.out.len() == self.opened_at
    }

    fn src(&self, range: TextRange) -> &'a str {
        &self.text[range.as_usize()]
    }

    fn newline(&mut self) {
        let trimmed = self.out.trim_end_matches([' ', '\t']).len();
        self.out.truncate(trimmed);
        self.out.push('\n');
    }

    fn write_indent(&mut self) {
        for _ in 0..self.indent {
            self.out.push_str(INDENT);
        }
    }

    /// The column the next character will be printed at.
    fn column(&self) -> usize {
        self.out.len() - self.out.rfind('\n').map_or(0, |i| i + 1)
    }

    /// Whether the source has a blank line between the last printed thing and `start`.
    fn blank_line_before(&self, start: u32) -> bool {
        let gap = self
            .text
            .get(self.last_end as usize..start as usize)
            .unwrap_or("");
        gap.split('\n')
            .skip(1)
            .take(gap.matches('\n').count().saturating_sub(1))
            .any(|line| line.trim().is_empty())
    }

    /// Starts the node at `node_start` (the printer is at the start of a line): prints the
    /// comments above it, each on its own line, and keeps one blank line wherever the source
    /// had one. `force_blank` separates two top-level declarations that span several lines.
    fn separate(&mut self, node_start: u32, force_blank: bool, is_first: bool) {
        let first_start = match self.comments.get(self.next_comment) {
            Some(c) if c.range.start < node_start => c.range.start,
            _ => node_start,
        };
        if !is_first && (force_blank || self.blank_line_before(first_start)) {
            self.out.push('\n');
        }
        let mut printed = false;
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.range.start >= node_start {
                break;
            }
            if printed && self.blank_line_before(comment.range.start) {
                self.out.push('\n');
            }
            self.write_indent();
            self.out.push_str(comment.text.trim_end());
            self.newline();
            self.last_end = comment.range.end;
            self.next_comment += 1;
            printed = true;
        }
        if printed && node_start < self.text.len() as u32 && self.blank_line_before(node_start) {
            self.out.push('\n');
        }
    }

    /// Prints a comment that trails `end` on the same source line, if there is one.
    fn trailing_comment(&mut self, end: u32) {
        let Some(comment) = self.comments.get(self.next_comment) else {
            return;
        };
        let gap = self
            .text
            .get(end as usize..comment.range.start as usize)
            .unwrap_or("\n");
        if comment.range.start >= end && !gap.contains('\n') {
            self.out.push(' ');
            self.out.push_str(comment.text.trim_end());
            self.last_end = comment.range.end;
            self.next_comment += 1;
        }
    }

    /// Prints comments that sit inside a node already printed (for example inside a list),
    /// each on its own line after it.
    fn inner_comments(&mut self, end: u32) {
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.range.start >= end {
                break;
            }
            self.newline();
            self.write_indent();
            self.out.push_str(comment.text.trim_end());
            self.last_end = comment.range.end;
            self.next_comment += 1;
        }
    }

    fn decl(&mut self, decl: &Decl) {
        self.write_indent();
        self.out.push_str(decl.kind.keyword());
        if let Some(name) = &decl.name {
            self.out.push(' ');
            self.out.push_str(&name.text);
        }
        if let Some(flow) = &decl.flow {
            self.out.push(' ');
            self.flow_spec(flow);
        }
        if let Some(title) = &decl.title {
            self.out.push(' ');
            self.out.push_str(self.src(title.range));
        }
        let optional_block = matches!(decl.kind, DeclKind::Flow | DeclKind::Capability);
        if !decl.has_block || (decl.body.is_empty() && optional_block) {
            self.finish_decl(decl);
            return;
        }
        if decl.body.is_empty() {
            self.open_block();
            self.last_end = decl.range.start;
            self.block_end(decl.range.end);
            return;
        }
        if let Some(inline) = self.inline_block(decl) {
            self.out.push_str(&inline);
            self.finish_decl(decl);
            return;
        }
        self.open_block();
        self.indent += 1;
        for stmt in &decl.body {
            self.stmt_line(stmt);
        }
        self.indent -= 1;
        self.block_end(decl.range.end);
    }

    fn finish_decl(&mut self, decl: &Decl) {
        self.last_end = decl.range.end;
        self.inner_comments(decl.range.end);
        self.trailing_comment(decl.range.end);
        self.newline();
    }

    /// Prints the comments left before a block's `}`, the `}` and what trails it.
    fn block_end(&mut self, end: u32) {
        self.close_block(end);
        self.trailing_comment(end);
        self.newline();
    }

    /// Prints the comments left before a block's `}` and the `}`.
    fn close_block(&mut self, end: u32) {
        let close = end.saturating_sub(1);
        let has_comments = self
            .comments
            .get(self.next_comment)
            .is_some_and(|c| c.range.start < close);
        if has_comments {
            let is_first = self.just_opened();
            self.newline();
            self.indent += 1;
            self.separate(close, false, is_first);
            self.indent -= 1;
        } else if !self.just_opened() {
            self.newline();
        }
        if self.just_opened() {
            self.out.push('}');
        } else {
            self.write_indent();
            self.out.push('}');
        }
        self.last_end = end;
    }

    /// `{ key = value, key = value }` when the author wrote the block on one line, it holds
    /// only properties, has no comment inside and fits.
    fn inline_block(&self, decl: &Decl) -> Option<String> {
        if self.src(decl.range).contains('\n') {
            return None;
        }
        let inner_comment = self
            .comments
            .get(self.next_comment)
            .is_some_and(|c| c.range.start < decl.range.end);
        if inner_comment {
            return None;
        }
        let mut parts = Vec::new();
        for stmt in &decl.body {
            let StmtKind::Property(property) = &stmt.kind else {
                return None;
            };
            parts.push(self.property_text(property)?);
        }
        let inline = format!(" {{ {} }}", parts.join(", "));
        (self.column() + inline.len() <= WIDTH).then_some(inline)
    }

    fn flow_spec(&mut self, flow: &FlowSpec) {
        let arrow = if flow.bidirectional { "<->" } else { "->" };
        self.out.push_str(&flow.from.text);
        self.out.push(' ');
        self.out.push_str(arrow);
        self.out.push(' ');
        self.out.push_str(&flow.to.text);
        for (i, port) in flow.ports.iter().enumerate() {
            self.out.push_str(if i == 0 { " : " } else { ", " });
            self.out.push_str(self.src(port.range));
        }
    }

    /// One statement on its own line(s), with the comments around it.
    fn stmt_line(&mut self, stmt: &Stmt) {
        let is_first = self.just_opened();
        self.newline();
        self.separate(stmt.range.start, false, is_first);
        self.write_indent();
        self.stmt(stmt);
        self.last_end = stmt.range.end;
        self.inner_comments(stmt.range.end);
        self.trailing_comment(stmt.range.end);
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Property(property) => self.property(property),
            StmtKind::Mitigate {
                threats,
                mitigations,
            } => {
                self.out.push_str("mitigate ");
                self.names(threats);
                if !mitigations.is_empty() {
                    self.out.push_str(" with ");
                    self.names(mitigations);
                }
            }
            StmtKind::Accept { threats, because } => {
                self.out.push_str("accept ");
                self.names(threats);
                self.out.push_str(" because ");
                self.out.push_str(self.src(because.range));
            }
            StmtKind::Param { name, ty, default } => {
                self.out.push_str("param ");
                self.out.push_str(&name.text);
                self.out.push_str(": ");
                self.out.push_str(&ty.text);
                self.out.push_str(" = ");
                self.value(default);
            }
            StmtKind::Bound { path, op, value } => {
                self.out.push_str("bound ");
                self.path(path);
                self.out.push(' ');
                self.out.push_str(op.as_str());
                self.out.push(' ');
                self.value(value);
            }
            StmtKind::Match { source, pattern } => {
                self.out.push_str("match ");
                self.out.push_str(&source.text);
                self.out.push(' ');
                match pattern {
                    MatchPattern::Text(text) => self.out.push_str(self.src(text.range)),
                    MatchPattern::Fields(fields) => self.fields(fields, stmt.range),
                }
            }
            StmtKind::When {
                metric,
                op,
                threshold,
                window,
                group_by,
            } => {
                self.out.push_str("when ");
                self.out.push_str(&metric.text);
                self.out.push(' ');
                self.out.push_str(op.as_str());
                self.out.push(' ');
                self.value(threshold);
                if let Some(window) = window {
                    self.out.push_str(" within ");
                    self.value(window);
                }
                if !group_by.is_empty() {
                    self.out.push_str(" by ");
                    self.names(group_by);
                }
            }
            StmtKind::Then { actions } => self.then(actions, stmt.range),
            StmtKind::FlowAssert {
                verdict,
                flow,
                fields,
            } => {
                self.out.push_str(&verdict.text);
                self.out.push_str(" flow ");
                self.flow_spec(flow);
                if !fields.is_empty() {
                    self.out.push(' ');
                    self.fields(fields, stmt.range);
                }
            }
            StmtKind::Expect { subject, op, value } => {
                self.out.push_str("expect ");
                match subject {
                    ExpectSubject::Path(path) => self.path(path),
                    ExpectSubject::Call { function, args } => {
                        self.out.push_str(&function.text);
                        self.out.push('(');
                        for (i, arg) in args.iter().enumerate() {
                            if i > 0 {
                                self.out.push_str(", ");
                            }
                            self.value(arg);
                        }
                        self.out.push(')');
                    }
                }
                self.out.push(' ');
                self.out.push_str(op.as_str());
                self.out.push(' ');
                self.value(value);
            }
            StmtKind::ExpectDetect { rule, count, input } => {
                self.out.push_str("expect detect ");
                self.out.push_str(&rule.text);
                self.out.push_str(" fires ");
                self.value(count);
                self.out.push_str(" on ");
                self.value(input);
            }
            StmtKind::Table(table) => self.table(table, stmt.range),
        }
    }

    /// `for (a, b) in [rows] { body }`: the rows on one line when written so and they fit,
    /// else one per line with a trailing comma and the comments between them kept.
    fn table(&mut self, table: &Table, range: TextRange) {
        self.out.push_str("for ");
        if let [param] = table.params.as_slice() {
            self.out.push_str(&param.text);
        } else {
            self.out.push('(');
            self.names(&table.params);
            self.out.push(')');
        }
        self.out.push_str(" in ");
        let texts: Option<Vec<String>> = table.rows.iter().map(|r| self.row_text(r)).collect();
        let rows_span = match (table.rows.first(), table.rows.last()) {
            (Some(first), Some(last)) => TextRange::new(first.range.start, last.range.end),
            _ => TextRange::new(range.start, range.start),
        };
        let comment_inside = self
            .comments
            .get(self.next_comment)
            .is_some_and(|c| c.range.start < rows_span.end);
        let inline = texts
            .filter(|_| !self.src(rows_span).contains('\n') && !comment_inside)
            .map(|texts| format!("[{}]", texts.join(", ")))
            .filter(|line| self.column() + line.len() + 2 <= WIDTH);
        if let Some(line) = inline {
            self.out.push_str(&line);
        } else {
            self.out.push('[');
            self.indent += 1;
            self.last_end = range.start;
            for (i, row) in table.rows.iter().enumerate() {
                self.newline();
                self.separate(row.range.start, false, i == 0);
                self.write_indent();
                let text = self.row_verbatim(row);
                self.out.push_str(&text);
                self.out.push(',');
                self.last_end = row.range.end;
                self.trailing_comment(row.range.end);
            }
            self.indent -= 1;
            self.newline();
            self.write_indent();
            self.out.push(']');
        }
        self.open_block();
        self.indent += 1;
        for stmt in &table.body {
            self.stmt_line(stmt);
        }
        self.indent -= 1;
        self.close_block(range.end);
    }

    /// A row on one line (`(allow, app, tcp/8883)`, or the value alone in a one-parameter
    /// table), or `None` when a value spans lines.
    fn row_text(&self, row: &Row) -> Option<String> {
        let cells = row
            .cells
            .iter()
            .map(|c| match c {
                Cell::Value(v) => self.flat_value(v),
                Cell::Port(p) => Some(self.src(p.range).to_string()),
            })
            .collect::<Option<Vec<_>>>()?;
        Some(match cells.as_slice() {
            [one] => one.clone(),
            _ => format!("({})", cells.join(", ")),
        })
    }

    /// A row as [`Self::row_text`], multi-line values as written.
    fn row_verbatim(&self, row: &Row) -> String {
        self.row_text(row).unwrap_or_else(|| {
            let cells: Vec<&str> = row.cells.iter().map(|c| self.src(c.range())).collect();
            match cells.as_slice() {
                [one] => one.to_string(),
                _ => format!("({})", cells.join(", ")),
            }
        })
    }

    fn names(&mut self, names: &[Ident]) {
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                self.out.push_str(", ");
            }
            self.out.push_str(&name.text);
        }
    }

    fn path(&mut self, path: &[Ident]) {
        for (i, part) in path.iter().enumerate() {
            if i > 0 {
                self.out.push('.');
            }
            self.out.push_str(&part.text);
        }
    }

    fn property(&mut self, property: &Property) {
        self.out.push_str(&property.key.text);
        if let Some(subject) = &property.subject {
            self.out.push(' ');
            self.out.push_str(&subject.text);
        }
        self.out.push_str(" = ");
        self.value(&property.value);
    }

    /// A property on one line, or `None` when its value does not fit on one.
    fn property_text(&self, property: &Property) -> Option<String> {
        let mut text = property.key.text.clone();
        if let Some(subject) = &property.subject {
            text.push(' ');
            text.push_str(&subject.text);
        }
        text.push_str(" = ");
        text.push_str(&self.flat_value(&property.value)?);
        Some(text)
    }

    /// `{ app = /sshd/, msg = /.../ }` on one line when written so and it fits, else one
    /// field per line.
    fn fields(&mut self, fields: &[Property], stmt_range: TextRange) {
        if fields.is_empty() {
            self.out.push_str("{}");
            return;
        }
        let inline = (!self.src(stmt_range).contains('\n'))
            .then(|| {
                fields
                    .iter()
                    .map(|f| self.property_text(f))
                    .collect::<Option<Vec<_>>>()
            })
            .flatten()
            .map(|parts| format!("{{ {} }}", parts.join(", ")))
            .filter(|line| self.column() + line.len() <= WIDTH);
        if let Some(line) = inline {
            self.out.push_str(&line);
            return;
        }
        self.out.push('{');
        self.indent += 1;
        for field in fields {
            self.newline();
            self.write_indent();
            self.property(field);
        }
        self.indent -= 1;
        self.newline();
        self.write_indent();
        self.out.push('}');
    }

    fn then(&mut self, actions: &[Action], stmt_range: TextRange) {
        self.out.push_str("then ");
        let texts: Vec<String> = actions.iter().map(|a| self.action_text(a)).collect();
        let written_as_block = self.src(stmt_range).trim_end().ends_with('}');
        if !written_as_block && texts.len() == 1 {
            self.out.push_str(&texts[0]);
            return;
        }
        let line = format!("{{ {} }}", texts.join("; "));
        if !self.src(stmt_range).contains('\n') && self.column() + line.len() <= WIDTH {
            self.out.push_str(&line);
            return;
        }
        self.out.push('{');
        self.indent += 1;
        for text in texts {
            self.newline();
            self.write_indent();
            self.out.push_str(&text);
        }
        self.indent -= 1;
        self.newline();
        self.write_indent();
        self.out.push('}');
    }

    fn action_text(&self, action: &Action) -> String {
        let mut text = action.name.text.clone();
        for (i, arg) in action.args.iter().enumerate() {
            text.push_str(if i == 0 { " " } else { ", " });
            text.push_str(self.src(arg.range));
        }
        text
    }

    /// A value on one line, or `None` when it holds a multi-line string.
    fn flat_value(&self, value: &Value) -> Option<String> {
        match &value.kind {
            ValueKind::List(items) => {
                let parts = items
                    .iter()
                    .map(|v| self.flat_value(v))
                    .collect::<Option<Vec<_>>>()?;
                Some(format!("[{}]", parts.join(", ")))
            }
            _ => {
                let text = self.src(value.range);
                (!text.contains('\n')).then(|| text.to_string())
            }
        }
    }

    fn value(&mut self, value: &Value) {
        let ValueKind::List(items) = &value.kind else {
            self.out.push_str(self.src(value.range));
            return;
        };
        if let Some(flat) = self.flat_value(value)
            && self.column() + flat.len() <= WIDTH
        {
            self.out.push_str(&flat);
            return;
        }
        self.out.push('[');
        self.indent += 1;
        for item in items {
            self.newline();
            self.write_indent();
            self.value(item);
            self.out.push(',');
        }
        self.indent -= 1;
        self.newline();
        self.write_indent();
        self.out.push(']');
    }
}
