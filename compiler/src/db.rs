//! The salsa database: source files are inputs; parsing, the item index, name resolution,
//! the semantic model and the checks are queries over them (see `queries.rs`, `model.rs`,
//! `check.rs`). The command line and the language server use the same database.

use std::sync::{Arc, Mutex};

use salsa::{Durability, Setter};

/// The database trait every query takes.
#[salsa::db]
pub trait Db: salsa::Database {}

/// The one concrete database.
#[salsa::db]
#[derive(Clone)]
pub struct RootDatabase {
    storage: salsa::Storage<Self>,
}

#[salsa::db]
impl salsa::Database for RootDatabase {}

#[salsa::db]
impl Db for RootDatabase {}

impl Default for RootDatabase {
    fn default() -> Self {
        Self {
            storage: salsa::Storage::new(None),
        }
    }
}

/// What salsa did, query by query: for tests that prove incrementality and for profiling.
#[derive(Clone, Default)]
pub struct EventLog {
    events: Arc<Mutex<Vec<String>>>,
}

impl EventLog {
    /// The `WillExecute` events since the last call, as `query(Id(..))` strings.
    pub fn take_executed(&self) -> Vec<String> {
        let mut events = match self.events.lock() {
            Ok(events) => events,
            Err(poisoned) => poisoned.into_inner(),
        };
        std::mem::take(&mut *events)
    }
}

impl RootDatabase {
    /// A database that records which queries execute.
    pub fn with_event_log() -> (Self, EventLog) {
        let log = EventLog::default();
        let sink = log.clone();
        let storage = salsa::Storage::new(Some(Box::new(move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind
                && let Ok(mut events) = sink.events.lock()
            {
                events.push(format!("{database_key:?}"));
            }
        })));
        (Self { storage }, log)
    }
}

/// One `.ward` file: its path as shown to users, and its text.
#[salsa::input(debug)]
pub struct SourceFile {
    #[returns(ref)]
    pub path: String,
    #[returns(ref)]
    pub text: String,
    #[returns(copy)]
    pub is_stdlib: bool,
}

/// The files of a policy, the standard library first, and the moment it is checked at.
#[salsa::input(debug)]
pub struct Workspace {
    #[returns(ref)]
    pub files: Vec<SourceFile>,
    /// Seconds since 1970 (UTC): waivers expire and flows end against it. Only the checks of
    /// waivers and time-limited flows read it, so moving it re-runs those alone.
    #[returns(copy)]
    pub now: i64,
}

/// The current time in seconds since 1970, for [`Policy::new`] and what compares bundles.
pub fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A policy being checked: the database, the workspace and its files. The command line
/// builds one and checks it; the language server keeps one and edits it.
pub struct Policy {
    db: RootDatabase,
    workspace: Workspace,
}

impl Default for Policy {
    fn default() -> Self {
        Self::new(RootDatabase::default())
    }
}

impl Policy {
    /// A policy holding the standard library only, over the given database.
    pub fn new(db: RootDatabase) -> Self {
        let mut files = Vec::new();
        for file in ward_stdlib::FILES {
            // The standard library never changes while a policy is edited: high durability
            // lets salsa skip re-validating everything derived from it.
            let input = SourceFile::builder(file.path.to_string(), file.text.to_string(), true)
                .durability(Durability::HIGH)
                .new(&db);
            files.push(input);
        }
        let workspace = Workspace::new(&db, files, system_now());
        Self { db, workspace }
    }

    /// Checks as of `now` (seconds since 1970, UTC) rather than the clock: `--today`.
    pub fn set_now(&mut self, now: i64) {
        if self.workspace.now(&self.db) != now {
            self.workspace.set_now(&mut self.db).to(now);
        }
    }

    /// The moment the policy is checked at.
    pub fn now(&self) -> i64 {
        self.workspace.now(&self.db)
    }

    pub fn db(&self) -> &RootDatabase {
        &self.db
    }

    pub fn workspace(&self) -> Workspace {
        self.workspace
    }

    /// Adds a user file, in its place by path: the workspace's order decides which of two
    /// declarations is "first" (W0002, E0100...), so it must not depend on the order files
    /// were added in (the language server learns of them as they come; `ward check` reads a
    /// folder sorted): incremental equals cold (tests/incremental_props.rs).
    pub fn add_file(&mut self, path: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let path = path.into();
        let mut files = self.workspace.files(&self.db).clone();
        let at = files
            .iter()
            .position(|f| !f.is_stdlib(&self.db) && f.path(&self.db).as_str() > path.as_str())
            .unwrap_or(files.len());
        let file = SourceFile::new(&self.db, path, text.into(), false);
        files.insert(at, file);
        self.workspace.set_files(&mut self.db).to(files);
        file
    }

    /// Replaces the text of a file.
    pub fn set_text(&mut self, file: SourceFile, text: impl Into<String>) {
        file.set_text(&mut self.db).to(text.into());
    }

    /// Removes a file from the policy.
    pub fn remove_file(&mut self, file: SourceFile) {
        let mut files = self.workspace.files(&self.db).clone();
        files.retain(|f| *f != file);
        self.workspace.set_files(&mut self.db).to(files);
    }

    /// The user files, by path.
    pub fn user_files(&self) -> Vec<SourceFile> {
        self.workspace
            .files(&self.db)
            .iter()
            .copied()
            .filter(|f| !f.is_stdlib(&self.db))
            .collect()
    }

    /// Every diagnostic of the policy.
    pub fn check(&self) -> crate::CheckResult {
        crate::check::check(&self.db, self.workspace)
    }

    /// The syntax and name diagnostics only (parse and resolve).
    pub fn check_names(&self) -> crate::CheckResult {
        crate::check::check_names(&self.db, self.workspace)
    }
}
