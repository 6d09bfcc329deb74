//! Name resolution: a reference to a declaration, or a word of a fixed vocabulary, checked
//! against the index, with "did you mean" suggestions when it is not found.

use ward_lang::TextRange;
use ward_lang::ast::{DeclKind, Ident};

use crate::codes;
use crate::diagnostic::{Diagnostic, Suggestion};
use crate::index::{Def, Index};
use crate::schema::{Vocabulary, describe_kinds};
use crate::suggest::closest;
use crate::workspace::{FileId, Workspace};

pub struct Resolver<'a> {
    pub workspace: &'a Workspace,
    pub index: &'a Index,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Resolver<'a> {
    pub fn new(workspace: &'a Workspace, index: &'a Index) -> Self {
        Self {
            workspace,
            index,
            diagnostics: Vec::new(),
        }
    }

    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Resolves `name` to a declaration of one of `kinds`; reports `unknown-name` or
    /// `wrong-kind` otherwise.
    pub fn reference(&mut self, file: FileId, name: &Ident, kinds: &[DeclKind]) -> Option<Def> {
        self.reference_text(file, &name.text, name.range, kinds)
    }

    pub fn reference_text(
        &mut self,
        file: FileId,
        text: &str,
        range: TextRange,
        kinds: &[DeclKind],
    ) -> Option<Def> {
        let Some(def) = self.index.get(text).copied() else {
            self.unknown(file, text, range, kinds);
            return None;
        };
        if kinds.contains(&def.kind) {
            return Some(def);
        }
        let expected = describe_kinds(kinds, true);
        let mut diagnostic = Diagnostic::new(
            &codes::WRONG_KIND,
            file,
            range,
            format!(
                "`{text}` is {}, but {expected} is expected here",
                def.kind.with_article()
            ),
        )
        .with_label(format!("expected {expected}"))
        .with_secondary(
            def.file,
            def.name_range,
            format!("`{text}` is declared here as {}", def.kind.with_article()),
        );
        if let Some(better) = self.closest_of_kinds(text, kinds) {
            diagnostic = diagnostic
                .with_help(format!("did you mean `{better}`?"))
                .with_suggestion(Suggestion {
                    message: format!("use `{better}`"),
                    range,
                    replacement: better.to_string(),
                });
        }
        self.report(diagnostic);
        None
    }

    fn closest_of_kinds(&self, text: &str, kinds: &[DeclKind]) -> Option<String> {
        let candidates = self
            .index
            .names()
            .filter(|(_, def)| kinds.contains(&def.kind))
            .map(|(name, _)| name);
        // The index is a hash map: sort candidates so that ties resolve the same way every run.
        let mut sorted: Vec<&str> = candidates.collect();
        sorted.sort_unstable();
        closest(text, sorted).map(str::to_string)
    }

    fn unknown(&mut self, file: FileId, text: &str, range: TextRange, kinds: &[DeclKind]) {
        let what = describe_kinds(kinds, false);
        let mut diagnostic = Diagnostic::new(
            &codes::UNKNOWN_NAME,
            file,
            range,
            format!("unknown {what} `{text}`"),
        )
        .with_label(format!("no {what} of this name is declared"));
        if let Some(better) = self.closest_of_kinds(text, kinds) {
            diagnostic = diagnostic
                .with_help(format!("did you mean `{better}`?"))
                .with_suggestion(Suggestion {
                    message: format!("use `{better}`"),
                    range,
                    replacement: better.to_string(),
                });
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
        file: FileId,
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
        .with_label(format!("not a {}", vocabulary.what));
        let help = match closest(word, vocabulary.words.iter().copied()) {
            Some(better) => {
                diagnostic = diagnostic.with_suggestion(Suggestion {
                    message: format!("use `{better}`"),
                    range,
                    replacement: better.to_string(),
                });
                format!("did you mean `{better}`? accepted: {accepted}")
            }
            None => format!("accepted: {accepted}"),
        };
        self.report(diagnostic.with_help(help));
        false
    }
}
