//! The files of a policy: the user's `.ward` files and the standard library, parsed.
//!
//! The issue of the salsa database will make these inputs of incremental queries; until then
//! a workspace is built whole and checked whole.

use ward_lang::Parse;

/// An index into [`Workspace::files`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub u32);

#[derive(Debug)]
pub struct SourceFile {
    /// The path as given by the user (or `<stdlib>/...`), used in messages.
    pub path: String,
    pub text: String,
    pub parse: Parse,
    pub is_stdlib: bool,
}

#[derive(Debug, Default)]
pub struct Workspace {
    files: Vec<SourceFile>,
}

impl Workspace {
    /// A workspace holding the standard library only.
    pub fn with_stdlib() -> Self {
        let mut workspace = Workspace::default();
        for file in ward_stdlib::FILES {
            workspace.push(file.path.to_string(), file.text.to_string(), true);
        }
        workspace
    }

    /// Adds a user file and parses it.
    pub fn add_file(&mut self, path: impl Into<String>, text: impl Into<String>) -> FileId {
        self.push(path.into(), text.into(), false)
    }

    fn push(&mut self, path: String, text: String, is_stdlib: bool) -> FileId {
        let parse = ward_lang::parse(&text);
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile {
            path,
            text,
            parse,
            is_stdlib,
        });
        id
    }

    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// The number of user files (the standard library not counted).
    pub fn user_file_count(&self) -> usize {
        self.files.iter().filter(|f| !f.is_stdlib).count()
    }
}
