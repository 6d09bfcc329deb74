//! The gateway's settings: a TOML file (`--config`), with command-line flags taking
//! precedence over it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::access::Role;
use crate::mud_source::MudSource;

/// The settings as a TOML file holds them; every field optional, flags fill the rest.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub bundle: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// More public keys trusted besides `key` (key rotation): a bundle is checked with the
    /// one whose key id its signature names.
    pub keys: Option<Vec<PathBuf>>,
    pub state: Option<PathBuf>,
    pub listen: Option<String>,
    pub mud_source: Option<String>,
    pub ruleset: Option<PathBuf>,
    pub apply_firewall: Option<bool>,
    pub nft: Option<PathBuf>,
    pub request_timeout_ms: Option<u64>,
    /// PAVA: where to listen for syslog over UDP (RFC 5426) and TCP (RFC 6587).
    pub syslog_udp: Option<String>,
    pub syslog_tcp: Option<String>,
    /// PAVA over TLS (RFC 5425): the address, the gateway's certificate and key (PEM), and
    /// the CA of the things' client certificates.
    pub syslog_tls: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub tls_client_ca: Option<PathBuf>,
    /// The JSON-lines file incidents are appended to (default: STATE with `.incidents.jsonl`).
    pub incidents: Option<PathBuf>,
    /// Groups tracked per detection rule.
    pub max_groups: Option<usize>,
    /// The CA of the API's client certificates (PEM): operators' and onboarding clients'
    /// certificates, and things' 802.1AR certificates. Without it, bearer tokens only.
    pub client_ca: Option<PathBuf>,
    /// Serve the API over plain HTTP, without TLS: only on a loopback address.
    pub insecure_http: Option<bool>,
    /// The API's Cedar policy (default: the one in `gateway/src/access/api.cedar`).
    pub api_policy: Option<PathBuf>,
    /// Roles of client certificates, by the certificate's name (common name, else first DNS
    /// name): `{ "ops-laptop" = "operator" }`.
    pub client_roles: Option<std::collections::BTreeMap<String, String>>,
    /// The names the API answers to (`Host`, `Origin`); the listen address and, on a loopback
    /// address, `localhost` are always among them.
    pub api_names: Option<Vec<String>>,
    /// Prefixes beyond the public Internet that MUD fetching may reach (`10.0.0.0/8`).
    pub mud_fetch_allow: Option<Vec<String>>,
    /// Trust anchors of MUD signatures, by the MUD URL's host:
    /// `{ "tplinkplug.com" = "anchors/tplink.pem" }`.
    pub mud_signers: Option<std::collections::BTreeMap<String, PathBuf>>,
    /// Where the platform publishes this gateway's signed bundle (https), polled (PASC
    /// m4/m5); each bundle that verifies replaces `bundle` on disk and is loaded.
    pub bundle_url: Option<String>,
    /// How often to poll it: `30s`, `5m`, `1h` (default 5m).
    pub bundle_poll: Option<String>,
    /// A CA (PEM) trusted for the bundle server besides the public roots.
    pub bundle_ca: Option<PathBuf>,
    /// This gateway's name in the fleet (telemetry rows are keyed by it).
    pub gateway_id: Option<String>,
    /// The fleet's PostgreSQL database (`postgres://...`): status, audit, incidents and
    /// inventory are sent there.
    pub fleet_db: Option<String>,
    /// A CA (PEM) trusted for the fleet database's server.
    pub fleet_ca: Option<PathBuf>,
}

/// The settings the gateway runs with.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// The signed bundle (`bundle.cbor`).
    pub bundle: PathBuf,
    /// The public keys that may have signed it (the first is `--key`).
    pub keys: Vec<PathBuf>,
    /// The SQLite state database.
    pub state: PathBuf,
    pub listen: SocketAddr,
    pub mud_source: MudSource,
    /// Where the firewall ruleset for the current inventory is written (m8).
    pub ruleset: PathBuf,
    /// Whether to load the ruleset with `nft -f` after each change.
    pub apply_firewall: bool,
    /// The nft binary.
    pub nft: PathBuf,
    /// How long a request may take, MUD fetch included.
    pub request_timeout: std::time::Duration,
    pub syslog_udp: Option<SocketAddr>,
    pub syslog_tcp: Option<SocketAddr>,
    pub syslog_tls: Option<crate::pava::tls::TlsSettings>,
    pub incidents: PathBuf,
    pub max_groups: usize,
    /// The API's TLS: the gateway's certificate and key, the CA of client certificates.
    /// `None`: plain HTTP, on a loopback address only (`insecure_http`).
    pub api_tls: Option<ApiTls>,
    pub api_policy: Option<PathBuf>,
    pub client_roles: std::collections::BTreeMap<String, Role>,
    pub api_names: Vec<String>,
    /// What MUD fetching may reach.
    pub fetch_guard: crate::fetch_guard::FetchGuard,
    /// Trust anchor files of MUD signatures, by host (lower case).
    pub mud_signers: std::collections::BTreeMap<String, PathBuf>,
    /// Where the bundle is pulled from, when it is.
    pub distribution: Option<Distribution>,
    /// Where telemetry goes, when it does.
    pub fleet: Option<crate::fleet::FleetSettings>,
}

/// Pulling the bundle from the platform (`crate::distribution`).
#[derive(Clone, Debug)]
pub struct Distribution {
    /// An `https://` URL.
    pub url: String,
    pub poll: std::time::Duration,
    pub ca: Option<PathBuf>,
}

/// `500ms`, `30s`, `5m`, `2h`, `1d`: a whole number and a unit.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().ok()?;
    let millis = match unit {
        "ms" => number,
        "s" => number.checked_mul(1_000)?,
        "m" => number.checked_mul(60_000)?,
        "h" => number.checked_mul(3_600_000)?,
        "d" => number.checked_mul(86_400_000)?,
        _ => return None,
    };
    Some(std::time::Duration::from_millis(millis))
}

/// The API's TLS material.
#[derive(Clone, Debug)]
pub struct ApiTls {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: Option<PathBuf>,
}

impl FileConfig {
    pub fn read(path: &Path) -> Result<FileConfig, ConfigError> {
        let unreadable = |detail: String| ConfigError::File {
            path: path.to_path_buf(),
            detail,
        };
        let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
        toml::from_str(&text).map_err(|e| unreadable(e.to_string()))
    }

    /// Flags over file values: `self` from flags, `file` from `--config`.
    pub fn or(self, file: FileConfig) -> FileConfig {
        FileConfig {
            bundle: self.bundle.or(file.bundle),
            key: self.key.or(file.key),
            keys: self.keys.or(file.keys),
            state: self.state.or(file.state),
            listen: self.listen.or(file.listen),
            mud_source: self.mud_source.or(file.mud_source),
            ruleset: self.ruleset.or(file.ruleset),
            apply_firewall: self.apply_firewall.or(file.apply_firewall),
            nft: self.nft.or(file.nft),
            request_timeout_ms: self.request_timeout_ms.or(file.request_timeout_ms),
            syslog_udp: self.syslog_udp.or(file.syslog_udp),
            syslog_tcp: self.syslog_tcp.or(file.syslog_tcp),
            syslog_tls: self.syslog_tls.or(file.syslog_tls),
            tls_cert: self.tls_cert.or(file.tls_cert),
            tls_key: self.tls_key.or(file.tls_key),
            tls_client_ca: self.tls_client_ca.or(file.tls_client_ca),
            incidents: self.incidents.or(file.incidents),
            max_groups: self.max_groups.or(file.max_groups),
            client_ca: self.client_ca.or(file.client_ca),
            insecure_http: self.insecure_http.or(file.insecure_http),
            api_policy: self.api_policy.or(file.api_policy),
            client_roles: self.client_roles.or(file.client_roles),
            api_names: self.api_names.or(file.api_names),
            mud_fetch_allow: self.mud_fetch_allow.or(file.mud_fetch_allow),
            mud_signers: self.mud_signers.or(file.mud_signers),
            bundle_url: self.bundle_url.or(file.bundle_url),
            bundle_poll: self.bundle_poll.or(file.bundle_poll),
            bundle_ca: self.bundle_ca.or(file.bundle_ca),
            gateway_id: self.gateway_id.or(file.gateway_id),
            fleet_db: self.fleet_db.or(file.fleet_db),
            fleet_ca: self.fleet_ca.or(file.fleet_ca),
        }
    }

    /// The settings, or what is missing or wrong.
    pub fn resolve(self) -> Result<GatewayConfig, ConfigError> {
        let required =
            |value: Option<PathBuf>, what: &'static str| value.ok_or(ConfigError::Missing { what });
        let state = required(self.state, "state")?;
        let listen = self.listen.unwrap_or_else(|| "127.0.0.1:8443".to_string());
        let listen: SocketAddr = listen.parse().map_err(|_| ConfigError::NotAnAddress {
            what: "listen",
            text: listen.clone(),
        })?;
        let mud_source = match self.mud_source {
            Some(text) => MudSource::parse(&text).ok_or(ConfigError::MudSource { text })?,
            None => MudSource::Direct,
        };
        let ruleset = self.ruleset.unwrap_or_else(|| state.with_extension("nft"));
        let socket = |value: Option<String>, what: &'static str| {
            value
                .map(|text| {
                    text.parse()
                        .map_err(|_| ConfigError::NotAnAddress { what, text })
                })
                .transpose()
        };
        let syslog_udp = socket(self.syslog_udp, "syslog-udp")?;
        let syslog_tcp = socket(self.syslog_tcp, "syslog-tcp")?;
        let insecure_http = self.insecure_http.unwrap_or(false);
        let api_tls = match (&self.tls_cert, &self.tls_key, insecure_http) {
            (_, _, true) if !listen.ip().is_loopback() => {
                return Err(ConfigError::PlainHttpNotLoopback { listen });
            }
            (_, _, true) => None,
            (Some(cert), Some(key), false) => Some(ApiTls {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: self.client_ca.clone(),
            }),
            _ => return Err(ConfigError::ApiNeedsTls),
        };
        let mut client_roles = std::collections::BTreeMap::new();
        for (name, role) in self.client_roles.unwrap_or_default() {
            let role = Role::parse(&role).ok_or(ConfigError::UnknownRole { text: role })?;
            client_roles.insert(name, role);
        }
        let mut allow = Vec::new();
        for text in self.mud_fetch_allow.unwrap_or_default() {
            allow.push(text.parse().map_err(|_| ConfigError::NotAPrefix { text })?);
        }
        let fetch_guard = crate::fetch_guard::FetchGuard {
            allow,
            mirror_host: match &mud_source {
                MudSource::Mirror(base) => crate::pasc::classify::host_of(base),
                _ => None,
            },
        };
        let mut api_names = self.api_names.unwrap_or_default();
        // On every address (0.0.0.0, ::) the gateway cannot know the names clients use, and
        // would refuse them all (`bad-host`): it asks for them instead.
        if listen.ip().is_unspecified() && api_names.is_empty() {
            return Err(ConfigError::ApiNamesNeeded { listen });
        }
        api_names.push(listen.ip().to_string());
        if listen.ip().is_loopback() {
            api_names.push("localhost".to_string());
        }
        let syslog_tls = match socket(self.syslog_tls, "syslog-tls")? {
            None => None,
            Some(address) => Some(crate::pava::tls::TlsSettings {
                address,
                cert: self.tls_cert.ok_or(ConfigError::TlsNeeds {
                    flag: "tls-cert",
                    what: "the gateway's certificate, PEM",
                })?,
                key: self.tls_key.ok_or(ConfigError::TlsNeeds {
                    flag: "tls-key",
                    what: "the gateway's private key, PEM",
                })?,
                client_ca: self.tls_client_ca,
            }),
        };
        let incidents = self
            .incidents
            .unwrap_or_else(|| state.with_extension("incidents.jsonl"));
        let distribution = match self.bundle_url {
            None => None,
            Some(url) => {
                // The bundle is verified whatever carries it, but a plain-HTTP server could
                // be swapped on the path and withhold updates unseen: https only.
                if !url.starts_with("https://") || reqwest::Url::parse(&url).is_err() {
                    return Err(ConfigError::BundleUrl { text: url });
                }
                let poll = match self.bundle_poll {
                    None => std::time::Duration::from_secs(300),
                    Some(text) => parse_duration(&text)
                        .filter(|d| *d >= std::time::Duration::from_secs(1))
                        .ok_or(ConfigError::Duration {
                            what: "bundle-poll",
                            text,
                        })?,
                };
                Some(Distribution {
                    url,
                    poll,
                    ca: self.bundle_ca,
                })
            }
        };
        let fleet = match (self.fleet_db, self.gateway_id) {
            (None, _) => None,
            (Some(_), None) => return Err(ConfigError::Missing { what: "gateway-id" }),
            (Some(url), Some(gateway_id)) => {
                let valid = !gateway_id.is_empty()
                    && gateway_id.len() <= 128
                    && gateway_id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
                if !valid {
                    return Err(ConfigError::GatewayId { text: gateway_id });
                }
                Some(crate::fleet::FleetSettings {
                    gateway_id,
                    url,
                    ca: self.fleet_ca,
                })
            }
        };
        Ok(GatewayConfig {
            bundle: required(self.bundle, "bundle")?,
            keys: std::iter::once(required(self.key, "key")?)
                .chain(self.keys.unwrap_or_default())
                .collect(),
            listen,
            mud_source,
            ruleset,
            apply_firewall: self.apply_firewall.unwrap_or(false),
            nft: self.nft.unwrap_or_else(|| PathBuf::from("nft")),
            request_timeout: std::time::Duration::from_millis(
                self.request_timeout_ms.unwrap_or(10_000),
            ),
            syslog_udp,
            syslog_tcp,
            syslog_tls,
            incidents,
            max_groups: self
                .max_groups
                .unwrap_or(crate::pava::engine::DEFAULT_MAX_GROUPS),
            state,
            api_tls,
            api_policy: self.api_policy,
            client_roles,
            api_names,
            fetch_guard,
            mud_signers: self
                .mud_signers
                .unwrap_or_default()
                .into_iter()
                .map(|(host, path)| (host.to_ascii_lowercase(), path))
                .collect(),
            distribution,
            fleet,
        })
    }
}

/// What is missing or wrong in the settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// The config file does not read, or is not the TOML the gateway takes.
    File { path: PathBuf, detail: String },
    /// A required setting is given neither as a flag nor in the file.
    Missing { what: &'static str },
    /// A setting that must be `address:port` is not.
    NotAnAddress { what: &'static str, text: String },
    /// `--mud-source` is none of its forms.
    MudSource { text: String },
    /// syslog over TLS without its certificate or key.
    TlsNeeds {
        flag: &'static str,
        what: &'static str,
    },
    /// The API without TLS, and without the flag that says so.
    ApiNeedsTls,
    /// Plain HTTP asked for on an address other hosts reach.
    PlainHttpNotLoopback { listen: SocketAddr },
    /// A role other than operator, auditor, onboarding.
    UnknownRole { text: String },
    /// `--mud-fetch-allow` that is not an address prefix.
    NotAPrefix { text: String },
    /// Listening on every address without the names clients reach the API by.
    ApiNamesNeeded { listen: SocketAddr },
    /// `--bundle-url` that is not an https URL.
    BundleUrl { text: String },
    /// A duration that is none of `500ms`, `30s`, `5m`, `2h`, `1d` (at least a second).
    Duration { what: &'static str, text: String },
    /// A gateway id that is not 1 to 128 letters, digits, `-`, `_` or `.`.
    GatewayId { text: String },
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::File { path, detail } => write!(f, "{}: {detail}", path.display()),
            ConfigError::Missing { what } => write!(
                f,
                "no {what}: give `--{what}` or `{what} = ...` in the config file"
            ),
            ConfigError::NotAnAddress { what, text } => {
                write!(f, "{what}: `{text}` is not an address:port")
            }
            ConfigError::MudSource { text } => write!(
                f,
                "mud-source: `{text}`: expected `dir:PATH`, an http(s) mirror URL, or `direct`"
            ),
            ConfigError::TlsNeeds { flag, what } => {
                write!(f, "syslog-tls needs `--{flag}` ({what})")
            }
            ConfigError::ApiNeedsTls => f.write_str(
                "the API needs TLS: give `--tls-cert` and `--tls-key` (the gateway's certificate and key, PEM), or `--insecure-http` to serve plain HTTP on a loopback address",
            ),
            ConfigError::PlainHttpNotLoopback { listen } => write!(
                f,
                "`--insecure-http` serves plain HTTP on loopback addresses only, not on {listen}: give `--tls-cert` and `--tls-key`"
            ),
            ConfigError::ApiNamesNeeded { listen } => write!(
                f,
                "the API listens on every address ({listen}): name the gateway as its clients reach it with `--api-name` (its host name or address; repeatable), so that requests for other names are refused"
            ),
            ConfigError::NotAPrefix { text } => write!(
                f,
                "mud-fetch-allow: `{text}` is not an address prefix such as 10.0.0.0/8"
            ),
            ConfigError::BundleUrl { text } => write!(
                f,
                "bundle-url: `{text}` is not an https:// URL (bundles are pulled over TLS only; `--bundle-ca` trusts a private CA)"
            ),
            ConfigError::GatewayId { text } => write!(
                f,
                "gateway-id: `{text}` must be 1 to 128 letters, digits, `-`, `_` or `.`"
            ),
            ConfigError::Duration { what, text } => write!(
                f,
                "{what}: `{text}` is not a duration of at least a second such as 30s, 5m or 1h"
            ),
            ConfigError::UnknownRole { text } => write!(
                f,
                "client-roles: `{text}` is not a role: operator, auditor or onboarding"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_unknown_keys_are_refused() {
        let file: FileConfig = toml::from_str(
            "bundle = \"b.cbor\"\nkey = \"k.pub\"\nstate = \"s.sqlite\"\nlisten = \"127.0.0.1:9000\"\napply_firewall = true\ninsecure_http = true\n",
        )
        .expect("valid");
        let flags = FileConfig {
            listen: Some("127.0.0.1:9100".into()),
            ..FileConfig::default()
        };
        let config = flags.or(file).resolve().expect("complete");
        assert_eq!(config.listen.port(), 9100);
        assert!(config.apply_firewall);
        assert_eq!(config.ruleset, PathBuf::from("s.nft"));
        assert!(toml::from_str::<FileConfig>("bundel = \"x\"").is_err());
        let base = || FileConfig {
            bundle: Some("b.cbor".into()),
            key: Some("k.pub".into()),
            state: Some("s.sqlite".into()),
            ..FileConfig::default()
        };
        assert_eq!(base().resolve().err(), Some(ConfigError::ApiNeedsTls));
        let plain_on_the_lan = FileConfig {
            insecure_http: Some(true),
            listen: Some("192.168.1.2:8443".into()),
            ..base()
        };
        assert!(matches!(
            plain_on_the_lan.resolve(),
            Err(ConfigError::PlainHttpNotLoopback { .. })
        ));
        let roles = FileConfig {
            insecure_http: Some(true),
            client_roles: Some([("ops".to_string(), "root".to_string())].into()),
            ..base()
        };
        assert_eq!(
            roles.resolve().err(),
            Some(ConfigError::UnknownRole {
                text: "root".into()
            })
        );
        let tls = || FileConfig {
            tls_cert: Some("gw.pem".into()),
            tls_key: Some("gw.key".into()),
            ..base()
        };
        assert!(tls().resolve().expect("complete").api_tls.is_some());
        let everywhere = FileConfig {
            listen: Some("0.0.0.0:8443".into()),
            ..tls()
        };
        assert!(matches!(
            everywhere.resolve(),
            Err(ConfigError::ApiNamesNeeded { .. })
        ));
        let named = FileConfig {
            listen: Some("0.0.0.0:8443".into()),
            api_names: Some(vec!["gw.example".into()]),
            ..tls()
        };
        assert!(named.resolve().is_ok());
        let missing = FileConfig::default().resolve().expect_err("incomplete");
        assert_eq!(missing, ConfigError::Missing { what: "state" });
        assert!(missing.to_string().contains("--state"), "{missing}");
    }
}
