//! PASC's m8 at run time: the nftables ruleset for the current inventory, written to a file
//! (atomically) and, when asked, loaded with `nft -f`.
//!
//! Updates are coalesced: each change asks for a new generation, and one task writes (and
//! loads) the ruleset for the newest inventory, so a burst of onboardings costs one ruleset
//! per round, not one per thing. A caller waits until a generation at least as new as its
//! change is in place, so its response tells the truth about the firewall.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;
use tokio::sync::watch;

/// The state of the firewall after a round.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FirewallStatus {
    pub generation: u64,
    pub ruleset: String,
    pub things: usize,
    /// Whether `nft -f` loaded it (false when not asked to).
    pub applied: bool,
    pub error: Option<String>,
    /// Time to build and write the ruleset (and load it), in milliseconds.
    pub took_ms: f64,
}

/// Writes `text` to `path` through a temporary file and a rename: nft (or an operator)
/// never reads half a ruleset. No fsync: the ruleset is derived from the state database,
/// and the gateway rewrites it at start, so a file lost to a power cut costs nothing.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(text.as_bytes())?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Where to write the ruleset and whether to load it.
#[derive(Clone, Debug)]
pub struct FirewallConfig {
    pub ruleset: PathBuf,
    pub apply: bool,
    pub nft: PathBuf,
}

/// The handle changes use to ask for a new ruleset and wait for it.
#[derive(Clone)]
pub struct Firewall {
    requested: Arc<watch::Sender<u64>>,
    done: watch::Receiver<FirewallStatus>,
}

impl Firewall {
    /// Starts the task. `render` builds the ruleset text for the newest inventory and says
    /// how many things it holds; it runs on a blocking thread.
    pub fn start<F>(config: FirewallConfig, render: F) -> Firewall
    where
        F: Fn() -> (String, usize) + Send + Sync + 'static,
    {
        let (requested, mut wanted) = watch::channel(0u64);
        let (finished, done) = watch::channel(FirewallStatus::default());
        let render = Arc::new(render);
        tokio::spawn(async move {
            let mut generation = 0;
            loop {
                if *wanted.borrow_and_update() <= generation && wanted.changed().await.is_err() {
                    return;
                }
                generation = *wanted.borrow_and_update();
                let started = Instant::now();
                let render = render.clone();
                let path = config.ruleset.clone();
                let written = tokio::task::spawn_blocking(move || {
                    let (text, things) = render();
                    write_atomic(&path, &text)
                        .map(|()| things)
                        .map_err(|error| FirewallError::Write { path, error })
                })
                .await
                .unwrap_or_else(|e| Err(FirewallError::Task(e.to_string())));
                let mut status = FirewallStatus {
                    generation,
                    ruleset: config.ruleset.display().to_string(),
                    ..FirewallStatus::default()
                };
                match written {
                    Ok(things) => {
                        status.things = things;
                        if config.apply {
                            match load(&config.nft, &config.ruleset).await {
                                Ok(()) => status.applied = true,
                                Err(error) => status.error = Some(error.to_string()),
                            }
                        }
                    }
                    Err(error) => status.error = Some(error.to_string()),
                }
                status.took_ms = started.elapsed().as_secs_f64() * 1000.0;
                let _ = finished.send(status);
            }
        });
        Firewall {
            requested: Arc::new(requested),
            done,
        }
    }

    /// Asks for a ruleset that includes every change made so far, and waits for it.
    pub async fn update(&self) -> FirewallStatus {
        let mut target = 0;
        self.requested.send_modify(|generation| {
            *generation += 1;
            target = *generation;
        });
        let mut done = self.done.clone();
        match done.wait_for(|status| status.generation >= target).await {
            Ok(status) => status.clone(),
            Err(_) => FirewallStatus {
                error: Some("the firewall task stopped".to_string()),
                ..FirewallStatus::default()
            },
        }
    }

    /// The last round's status.
    pub fn status(&self) -> FirewallStatus {
        self.done.borrow().clone()
    }
}

/// Why a round did not put its ruleset in place; the status carries the message.
#[derive(Debug)]
enum FirewallError {
    Write {
        path: PathBuf,
        error: std::io::Error,
    },
    Task(String),
    /// `nft` could not be run.
    Spawn {
        nft: PathBuf,
        error: std::io::Error,
    },
    /// `nft -f` refused the ruleset, with what it printed.
    Refused {
        ruleset: PathBuf,
        stderr: String,
    },
}

impl std::fmt::Display for FirewallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FirewallError::Write { path, error } => write!(f, "{}: {error}", path.display()),
            FirewallError::Task(message) => write!(f, "the ruleset task failed: {message}"),
            FirewallError::Spawn { nft, error } => write!(f, "{}: {error}", nft.display()),
            FirewallError::Refused { ruleset, stderr } => {
                write!(f, "nft -f {} failed: {stderr}", ruleset.display())
            }
        }
    }
}

/// `nft -f RULESET`, with its error output as the error.
async fn load(nft: &Path, ruleset: &Path) -> Result<(), FirewallError> {
    let output = tokio::process::Command::new(nft)
        .arg("-f")
        .arg(ruleset)
        .output()
        .await
        .map_err(|error| FirewallError::Spawn {
            nft: nft.to_path_buf(),
            error,
        })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(FirewallError::Refused {
            ruleset: ruleset.to_path_buf(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }
}
