//! Pulling the signed bundle from the platform (the draft's m4/m5: "the GW can gather security
//! updates from 'platform'"). Any HTTPS server that serves a file will do (a web server, object
//! storage): the gateway polls `--bundle-url` with `If-None-Match`, at jittered intervals so
//! that a fleet does not poll in step, backing off while the server fails.
//!
//! A bundle fetched is written beside `--bundle`, verified there (signature, format, digests:
//! `bundle::open_trusted`) and checked against the sequence accepted (no rollback) before it
//! replaces `--bundle` by a rename and is loaded (`Gateway::reload`, which audits it): the file
//! on disk is always the last good bundle, so the gateway starts offline with it (the file
//! replaced is kept beside it until the new one loads, and put back if it does not; checking,
//! replacing and loading hold the gateway's swap lock, as a reload asked on the API does, so
//! nothing accepts another sequence in between). A bundle
//! refused is audited once (its ETag is remembered: the same refused file is not fetched
//! again) and changes nothing. An unreachable server is audited when it starts failing and
//! when it answers again, not at every try.
//!
//! Bounds: one request at a time; connecting within 10 s and the whole fetch within 120 s; no
//! redirect is followed (the operator named the URL, not the server); at most 256 MiB read.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::config::Distribution;
use crate::runtime::Gateway;

/// The largest bundle read: the generated 5,000-class bundle is a few megabytes.
const MAX_BYTES: u64 = 256 * 1024 * 1024;
/// The first wait after a failure (or the poll interval, if shorter); it doubles per failure.
const FIRST_BACKOFF: Duration = Duration::from_secs(5);
/// The longest wait after failures (or the poll interval, if longer).
const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);

/// What one poll got.
enum Fetched {
    NotModified,
    Bundle {
        bytes: Vec<u8>,
        etag: Option<String>,
    },
}

/// Why a poll failed, in a line for the log and the audit.
struct PollError(String);

fn client(settings: &Distribution) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
        .user_agent(concat!("ward-gateway/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = &settings.ca {
        let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if certificates.is_empty() {
            return Err(format!("{}: no certificate in it", path.display()));
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder.build().map_err(|e| e.to_string())
}

async fn poll(
    client: &reqwest::Client,
    url: &str,
    etag: Option<&str>,
) -> Result<Fetched, PollError> {
    let mut request = client.get(url);
    if let Some(etag) = etag {
        request = request.header(reqwest::header::IF_NONE_MATCH, etag);
    }
    let response = request
        .send()
        .await
        .map_err(|e| PollError(format!("{url}: {e}")))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(Fetched::NotModified);
    }
    if !status.is_success() {
        return Err(PollError(format!("{url}: the server answered {status}")));
    }
    if response.content_length().is_some_and(|n| n > MAX_BYTES) {
        return Err(PollError(format!(
            "{url}: the bundle is larger than {MAX_BYTES} bytes"
        )));
    }
    let etag = response
        .headers()
        .get(reqwest::header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut bytes = Vec::new();
    let mut response = response;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| PollError(format!("{url}: {e}")))?
    {
        if bytes.len() as u64 + chunk.len() as u64 > MAX_BYTES {
            return Err(PollError(format!(
                "{url}: the bundle is larger than {MAX_BYTES} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Fetched::Bundle { bytes, etag })
}

/// `wait` give or take a fifth, so that gateways started together drift apart.
fn jittered(wait: Duration) -> Duration {
    let fifth = wait / 5;
    let span = u64::try_from(fifth.as_millis() * 2)
        .unwrap_or(u64::MAX)
        .max(1);
    // RandomState is seeded randomly per process: enough to spread a fleet's polls.
    let noise = {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default(),
        );
        hasher.finish() % span
    };
    wait.saturating_sub(fifth) + Duration::from_millis(noise)
}

/// The wait after `failures` failures in a row.
fn backoff(poll: Duration, failures: u32) -> Duration {
    let first = FIRST_BACKOFF.min(poll);
    let most = MAX_BACKOFF.max(poll);
    first
        .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(16)))
        .min(most)
}

/// Writes `bytes` beside `target` (same folder, so that the rename is atomic), synced.
fn write_candidate(target: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::Write;
    let candidate = beside(target, "incoming");
    let mut file = std::fs::File::create(&candidate)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(candidate)
}

/// Puts a verified candidate in place of the bundle file, durably; the file it replaces is
/// kept (a hard link beside it) until the candidate loads. Where the previous file is.
fn install(candidate: &Path, target: &Path) -> std::io::Result<Option<PathBuf>> {
    let previous = beside(target, "previous");
    let _ = std::fs::remove_file(&previous);
    let kept = match std::fs::hard_link(target, &previous) {
        Ok(()) => Some(previous),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        // A file system without hard links: a copy.
        Err(_) => {
            std::fs::copy(target, &previous)?;
            Some(previous)
        }
    };
    std::fs::rename(candidate, target)?;
    sync_folder(target)?;
    Ok(kept)
}

/// Puts the previous bundle file back, when the one installed would not load.
fn restore(previous: &Path, target: &Path) -> std::io::Result<()> {
    std::fs::rename(previous, target)?;
    sync_folder(target)
}

fn sync_folder(target: &Path) -> std::io::Result<()> {
    if let Some(folder) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::File::open(folder)?.sync_all()?;
    }
    Ok(())
}

/// `.bundle.cbor.{what}` beside `target`.
fn beside(target: &Path, what: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bundle.cbor".to_string());
    target.with_file_name(format!(".{name}.{what}"))
}

/// Verifies, installs and loads a bundle fetched; a refusal is audited and changes nothing.
/// Whether it was settled (loaded or refused): one that could not be written is fetched again.
async fn activate(gateway: &Gateway, settings: &Distribution, bytes: Vec<u8>) -> bool {
    let target = gateway.config.bundle.clone();
    let by = format!("pull {}", settings.url);
    // Checked, installed and loaded under the swap lock: no reload in between can accept a
    // later sequence and leave this one, older, on disk.
    let _swap = gateway.swap.lock().await;
    let written = {
        let target = target.clone();
        tokio::task::spawn_blocking(move || write_candidate(&target, &bytes)).await
    };
    let candidate = match written {
        Ok(Ok(candidate)) => candidate,
        Ok(Err(error)) => {
            eprintln!(
                "bundle pull: cannot write the bundle beside {}: {error}",
                target.display()
            );
            return false;
        }
        Err(error) => {
            eprintln!("bundle pull: the writer failed: {error}");
            return false;
        }
    };
    match gateway.check_candidate(candidate.clone()).await {
        Err(error) => {
            let _ = std::fs::remove_file(&candidate);
            eprintln!("bundle pull: refused ({}): {error}", error.code());
            let _ = gateway
                .record(
                    "bundle-refused",
                    json!({ "code": error.code(), "error": error.to_string(), "by": by }),
                )
                .await;
            true
        }
        Ok((sequence, revision)) => {
            let installed = {
                let (candidate, target) = (candidate.clone(), target.clone());
                tokio::task::spawn_blocking(move || install(&candidate, &target)).await
            };
            let previous = match installed {
                Ok(Ok(previous)) => previous,
                _ => {
                    let _ = std::fs::remove_file(&candidate);
                    eprintln!(
                        "bundle pull: cannot put the bundle in place of {}",
                        target.display()
                    );
                    return false;
                }
            };
            // The bundle in force may be this one already (the gateway started with it, or
            // the file was replaced by hand and reloaded): loading it again changes nothing.
            let current = gateway.bundle();
            if current.manifest.revision == revision && current.sequence == Some(sequence) {
                return true;
            }
            match gateway.reload_held(&by).await {
                Ok(_) => {
                    eprintln!("bundle pull: loaded sequence {sequence}, revision {revision}");
                    if let Some(previous) = previous {
                        let _ = std::fs::remove_file(previous);
                    }
                }
                Err(error) => {
                    // Checked, then refused (the state database failed): the file on disk
                    // stays the bundle in force, so that a restart runs what ran.
                    eprintln!("bundle pull: the reload refused it: {}", error.message);
                    if let Some(previous) = previous
                        && let Err(error) = restore(&previous, &target)
                    {
                        eprintln!(
                            "bundle pull: cannot put the previous bundle back in place of {}: {error}",
                            target.display()
                        );
                    }
                }
            }
            true
        }
    }
}

/// A gateway's first start with no bundle on disk: the bundle is fetched once (a few tries),
/// its signature verified, and it is put in place; the start then goes on as usual (and
/// records its sequence). Nothing to run without it: failing, the start fails.
pub async fn bootstrap(
    settings: &Distribution,
    target: &Path,
    keys: &[PathBuf],
) -> Result<(), String> {
    let client = client(settings)?;
    let mut last = String::new();
    for attempt in 1..=3u32 {
        match poll(&client, &settings.url, None).await {
            Ok(Fetched::Bundle { bytes, .. }) => {
                let (target, keys, url) =
                    (target.to_path_buf(), keys.to_vec(), settings.url.clone());
                return tokio::task::spawn_blocking(move || {
                    let candidate = write_candidate(&target, &bytes)
                        .map_err(|e| format!("{}: {e}", target.display()))?;
                    let keys = keys
                        .iter()
                        .map(|path| crate::bundle::verifying_key(path))
                        .collect::<Result<Vec<_>, _>>()
                        .map_err(|e| e.to_string())?;
                    if let Err(error) = crate::bundle::open_trusted(&candidate, &keys) {
                        let _ = std::fs::remove_file(&candidate);
                        return Err(format!(
                            "the bundle fetched from {url} was refused: {error}"
                        ));
                    }
                    // No bundle was there: nothing to keep.
                    install(&candidate, &target)
                        .map(|_| ())
                        .map_err(|e| format!("{}: {e}", target.display()))
                })
                .await
                .map_err(|e| e.to_string())?;
            }
            Ok(Fetched::NotModified) => {
                last = "the server answered 304 to a first request".to_string()
            }
            Err(PollError(error)) => last = error,
        }
        tokio::time::sleep(FIRST_BACKOFF.saturating_mul(attempt)).await;
    }
    Err(format!(
        "no bundle on disk, and none could be fetched: {last}"
    ))
}

/// Polls for ever (until the gateway is dropped with its runtime).
pub async fn run(gateway: Arc<Gateway>, settings: Distribution) {
    let client = match client(&settings) {
        Ok(client) => client,
        Err(error) => {
            eprintln!("bundle pull: cannot set up the client ({error}); not pulling");
            let _ = gateway
                .record(
                    "bundle-source-unusable",
                    json!({ "url": settings.url, "error": error }),
                )
                .await;
            return;
        }
    };
    let mut etag: Option<String> = None;
    let mut failures: u32 = 0;
    loop {
        match poll(&client, &settings.url, etag.as_deref()).await {
            Ok(fetched) => {
                if failures > 0 {
                    let _ = gateway
                        .record(
                            "bundle-source-reachable",
                            json!({ "url": settings.url, "after_failures": failures }),
                        )
                        .await;
                }
                failures = 0;
                if let Fetched::Bundle { bytes, etag: tag } = fetched
                    && activate(&gateway, &settings, bytes).await
                {
                    etag = tag;
                }
                tokio::time::sleep(jittered(settings.poll)).await;
            }
            Err(PollError(error)) => {
                failures = failures.saturating_add(1);
                eprintln!("bundle pull: {error} ({failures} failure(s) in a row)");
                if failures == 1 {
                    let _ = gateway
                        .record(
                            "bundle-source-unreachable",
                            json!({ "url": settings.url, "error": error }),
                        )
                        .await;
                }
                tokio::time::sleep(jittered(backoff(settings.poll, failures))).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The file replaced stays beside the new one until it loads, and goes back in place if
    /// it does not: the file on disk is the bundle in force.
    #[test]
    fn an_installed_bundle_keeps_the_previous_until_it_loads() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("bundle.cbor");
        std::fs::write(&target, b"old").expect("old bundle");
        let candidate = write_candidate(&target, b"new").expect("candidate");
        let previous = install(&candidate, &target)
            .expect("installed")
            .expect("the old file is kept");
        assert_eq!(std::fs::read(&target).expect("read"), b"new");
        assert_eq!(std::fs::read(&previous).expect("read"), b"old");
        assert!(!candidate.exists());
        restore(&previous, &target).expect("restored");
        assert_eq!(std::fs::read(&target).expect("read"), b"old");
        assert!(!previous.exists());
        // With no bundle before (the first start), nothing is kept.
        let fresh = dir.path().join("first.cbor");
        let candidate = write_candidate(&fresh, b"first").expect("candidate");
        assert_eq!(install(&candidate, &fresh).expect("installed"), None);
    }

    #[test]
    fn backoff_doubles_from_the_shorter_to_the_longer() {
        let poll = Duration::from_secs(300);
        assert_eq!(backoff(poll, 1), Duration::from_secs(5));
        assert_eq!(backoff(poll, 2), Duration::from_secs(10));
        assert_eq!(backoff(poll, 30), MAX_BACKOFF);
        let fast = Duration::from_secs(1);
        assert_eq!(backoff(fast, 1), fast);
        assert_eq!(backoff(fast, 3), Duration::from_secs(4));
    }

    #[test]
    fn jitter_stays_within_a_fifth() {
        let wait = Duration::from_secs(100);
        for _ in 0..100 {
            let j = jittered(wait);
            assert!(
                j >= Duration::from_secs(80) && j <= Duration::from_secs(120),
                "{j:?}"
            );
        }
    }
}
