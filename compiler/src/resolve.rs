//! Name resolution: a reference to a declaration, or a word of a fixed vocabulary, checked
//! against the item index, with "did you mean" suggestions when it is not found.
//!
//! A resolved reference depends on `name_owner` for that one name; the whole index is read
//! only to suggest a name for an unknown one.

use std::collections::HashMap;

use ward_lang::TextRange;
use ward_lang::ast::{DeclKind, Ident};

use crate::codes;
use crate::db::{Db, SourceFile, Workspace};
use crate::diagnostic::Diagnostic;
use crate::queries::{definition_of, item_index, owner_of};
use crate::schema::{Vocabulary, describe_kinds};
use crate::suggest::closest;

pub struct Resolver<'a> {
    pub db: &'a dyn Db,
    pub workspace: Workspace,
    pub diagnostics: Vec<Diagnostic>,
    /// Answers of `owner_of` already asked while checking this file: a file names the same
    /// declarations many times, and a local map is cheaper than interning and a query call.
    owners: HashMap<String, Option<DeclKind>>,
}

impl<'a> Resolver<'a> {
    pub fn new(db: &'a dyn Db, workspace: Workspace) -> Self {
        Self {
            db,
            workspace,
            diagnostics: Vec::new(),
            owners: HashMap::new(),
        }
    }

    /// The kind of the declaration `name` refers to.
    pub fn kind_of(&mut self, name: &str) -> Option<DeclKind> {
        if let Some(kind) = self.owners.get(name) {
            return *kind;
        }
        let kind = owner_of(self.db, self.workspace, name).map(|(kind, _)| kind);
        self.owners.insert(name.to_string(), kind);
        kind
    }

    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Resolves `name` to a declaration of one of `kinds`; reports `unknown-name` or
    /// `wrong-kind` otherwise.
    pub fn reference(
        &mut self,
        file: SourceFile,
        name: &Ident,
        kinds: &[DeclKind],
    ) -> Option<DeclKind> {
        self.reference_text(file, &name.text, name.range, kinds)
    }

    pub fn reference_text(
        &mut self,
        file: SourceFile,
        text: &str,
        range: TextRange,
        kinds: &[DeclKind],
    ) -> Option<DeclKind> {
        let Some(kind) = self.kind_of(text) else {
            self.unknown(file, text, range, kinds);
            return None;
        };
        if kinds.contains(&kind) {
            return Some(kind);
        }
        let expected = describe_kinds(kinds, true);
        let mut diagnostic = Diagnostic::new(
            &codes::WRONG_KIND,
            file,
            range,
            format!(
                "`{text}` is {}, but {expected} is expected here",
                kind.with_article()
            ),
        )
        .with_label(format!("expected {expected}"));
        if let Some(def) = definition_of(self.db, self.workspace, text) {
            diagnostic = diagnostic.with_secondary(
                def.file,
                def.name_range,
                format!("`{text}` is declared here as {}", kind.with_article()),
            );
        }
        if let Some(better) = self.closest_of_kinds(text, kinds) {
            diagnostic = diagnostic.did_you_mean(&better, range, "");
        }
        self.report(diagnostic);
        None
    }

    fn closest_of_kinds(&self, text: &str, kinds: &[DeclKind]) -> Option<String> {
        let index = item_index(self.db, self.workspace);
        // The index is a hash map: sort candidates so that ties resolve the same way every run.
        let mut candidates: Vec<&str> = index
            .names()
            .filter(|(_, kind)| kinds.contains(kind))
            .map(|(name, _)| name)
            .collect();
        candidates.sort_unstable();
        closest(text, candidates).map(str::to_string)
    }

    fn unknown(&mut self, file: SourceFile, text: &str, range: TextRange, kinds: &[DeclKind]) {
        let what = describe_kinds(kinds, false);
        let mut diagnostic = Diagnostic::new(
            &codes::UNKNOWN_NAME,
            file,
            range,
            format!("unknown {what} `{text}`"),
        )
        .with_label(format!("no {what} of this name is declared"));
        if let Some(better) = self.closest_of_kinds(text, kinds) {
            diagnostic = diagnostic.did_you_mean(&better, range, "");
        } else if let [kind] = kinds {
            diagnostic = diagnostic.with_help(format!(
                "declare it, for example `{} {text} \"...\" {{ ... }}`",
                kind.keyword()
            ));
        }
        self.report(diagnostic);
    }

    /// Checks that `word` belongs to `vocabulary`; reports `unknown-word` otherwise.
    pub fn word(
        &mut self,
        file: SourceFile,
        word: &str,
        range: TextRange,
        vocabulary: &Vocabulary,
    ) -> bool {
        if vocabulary.contains(word) {
            return true;
        }
        let accepted = vocabulary
            .words
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut diagnostic = Diagnostic::new(
            &codes::UNKNOWN_WORD,
            file,
            range,
            format!("unknown {} `{word}`", vocabulary.what),
        )
        .with_label(format!("not {}", vocabulary.with_article()));
        diagnostic = match closest(word, vocabulary.words.iter().copied()) {
            Some(better) => {
                diagnostic.did_you_mean(better, range, &format!("accepted: {accepted}"))
            }
            None => diagnostic.with_help(format!("accepted: {accepted}")),
        };
        self.report(diagnostic);
        false
    }
}
