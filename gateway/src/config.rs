//! The gateway's settings: a TOML file (`--config`), with command-line flags taking
//! precedence over it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::mud_source::MudSource;

/// The settings as a TOML file holds them; every field optional, flags fill the rest.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub bundle: Option<PathBuf>,
    pub key: Option<PathBuf>,
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
}

/// The settings the gateway runs with.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// The signed bundle (`bundle.cbor`).
    pub bundle: PathBuf,
    /// The public key that must have signed it.
    pub key: PathBuf,
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
        Ok(GatewayConfig {
            bundle: required(self.bundle, "bundle")?,
            key: required(self.key, "key")?,
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
            "bundle = \"b.cbor\"\nkey = \"k.pub\"\nstate = \"s.sqlite\"\nlisten = \"127.0.0.1:9000\"\napply_firewall = true\n",
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
        let missing = FileConfig::default().resolve().expect_err("incomplete");
        assert_eq!(missing, ConfigError::Missing { what: "state" });
        assert!(missing.to_string().contains("--state"), "{missing}");
    }
}
