//! Where the gateway gets a MUD file from its URL (PASC's m2/m3): a local directory (a
//! mirror kept by the operator), an HTTP server mirroring MUD URLs, or the MUD URL itself.
//!
//! A mirror maps `https://host/path` to `<root>/host/path` (trying `<root>/host/path.json`
//! too), so one folder or one web server can hold the files of many manufacturers.

use std::path::PathBuf;
use std::time::Duration;

use crate::fetch_guard::FetchGuard;
use crate::mud::MAX_MUD_BYTES;

#[derive(Clone, Debug)]
pub enum MudSource {
    Directory(PathBuf),
    /// A base URL (`http://127.0.0.1:8080/mud`) under which the MUD URLs are mirrored.
    Mirror(String),
    /// Fetch the MUD URL itself (https).
    Direct,
}

/// Why no MUD file could be had.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchError {
    /// `mud-not-found` (the source has no such file), `mud-unreachable` (the source did not
    /// answer in time or at all), `mud-too-large`.
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.code, self.message)
    }
}

/// How long a fetch may take, connection included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

impl MudSource {
    /// Parses `--mud-source`: `dir:PATH`, `http://...`/`https://...` (a mirror), or `direct`;
    /// `None` for anything else (`ConfigError::MudSource` says what is expected).
    pub fn parse(text: &str) -> Option<MudSource> {
        if text == "direct" {
            Some(MudSource::Direct)
        } else if let Some(path) = text.strip_prefix("dir:") {
            Some(MudSource::Directory(PathBuf::from(path)))
        } else if text.starts_with("http://") || text.starts_with("https://") {
            Some(MudSource::Mirror(text.trim_end_matches('/').to_string()))
        } else {
            None
        }
    }

    /// The mirror path of a MUD URL: `host/path`, refusing anything that could climb out of
    /// the mirror (`..`, empty segments, backslashes).
    fn relative(url: &str) -> Result<String, FetchError> {
        let bad = || FetchError {
            code: "mud-not-found",
            message: format!("`{url}` cannot name a file in the MUD mirror"),
        };
        let rest = url.strip_prefix("https://").ok_or_else(bad)?;
        let rest = rest.split(['?', '#']).next().unwrap_or(rest);
        let safe = !rest.is_empty()
            && rest
                .split('/')
                .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains('\\'));
        if safe {
            Ok(rest.to_string())
        } else {
            Err(bad())
        }
    }

    /// The MUD file of `url`, and where it was read from (the URL actually fetched, after
    /// redirects, or the file): what the audit log records.
    pub async fn fetch(
        &self,
        client: &reqwest::Client,
        guard: &FetchGuard,
        url: &str,
    ) -> Result<(Vec<u8>, String), FetchError> {
        match self {
            MudSource::Directory(root) => {
                let relative = Self::relative(url)?;
                for candidate in [relative.clone(), format!("{relative}.json")] {
                    let path = root.join(&candidate);
                    match read_bounded(&path).await {
                        Ok(bytes) => return Ok((bytes, path.display().to_string())),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => {
                            return Err(FetchError {
                                code: "mud-unreachable",
                                message: format!("{}: {e}", path.display()),
                            });
                        }
                    }
                }
                Err(FetchError {
                    code: "mud-not-found",
                    message: format!("no MUD file for `{url}` in {}", root.display()),
                })
            }
            MudSource::Mirror(base) => {
                let target = format!("{base}/{}", Self::relative(url)?);
                get(client, guard, &target, url).await
            }
            MudSource::Direct => {
                if !url.starts_with("https://") {
                    return Err(FetchError {
                        code: "mud-url-refused",
                        message: format!(
                            "`{url}` is not an https URL: MUD files are fetched over https only"
                        ),
                    });
                }
                get(client, guard, url, url).await
            }
        }
    }
}

async fn read_bounded(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let file = tokio::fs::File::open(path).await?;
    let mut bytes = Vec::new();
    file.take(MAX_MUD_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .await?;
    Ok(bytes)
}

/// GETs a MUD file, reading at most one byte more than a MUD file may have. A host given as
/// an address is checked here (the resolver checks names); nothing of a response body is
/// ever put in an error.
async fn get(
    client: &reqwest::Client,
    guard: &FetchGuard,
    target: &str,
    url: &str,
) -> Result<(Vec<u8>, String), FetchError> {
    let refused = |why: String| FetchError {
        code: "mud-url-refused",
        message: format!("the MUD file of `{url}` is not fetched from {target}: {why}"),
    };
    let host = crate::pasc::classify::host_of(target).ok_or_else(|| refused("no host".into()))?;
    if let Ok(address) = host.parse::<std::net::IpAddr>()
        && !guard.admits(&host, address)
    {
        return Err(refused(format!(
            "{address} is not an address MUD fetching may reach (--mud-fetch-allow)"
        )));
    }
    let unreachable = |e: reqwest::Error| {
        // reqwest's message names the URL and the cause, never the body.
        let mut cause = String::new();
        let mut source = std::error::Error::source(&e);
        while let Some(inner) = source {
            cause.push_str(&inner.to_string());
            cause.push('\n');
            source = inner.source();
        }
        let refused_here = cause.contains("MUD fetching may not reach")
            || cause.contains("redirect to another host")
            || e.is_redirect();
        FetchError {
            code: if refused_here {
                "mud-url-refused"
            } else {
                "mud-unreachable"
            },
            message: format!("fetching the MUD file of `{url}` from {target}: {e}"),
        }
    };
    let mut response = client
        .get(target)
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(unreachable)?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Err(FetchError {
            code: "mud-not-found",
            message: format!("{target} answered 404 for `{url}`"),
        });
    }
    if !response.status().is_success() {
        return Err(FetchError {
            code: "mud-unreachable",
            message: format!("{target} answered {} for `{url}`", response.status()),
        });
    }
    let fetched = response.url().to_string();
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_MUD_BYTES {
            return Err(FetchError {
                code: "mud-too-large",
                message: format!("the MUD file of `{url}` is larger than {MAX_MUD_BYTES} bytes"),
            });
        }
    }
    Ok((bytes, fetched))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mirror_paths_never_leave_the_mirror() {
        assert_eq!(
            MudSource::relative("https://plugs.example/p/1").as_deref(),
            Ok("plugs.example/p/1")
        );
        for bad in [
            "https://x.example/../etc/passwd",
            "https://x.example//a",
            "http://x.example/a",
            "https://",
            "https://x.example/a\\..\\b",
        ] {
            assert!(MudSource::relative(bad).is_err(), "{bad}");
        }
    }
}
