//! Byte offsets to lines and columns, for every place that shows positions to people or
//! tools: `file:line:col` in diagnostics, SARIF regions, LSP positions (UTF-16).

/// The start offset of every line of a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    starts: Vec<u32>,
}

/// A position: zero-based line, and zero-based column counted in the unit asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        Self { starts }
    }

    fn line_of(&self, offset: u32) -> usize {
        self.starts.partition_point(|&start| start <= offset) - 1
    }

    /// The line, and the column in Unicode scalar values (what editors call characters).
    pub fn line_col(&self, text: &str, offset: u32) -> LineCol {
        self.position(text, offset, |s| s.chars().count())
    }

    /// The line, and the column in UTF-16 code units (the Language Server Protocol's default).
    pub fn line_col_utf16(&self, text: &str, offset: u32) -> LineCol {
        self.position(text, offset, |s| s.encode_utf16().count())
    }

    fn position(&self, text: &str, offset: u32, width: impl Fn(&str) -> usize) -> LineCol {
        let offset = offset.min(text.len() as u32);
        let line = self.line_of(offset);
        let start = self.starts[line] as usize;
        // Offsets inside a character count from the character's start.
        let mut end = offset as usize;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        LineCol {
            line: line as u32,
            col: width(&text[start..end]) as u32,
        }
    }

    /// The byte offset of a zero-based line and UTF-16 column, clamped to the text.
    pub fn offset_utf16(&self, text: &str, position: LineCol) -> u32 {
        let Some(&start) = self.starts.get(position.line as usize) else {
            return text.len() as u32;
        };
        let line_text = &text[start as usize..];
        let line_text = line_text.split('\n').next().unwrap_or("");
        let mut units = 0u32;
        for (i, c) in line_text.char_indices() {
            if units >= position.col {
                return start + i as u32;
            }
            units += c.len_utf16() as u32;
        }
        start + line_text.len() as u32
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns() {
        let text = "ab\nçd😀e\n\nx";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), LineCol { line: 0, col: 0 });
        assert_eq!(index.line_col(text, 3), LineCol { line: 1, col: 0 });
        let e = text.find('e').unwrap_or(0) as u32;
        assert_eq!(index.line_col(text, e), LineCol { line: 1, col: 3 });
        assert_eq!(index.line_col_utf16(text, e), LineCol { line: 1, col: 4 });
        assert_eq!(index.offset_utf16(text, LineCol { line: 1, col: 4 }), e);
        assert_eq!(
            index.line_col(text, text.len() as u32),
            LineCol { line: 3, col: 1 }
        );
        assert_eq!(index.line_count(), 4);
    }
}
