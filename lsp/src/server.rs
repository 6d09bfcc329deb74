//! The language server's state and handlers.
//!
//! State lives behind one async mutex: salsa's database is mutated by edits and read by
//! requests, and each handler holds the lock only while it converts and queries. Requests
//! that arrive for a document version older than the current one are answered with
//! `ContentModified`, so a slow reply is never computed for stale text.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};
use ward_compiler::{Policy, SourceFile, ide};
use ward_lang::LineIndex;

use crate::convert;

struct State {
    policy: Policy,
    by_uri: HashMap<Uri, SourceFile>,
    uri_of: HashMap<SourceFile, Uri>,
    /// What was last published per file, to publish only what changed.
    published: HashMap<Uri, Vec<Diagnostic>>,
    /// Where the explanations of codes are written, for `codeDescription` links.
    explain_dir: Option<PathBuf>,
    /// The files open in the editor, with the version of their text: their buffers are the
    /// truth until closed. The others follow the disk (`workspace/didChangeWatchedFiles`).
    open: HashMap<Uri, i32>,
    /// The private folder the standard library and the explanations are written to; removed
    /// with the server.
    support: Option<tempfile::TempDir>,
    /// Files that left the workspace, whose diagnostics the editor must clear.
    cleared: Vec<Uri>,
}

impl State {
    /// A file joins the workspace under its URI.
    fn add(&mut self, uri: Uri, path: String, text: String) {
        let file = self.policy.add_file(path, text);
        self.uri_of.insert(file, uri.clone());
        self.by_uri.insert(uri, file);
    }
}

pub struct Backend {
    client: Client,
    state: Mutex<State>,
    /// Bumped by every edit: a request that started before an edit is stale.
    revision: AtomicU64,
    /// Held from computing diagnostics to sending them: handlers run concurrently, and the
    /// diagnostics of an older state sent after a newer one's would stay on the editor's
    /// screen (found by tests/lsp_props.rs).
    publishing: Mutex<()>,
}

impl Backend {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            state: Mutex::new(State {
                policy: Policy::default(),
                by_uri: HashMap::new(),
                uri_of: HashMap::new(),
                published: HashMap::new(),
                explain_dir: None,
                open: HashMap::new(),
                support: None,
                cleared: Vec::new(),
            }),
            revision: AtomicU64::new(0),
            publishing: Mutex::new(()),
        }
    }

    /// Makes the workspace's copy of `uri` what the disk holds: its text, or, when the file
    /// is gone (deleted, renamed away) or is no `.ward` file any more, nothing.
    fn follow_disk(&self, state: &mut State, uri: &Uri) {
        let on_disk = uri
            .to_file_path()
            .filter(|p| p.extension().is_some_and(|e| e == "ward"))
            .and_then(|p| ward_compiler::files::read(&p).ok().map(|text| (p, text)));
        let known = state.by_uri.get(uri).copied();
        match (known, on_disk) {
            (Some(file), _) if file.is_stdlib(state.policy.db()) => {}
            (Some(file), Some((_, text))) => {
                if file.text(state.policy.db()) != &text {
                    state.policy.set_text(file, text);
                }
            }
            (Some(file), None) => {
                state.policy.remove_file(file);
                state.by_uri.remove(uri);
                state.uri_of.remove(&file);
                // Its diagnostics go with it.
                state.published.insert(uri.clone(), Vec::new());
                state.cleared.push(uri.clone());
            }
            (None, Some((path, text))) => {
                state.add(uri.clone(), path.display().to_string(), text);
            }
            (None, None) => {}
        }
    }

    fn stale(&self, started: u64) -> Result<()> {
        if self.revision.load(Ordering::SeqCst) != started {
            return Err(content_modified());
        }
        Ok(())
    }

    /// Publishes the diagnostics that changed, and always those of `touched` (the file just
    /// edited: clients expect an answer to every change, even an unchanged one).
    async fn publish(&self, touched: Option<&Uri>) {
        let _in_order = self.publishing.lock().await;
        let updates = {
            let mut state = self.state.lock().await;
            // Waivers expire and flows end with time: the clock moves at most once a minute,
            // so that an edit re-runs only the checks that read it, and not on every keystroke.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            if (now - state.policy.now()).abs() >= 60 {
                state.policy.set_now(now);
            }
            let result = state.policy.check();
            let db = state.policy.db();
            let mut per_file: HashMap<Uri, Vec<Diagnostic>> = HashMap::new();
            for (file, uri) in &state.uri_of {
                if !file.is_stdlib(db) {
                    per_file.insert(uri.clone(), Vec::new());
                }
            }
            // A waived finding is the waiver's business: `ward check` does not show it either.
            for diagnostic in result.diagnostics.iter().filter(|d| d.waived.is_none()) {
                let Some(uri) = state.uri_of.get(&diagnostic.file) else {
                    continue;
                };
                let related: Vec<DiagnosticRelatedInformation> = diagnostic
                    .labels
                    .iter()
                    .filter_map(|label| {
                        Some(DiagnosticRelatedInformation {
                            location: Location::new(
                                state.uri_of.get(&label.file)?.clone(),
                                convert::file_range(db, label.file, label.range),
                            ),
                            message: label.message.clone(),
                        })
                    })
                    .collect();
                let mut message = diagnostic.message.clone();
                if let Some(help) = &diagnostic.help {
                    message.push_str("\nhelp: ");
                    message.push_str(help);
                }
                let code_description = state
                    .explain_dir
                    .as_ref()
                    .and_then(|dir| {
                        Uri::from_file_path(dir.join(format!("{}.md", diagnostic.code.code)))
                    })
                    .map(|href| CodeDescription { href });
                per_file.entry(uri.clone()).or_default().push(Diagnostic {
                    range: convert::file_range(db, diagnostic.file, diagnostic.range),
                    severity: Some(convert::severity(diagnostic.severity)),
                    code: Some(NumberOrString::String(diagnostic.code.code.to_string())),
                    code_description,
                    source: Some("ward".into()),
                    message,
                    related_information: (!related.is_empty()).then_some(related),
                    tags: None,
                    data: None,
                });
            }
            let mut updates: Vec<(Uri, Vec<Diagnostic>)> = state
                .cleared
                .drain(..)
                .map(|uri| (uri, Vec::new()))
                .collect();
            for (uri, diagnostics) in per_file {
                if state.published.get(&uri) != Some(&diagnostics) || touched == Some(&uri) {
                    state.published.insert(uri.clone(), diagnostics.clone());
                    updates.push((uri, diagnostics));
                }
            }
            updates
        };
        for (uri, diagnostics) in updates {
            self.client
                .publish_diagnostics(uri, diagnostics, None)
                .await;
        }
    }

    /// Runs `f` on a snapshot of the database, with the file of `uri`, its text and line
    /// index. The lock is held only to take the snapshot; `f` runs on a blocking thread. An
    /// edit arriving meanwhile cancels it (salsa unwinds the snapshot's queries), and the
    /// request is answered with `ContentModified` rather than computed for stale text.
    async fn with_file<T: Send + 'static>(
        &self,
        uri: &Uri,
        f: impl FnOnce(&Snapshot, SourceFile, &str, &LineIndex) -> T + Send + 'static,
    ) -> Result<Option<T>> {
        let started = self.revision.load(Ordering::SeqCst);
        let (snapshot, file) = {
            let state = self.state.lock().await;
            let Some(file) = state.by_uri.get(uri).copied() else {
                return Ok(None);
            };
            (
                Snapshot {
                    db: state.policy.db().clone(),
                    workspace: state.policy.workspace(),
                    uri_of: state.uri_of.clone(),
                },
                file,
            )
        };
        let outcome = tokio::task::spawn_blocking(move || {
            // Unwinding is how salsa cancels; the snapshot is dropped with it.
            salsa::Cancelled::catch(std::panic::AssertUnwindSafe(move || {
                let text = file.text(&snapshot.db).clone();
                let index = LineIndex::new(&text);
                f(&snapshot, file, &text, &index)
            }))
        })
        .await;
        match outcome {
            Ok(Ok(value)) => {
                self.stale(started)?;
                Ok(Some(value))
            }
            Ok(Err(_cancelled)) => Err(content_modified()),
            Err(join) => Err(Error {
                code: ErrorCode::InternalError,
                message: format!("the request failed: {join}").into(),
                data: None,
            }),
        }
    }
}

/// What a request reads: a clone of the database (salsa handles are cheap to clone), the
/// workspace and the file URIs.
pub struct Snapshot {
    db: ward_compiler::RootDatabase,
    workspace: ward_compiler::Workspace,
    uri_of: HashMap<SourceFile, Uri>,
}

fn content_modified() -> Error {
    Error {
        code: ErrorCode::ServerError(-32801),
        message: "content modified".into(),
        data: None,
    }
}

/// Writes the standard library and the explanations of codes where editors can open them
/// (read-only), in a folder of this server's own: created afresh with a random name and
/// mode 0700, so that no other local user can have prepared it, read it or swap its files
/// (the fixed path used before could be pre-created by anyone). Returns the folder (removed when dropped) and its two subfolders.
fn write_support_files() -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    let mut builder = tempfile::Builder::new();
    builder.prefix("ward-lsp-");
    // Created with these permissions (mkdir's mode), not changed after: no moment in which
    // another user could enter it.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let base = builder.tempdir().ok()?;
    let stdlib = base.path().join("stdlib");
    let explain = base.path().join("explain");
    std::fs::create_dir_all(&stdlib).ok()?;
    std::fs::create_dir_all(&explain).ok()?;
    for file in ward_stdlib::FILES {
        let name = file.path.trim_start_matches("<stdlib>/");
        let path = stdlib.join(name);
        std::fs::write(&path, file.text).ok()?;
        // Served for reading: edits to it would be ignored.
        if let Ok(meta) = std::fs::metadata(&path) {
            let mut permissions = meta.permissions();
            permissions.set_readonly(true);
            let _ = std::fs::set_permissions(&path, permissions);
        }
    }
    for code in ward_compiler::codes::ALL {
        let text = format!(
            "# {} {}\n\n{}\n\n```text\n{}```\n",
            code.code, code.name, code.summary, code.explanation
        );
        let _ = std::fs::write(explain.join(format!("{}.md", code.code)), text);
    }
    Some((base, stdlib, explain))
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .unwrap_or_default()
            .iter()
            .filter_map(|f| f.uri.to_file_path().map(|p| p.into_owned()))
            .collect();
        #[expect(deprecated, reason = "older clients send only root_uri")]
        if roots.is_empty()
            && let Some(root) = params.root_uri.as_ref().and_then(|u| u.to_file_path())
        {
            roots.push(root.into_owned());
        }
        let mut state = self.state.lock().await;
        let support = write_support_files();
        if let Some((_, stdlib, explain)) = &support {
            // The stdlib files of the database get the URIs of their copies on disk.
            let db_files: Vec<SourceFile> = state
                .policy
                .workspace()
                .files(state.policy.db())
                .iter()
                .copied()
                .filter(|f| f.is_stdlib(state.policy.db()))
                .collect();
            for file in db_files {
                let name = file
                    .path(state.policy.db())
                    .trim_start_matches("<stdlib>/")
                    .to_string();
                if let Some(uri) = Uri::from_file_path(stdlib.join(name)) {
                    state.uri_of.insert(file, uri.clone());
                    state.by_uri.insert(uri, file);
                }
            }
            state.explain_dir = Some(explain.clone());
        }
        state.support = support.map(|(base, _, _)| base);
        // The CLI's walker: symbolic links to folders are not followed.
        let (paths, _unreadable) = ward_compiler::files::collect(&roots);
        for path in paths {
            let (Ok(text), Some(uri)) =
                (std::fs::read_to_string(&path), Uri::from_file_path(&path))
            else {
                continue;
            };
            let display = path.display().to_string();
            state.add(uri, display, text);
        }
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "ward".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities {
                text_document_sync: Some(TextDocumentSyncCapability::Kind(
                    TextDocumentSyncKind::FULL,
                )),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
                document_formatting_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(false),
                    work_done_progress_options: Default::default(),
                })),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec!["=".into(), "[".into(), " ".into()]),
                    ..Default::default()
                }),
                code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
                inlay_hint_provider: Some(OneOf::Left(true)),
                semantic_tokens_provider: Some(
                    SemanticTokensServerCapabilities::SemanticTokensOptions(
                        SemanticTokensOptions {
                            legend: SemanticTokensLegend {
                                token_types: convert::TOKEN_TYPES
                                    .iter()
                                    .map(|t| SemanticTokenType::new(t))
                                    .collect(),
                                token_modifiers: vec![SemanticTokenModifier::DECLARATION],
                            },
                            full: Some(SemanticTokensFullOptions::Bool(true)),
                            range: None,
                            work_done_progress_options: Default::default(),
                        },
                    ),
                ),
                ..ServerCapabilities::default()
            },
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        // Files created, changed, deleted or renamed outside the editor: the workspace
        // follows the disk for every file not open in it.
        let watch = DidChangeWatchedFilesRegistrationOptions {
            watchers: vec![FileSystemWatcher {
                glob_pattern: GlobPattern::String("**/*.ward".into()),
                kind: None,
            }],
        };
        self.publish(None).await;
        // Not awaited here: a client slow to answer must not hold back the notifications
        // that follow.
        if let Ok(options) = serde_json::to_value(watch) {
            let client = self.client.clone();
            tokio::spawn(async move {
                let _ = client
                    .register_capability(vec![Registration {
                        id: "ward-files".into(),
                        method: "workspace/didChangeWatchedFiles".into(),
                        register_options: Some(options),
                    }])
                    .await;
            });
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.revision.fetch_add(1, Ordering::SeqCst);
        let uri = params.text_document.uri;
        {
            let mut state = self.state.lock().await;
            state.open.remove(&uri);
            // A buffer closed without saving is no longer the truth: the disk is.
            self.follow_disk(&mut state, &uri);
        }
        self.publish(None).await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        self.revision.fetch_add(1, Ordering::SeqCst);
        {
            let mut state = self.state.lock().await;
            for change in params.changes {
                if !state.open.contains_key(&change.uri) {
                    self.follow_disk(&mut state, &change.uri);
                }
            }
        }
        self.publish(None).await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        self.revision.fetch_add(1, Ordering::SeqCst);
        let uri = params.text_document.uri;
        {
            let mut state = self.state.lock().await;
            // An edit of this document may have been handled first (handlers run
            // concurrently): a newer text than the one opened stays.
            let version = params.text_document.version;
            if state.open.get(&uri).is_some_and(|held| *held >= version) {
                return;
            }
            state.open.insert(uri.clone(), version);
            let text = params.text_document.text;
            match state.by_uri.get(&uri).copied() {
                Some(file) if file.is_stdlib(state.policy.db()) => {}
                Some(file) => {
                    if file.text(state.policy.db()) != &text {
                        state.policy.set_text(file, text);
                    }
                }
                None => {
                    let path = uri
                        .to_file_path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| uri.as_str().to_string());
                    state.add(uri.clone(), path, text);
                }
            }
        }
        self.publish(Some(&uri)).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        self.revision.fetch_add(1, Ordering::SeqCst);
        let Some(change) = params.content_changes.into_iter().last() else {
            return;
        };
        {
            let mut state = self.state.lock().await;
            let Some(file) = state.by_uri.get(&params.text_document.uri).copied() else {
                return;
            };
            if file.is_stdlib(state.policy.db()) {
                return;
            }
            // tower-lsp runs handlers concurrently: two edits may reach this lock in either
            // order. Each carries the whole text and its version, so an older one than the
            // text held is dropped rather than applied over the newer (found by
            // tests/lsp_props.rs: the server's text drifted from the editor's).
            let version = params.text_document.version;
            match state.open.get(&params.text_document.uri) {
                Some(held) if *held >= version => return,
                _ => {
                    state.open.insert(params.text_document.uri.clone(), version);
                }
            }
            state.policy.set_text(file, change.text);
        }
        self.publish(Some(&params.text_document.uri)).await;
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let at = params.text_document_position_params;
        let uri = at.text_document.uri.clone();
        let answer = self
            .with_file(&uri, move |snap, file, text, index| {
                let offset = convert::offset(text, index, at.position);
                ide::hover(&snap.db, snap.workspace, file, offset).map(|(markdown, range)| Hover {
                    contents: HoverContents::Markup(MarkupContent {
                        kind: MarkupKind::Markdown,
                        value: markdown,
                    }),
                    range: Some(convert::range(text, index, range)),
                })
            })
            .await?
            .flatten();
        Ok(answer)
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let at = params.text_document_position_params;
        let uri = at.text_document.uri.clone();
        Ok(self
            .with_file(&uri, move |snap, file, text, index| {
                let db = &snap.db;
                let offset = convert::offset(text, index, at.position);
                let target = ide::goto_definition(db, snap.workspace, file, offset)?;
                let uri = snap.uri_of.get(&target.file)?.clone();
                Some(GotoDefinitionResponse::Scalar(Location::new(
                    uri,
                    convert::file_range(db, target.file, target.range),
                )))
            })
            .await?
            .flatten())
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let at = params.text_document_position;
        let uri = at.text_document.uri.clone();
        self.with_file(&uri, move |snap, file, text, index| {
            let db = &snap.db;
            let offset = convert::offset(text, index, at.position);
            ide::references(db, snap.workspace, file, offset)
                .into_iter()
                .filter_map(|l| {
                    Some(Location::new(
                        snap.uri_of.get(&l.file)?.clone(),
                        convert::file_range(db, l.file, l.range),
                    ))
                })
                .collect()
        })
        .await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.with_file(&params.text_document.uri, |snap, file, text, index| {
            #[expect(deprecated, reason = "DocumentSymbol still has the deprecated field")]
            let symbols = ide::document_symbols(&snap.db, file)
                .into_iter()
                .map(|s| DocumentSymbol {
                    name: s.name,
                    detail: Some(s.kind.noun().to_string()),
                    kind: convert::symbol_kind(s.kind),
                    tags: None,
                    deprecated: None,
                    range: convert::range(text, index, s.range),
                    selection_range: convert::range(text, index, s.selection),
                    children: None,
                })
                .collect();
            DocumentSymbolResponse::Nested(symbols)
        })
        .await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        let state = self.state.lock().await;
        let db = state.policy.db();
        #[expect(
            deprecated,
            reason = "SymbolInformation still has the deprecated field"
        )]
        let symbols = ide::workspace_symbols(db, state.policy.workspace(), &params.query)
            .into_iter()
            .filter_map(|(file, s)| {
                Some(SymbolInformation {
                    name: s.name,
                    kind: convert::symbol_kind(s.kind),
                    tags: None,
                    deprecated: None,
                    location: Location::new(
                        state.uri_of.get(&file)?.clone(),
                        convert::file_range(db, file, s.selection),
                    ),
                    container_name: None,
                })
            })
            .collect();
        Ok(Some(WorkspaceSymbolResponse::Flat(symbols)))
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        self.with_file(&params.text_document.uri, |snap, file, _, _| {
            ide::folding_ranges(&snap.db, file)
                .into_iter()
                .map(|(start, end)| FoldingRange {
                    start_line: start,
                    end_line: end,
                    kind: Some(FoldingRangeKind::Region),
                    ..Default::default()
                })
                .collect()
        })
        .await
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        Ok(self
            .with_file(&params.text_document.uri, |_, _, text, index| {
                // A file with syntax errors is not formatted (as with `ward fmt`).
                let formatted = ward_lang::format(text).ok()?;
                if formatted == text {
                    return Some(Vec::new());
                }
                let whole =
                    convert::range(text, index, ward_lang::TextRange::new(0, text.len() as u32));
                Some(vec![TextEdit::new(whole, formatted)])
            })
            .await?
            .flatten())
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let at = params.text_document_position;
        let uri = at.text_document.uri.clone();
        let items = self
            .with_file(&uri, move |snap, file, text, index| {
                let offset = convert::offset(text, index, at.position);
                ide::completions(&snap.db, snap.workspace, file, offset)
                    .into_iter()
                    .map(|c| CompletionItem {
                        label: c.label,
                        detail: Some(c.detail),
                        kind: Some(if c.is_keyword {
                            CompletionItemKind::KEYWORD
                        } else {
                            CompletionItemKind::REFERENCE
                        }),
                        ..Default::default()
                    })
                    .collect::<Vec<_>>()
            })
            .await?;
        Ok(items.map(CompletionResponse::Array))
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        self.with_file(&params.text_document.uri, |snap, file, text, index| {
            let tokens = ide::semantic_tokens(&snap.db, snap.workspace, file);
            SemanticTokensResult::Tokens(SemanticTokens {
                result_id: None,
                data: convert::semantic_tokens(text, index, &tokens),
            })
        })
        .await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        self.with_file(&params.text_document.uri, |snap, file, text, index| {
            ide::inlay_hints(&snap.db, snap.workspace, file)
                .into_iter()
                .map(|(offset, label)| InlayHint {
                    position: convert::position(text, index, offset),
                    label: InlayHintLabel::String(label),
                    kind: Some(InlayHintKind::TYPE),
                    text_edits: None,
                    tooltip: None,
                    padding_left: Some(false),
                    padding_right: Some(false),
                    data: None,
                })
                .collect()
        })
        .await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let at = params.text_document_position;
        let uri = at.text_document.uri.clone();
        let new_name = params.new_name;
        let result = self
            .with_file(&uri, move |snap, file, text, index| {
                let db = &snap.db;
                let offset = convert::offset(text, index, at.position);
                ide::rename(db, snap.workspace, file, offset, &new_name).map(|locations| {
                    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
                    for l in locations {
                        if let Some(uri) = snap.uri_of.get(&l.file) {
                            changes.entry(uri.clone()).or_default().push(TextEdit::new(
                                convert::file_range(db, l.file, l.range),
                                new_name.clone(),
                            ));
                        }
                    }
                    WorkspaceEdit::new(changes)
                })
            })
            .await?;
        match result {
            Some(Ok(edit)) => Ok(Some(edit)),
            Some(Err(reason)) => Err(Error::invalid_params(reason)),
            None => Ok(None),
        }
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri.clone();
        let state = self.state.lock().await;
        let Some(&file) = state.by_uri.get(&uri) else {
            return Ok(None);
        };
        let db = state.policy.db();
        let text = file.text(db);
        let index = LineIndex::new(text);
        let result = state.policy.check();
        let mut actions = Vec::new();
        for diagnostic in result.diagnostics.iter().filter(|d| d.file == file) {
            let Some(suggestion) = &diagnostic.suggestion else {
                continue;
            };
            let range = convert::range(text, &index, diagnostic.range);
            let overlaps = range.start <= params.range.end && params.range.start <= range.end;
            if !overlaps {
                continue;
            }
            let edit = TextEdit::new(
                convert::range(text, &index, suggestion.range),
                suggestion.replacement.clone(),
            );
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: suggestion.message.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: None,
                edit: Some(WorkspaceEdit::new(HashMap::from([(
                    uri.clone(),
                    vec![edit],
                )]))),
                is_preferred: Some(true),
                ..Default::default()
            }));
        }
        Ok(Some(actions))
    }
}
