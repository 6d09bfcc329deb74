//! `ward gateway`: runs PASC on a gateway: verifies and loads a signed bundle, keeps the
//! device inventory and an audit log in SQLite, serves the onboarding API and keeps the
//! firewall ruleset in step with the inventory. Settings from `--config FILE.toml`, flags
//! taking precedence.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ward_gateway::access::Role;
use ward_gateway::config::FileConfig;
use ward_gateway::store::{Store, rfc3339};

use crate::Outcome;

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Bearer tokens for the API: create (printed once), list, revoke.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Bundle signing keys: retire one, so that bundles it signed are refused from now on.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(clap::Subcommand)]
enum KeyCommand {
    /// Retires a public key (given as its PEM file): bundles it signed are refused, even if
    /// it is still given with `--key`.
    Retire {
        #[arg(long, value_name = "FILE.sqlite")]
        state: PathBuf,
        /// The public key to retire.
        #[arg(long, value_name = "PUB")]
        key: PathBuf,
    },
}

#[derive(clap::Subcommand)]
enum TokenCommand {
    /// Makes a token and prints it on stdout, once: only its digest is kept.
    Create {
        /// The gateway's state database.
        #[arg(long, value_name = "FILE.sqlite")]
        state: PathBuf,
        /// operator (everything), auditor (reads only) or onboarding (POST /v1/onboard by
        /// MUD URL only).
        #[arg(long, value_name = "ROLE")]
        role: String,
        /// How long it is valid: `90d`, `12h`, `30m` (default: until revoked).
        #[arg(long, value_name = "DURATION")]
        expires: Option<String>,
        /// A label for `token list` and the audit log.
        #[arg(long, value_name = "TEXT")]
        name: Option<String>,
    },
    /// Lists the tokens (never their secrets).
    List {
        #[arg(long, value_name = "FILE.sqlite")]
        state: PathBuf,
    },
    /// Revokes a token by its id (the part after `ward_`, as `token list` shows it).
    Revoke {
        #[arg(long, value_name = "FILE.sqlite")]
        state: PathBuf,
        id: String,
    },
}

#[derive(clap::Args)]
struct RunArgs {
    /// A TOML file with the settings below (flags take precedence).
    #[arg(long, value_name = "FILE.toml")]
    config: Option<PathBuf>,
    /// The signed bundle (`bundle.cbor`, or a bundle directory holding one).
    #[arg(long, value_name = "BUNDLE")]
    bundle: Option<PathBuf>,
    /// A public key bundles may be signed with. Repeatable (key rotation): a bundle is
    /// checked with the key its signature names.
    #[arg(long, value_name = "PUB")]
    key: Vec<PathBuf>,
    /// The SQLite state database (created if missing).
    #[arg(long, value_name = "FILE.sqlite")]
    state: Option<PathBuf>,
    /// Where the API listens (default 127.0.0.1:8443; port 0 picks a free one).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Where MUD files come from: `dir:PATH`, an http(s) mirror URL, or `direct`
    /// (the MUD URL itself; the default).
    #[arg(long, value_name = "SOURCE")]
    mud_source: Option<String>,
    /// Where the firewall ruleset for the inventory is written (default: STATE with `.nft`).
    #[arg(long, value_name = "FILE.nft")]
    ruleset: Option<PathBuf>,
    /// Load the ruleset with `nft -f` after each change (needs CAP_NET_ADMIN).
    #[arg(long)]
    apply_firewall: bool,
    /// The nft binary.
    #[arg(long, value_name = "PATH")]
    nft: Option<PathBuf>,
    /// How long a request may take, MUD fetch included.
    #[arg(long, value_name = "MS")]
    request_timeout_ms: Option<u64>,
    /// PAVA: listen for syslog over UDP (RFC 5426), e.g. `0.0.0.0:514`.
    #[arg(long, value_name = "ADDR")]
    syslog_udp: Option<String>,
    /// PAVA: listen for syslog over TCP (RFC 6587 octet counting or LF framing).
    #[arg(long, value_name = "ADDR")]
    syslog_tcp: Option<String>,
    /// PAVA: listen for syslog over TLS (RFC 5425); needs `--tls-cert` and `--tls-key`.
    #[arg(long, value_name = "ADDR")]
    syslog_tls: Option<String>,
    /// The gateway's TLS certificate chain (PEM).
    #[arg(long, value_name = "FILE.pem")]
    tls_cert: Option<PathBuf>,
    /// The gateway's TLS private key (PEM).
    #[arg(long, value_name = "FILE.pem")]
    tls_key: Option<PathBuf>,
    /// The CA of the things' client certificates (PEM): things whose profile has client
    /// authentication (M3) must present one.
    #[arg(long, value_name = "FILE.pem")]
    tls_client_ca: Option<PathBuf>,
    /// The JSON-lines file incidents are appended to (default: STATE with
    /// `.incidents.jsonl`).
    #[arg(long, value_name = "FILE.jsonl")]
    incidents: Option<PathBuf>,
    /// Groups tracked per detection rule (the least recent evicted beyond).
    #[arg(long, value_name = "N")]
    max_groups: Option<usize>,
    /// The CA of the API's client certificates (PEM): operators' and onboarding clients'
    /// certificates (`--client-role`), and things' 802.1AR certificates.
    #[arg(long, value_name = "FILE.pem")]
    client_ca: Option<PathBuf>,
    /// A client certificate's role, by its name (common name, else first DNS name):
    /// `--client-role ops-laptop=operator`. Repeatable.
    #[arg(long, value_name = "NAME=ROLE")]
    client_role: Vec<String>,
    /// A name the API answers to (`Host`, `Origin`), besides the listen address. Repeatable.
    #[arg(long, value_name = "NAME")]
    api_name: Vec<String>,
    /// The API's Cedar policy (default: the documented one, gateway/src/access/api.cedar).
    #[arg(long, value_name = "FILE.cedar")]
    api_policy: Option<PathBuf>,
    /// Serve the API over plain HTTP, without TLS: on a loopback address only.
    #[arg(long)]
    insecure_http: bool,
    /// A prefix beyond the public Internet that MUD fetching may reach (by default only
    /// public addresses, and a configured mirror's host): `10.0.0.0/8`. Repeatable.
    #[arg(long, value_name = "PREFIX")]
    mud_fetch_allow: Vec<String>,
    /// A manufacturer's trust anchors for MUD signatures, by the MUD URL's host:
    /// `--mud-signer tplinkplug.com=anchors/tplink.pem`. Repeatable.
    #[arg(long, value_name = "HOST=FILE.pem")]
    mud_signer: Vec<String>,
    /// Pull the signed bundle from this https URL (PASC m4/m5: any web server or object
    /// store serving the file): polled with `If-None-Match`; each one that verifies and
    /// numbers higher replaces `--bundle` on disk and is loaded, so the gateway starts
    /// offline with the last good one.
    #[arg(long, value_name = "URL")]
    bundle_url: Option<String>,
    /// How often to poll `--bundle-url` (jittered; backs off while it fails): `30s`, `5m`,
    /// `1h`. Default 5m.
    #[arg(long, value_name = "DURATION")]
    bundle_poll: Option<String>,
    /// A CA (PEM) trusted for the bundle server, besides the public roots.
    #[arg(long, value_name = "FILE.pem")]
    bundle_ca: Option<PathBuf>,
    /// This gateway's name in the fleet (letters, digits, `-`, `_`, `.`).
    #[arg(long, value_name = "NAME")]
    gateway_id: Option<String>,
    /// Send status, audit log, incidents and inventory to this PostgreSQL database
    /// (`postgres://user:password@host/db`; TLS unless on this machine): at least once,
    /// each entry stored once.
    #[arg(long, value_name = "URL")]
    fleet_db: Option<String>,
    /// A CA (PEM) trusted for the fleet database's server.
    #[arg(long, value_name = "FILE.pem")]
    fleet_ca: Option<PathBuf>,
}

pub fn run(args: Args) -> Outcome {
    match args.command {
        Some(Command::Token(command)) => token(command),
        Some(Command::Key(KeyCommand::Retire { state, key })) => retire(&state, &key),
        None => run_gateway(args.run),
    }
}

fn run_gateway(args: RunArgs) -> Outcome {
    let file = match &args.config {
        Some(path) => match FileConfig::read(path) {
            Ok(file) => file,
            Err(error) => {
                eprintln!("error: {error}");
                return Outcome::Failure;
            }
        },
        None => FileConfig::default(),
    };
    let flags = FileConfig {
        bundle: args.bundle,
        key: args.key.first().cloned(),
        keys: (args.key.len() > 1).then(|| args.key[1..].to_vec()),
        state: args.state,
        listen: args.listen,
        mud_source: args.mud_source,
        ruleset: args.ruleset,
        apply_firewall: args.apply_firewall.then_some(true),
        nft: args.nft,
        request_timeout_ms: args.request_timeout_ms,
        syslog_udp: args.syslog_udp,
        syslog_tcp: args.syslog_tcp,
        syslog_tls: args.syslog_tls,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        tls_client_ca: args.tls_client_ca,
        incidents: args.incidents,
        max_groups: args.max_groups,
        client_ca: args.client_ca,
        insecure_http: args.insecure_http.then_some(true),
        api_policy: args.api_policy,
        client_roles: match pairs(&args.client_role, "--client-role", "NAME=ROLE") {
            Ok(roles) => roles,
            Err(error) => {
                eprintln!("error: {error}");
                return Outcome::Failure;
            }
        },
        api_names: (!args.api_name.is_empty()).then_some(args.api_name),
        mud_fetch_allow: (!args.mud_fetch_allow.is_empty()).then_some(args.mud_fetch_allow),
        mud_signers: match pairs(&args.mud_signer, "--mud-signer", "HOST=FILE.pem") {
            Ok(signers) => {
                signers.map(|s| s.into_iter().map(|(h, p)| (h, PathBuf::from(p))).collect())
            }
            Err(error) => {
                eprintln!("error: {error}");
                return Outcome::Failure;
            }
        },
        bundle_url: args.bundle_url,
        bundle_poll: args.bundle_poll,
        bundle_ca: args.bundle_ca,
        gateway_id: args.gateway_id,
        fleet_db: args.fleet_db,
        fleet_ca: args.fleet_ca,
    };
    let config = match flags.or(file).resolve() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("error: {error}");
            return Outcome::Failure;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the gateway: {error}");
            return Outcome::Failure;
        }
    };
    let result = runtime.block_on(async {
        let gateway = ward_gateway::runtime::Gateway::start(config).await?;
        ward_gateway::api::serve(gateway).await
    });
    match result {
        Ok(()) => Outcome::Clean,
        Err(error) => {
            eprintln!("error: {error}");
            Outcome::Failure
        }
    }
}

/// `KEY=VALUE` pairs of a repeatable flag (`--client-role NAME=ROLE`); the values are
/// checked with the rest of the settings.
fn pairs(
    given: &[String],
    flag: &str,
    shape: &str,
) -> Result<Option<BTreeMap<String, String>>, String> {
    if given.is_empty() {
        return Ok(None);
    }
    let mut map = BTreeMap::new();
    for pair in given {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| format!("{flag} `{pair}`: write {shape}"))?;
        map.insert(key.to_string(), value.to_string());
    }
    Ok(Some(map))
}

fn token(command: TokenCommand) -> Outcome {
    let state = match &command {
        TokenCommand::Create { state, .. }
        | TokenCommand::List { state }
        | TokenCommand::Revoke { state, .. } => state,
    };
    let store = match Store::open(state) {
        Ok(store) => store,
        Err(error) => {
            eprintln!("error: {error}");
            return Outcome::Failure;
        }
    };
    match command {
        TokenCommand::Create {
            role,
            expires,
            name,
            ..
        } => {
            let Some(role) = Role::parse(&role) else {
                eprintln!("error: `{role}` is not a role: operator, auditor or onboarding");
                return Outcome::Failure;
            };
            let expires_at = match expires.as_deref().map(seconds) {
                None => None,
                Some(Some(seconds)) => {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap_or_default();
                    Some(rfc3339(now.as_secs().saturating_add(seconds), 0))
                }
                Some(None) => {
                    eprintln!(
                        "error: --expires `{}`: write a duration such as 90d, 12h or 30m",
                        expires.unwrap_or_default()
                    );
                    return Outcome::Failure;
                }
            };
            match store.create_token(role, name.as_deref(), expires_at) {
                Ok((token, info)) => {
                    println!("{token}");
                    eprintln!(
                        "token {} ({role}){}: shown once, keep it secret",
                        info.id,
                        info.expires_at
                            .map(|at| format!(", valid until {at}"))
                            .unwrap_or_default()
                    );
                    Outcome::Clean
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    Outcome::Failure
                }
            }
        }
        TokenCommand::List { .. } => match store.tokens() {
            Ok(tokens) => {
                println!(
                    "{:<16}  {:<10}  {:<24}  {:<24}  name",
                    "id", "role", "expires", "revoked"
                );
                for token in tokens {
                    println!(
                        "{:<16}  {:<10}  {:<24}  {:<24}  {}",
                        token.id,
                        token.role,
                        token.expires_at.as_deref().unwrap_or("never"),
                        token.revoked_at.as_deref().unwrap_or("-"),
                        token.name.as_deref().unwrap_or("")
                    );
                }
                Outcome::Clean
            }
            Err(error) => {
                eprintln!("error: {error}");
                Outcome::Failure
            }
        },
        TokenCommand::Revoke { id, .. } => match store.revoke_token(&id) {
            Ok(true) => {
                eprintln!("token {id} revoked");
                Outcome::Clean
            }
            Ok(false) => {
                eprintln!("error: no token `{id}` in force (`ward gateway token list`)");
                Outcome::Failure
            }
            Err(error) => {
                eprintln!("error: {error}");
                Outcome::Failure
            }
        },
    }
}

/// `90d`, `12h`, `30m`, `45s` in seconds.
fn seconds(text: &str) -> Option<u64> {
    let unit = text.chars().last()?;
    let number: u64 = text[..text.len() - unit.len_utf8()].parse().ok()?;
    let scale = match unit {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        's' => 1,
        _ => return None,
    };
    number.checked_mul(scale).filter(|&s| s > 0)
}

fn retire(state: &std::path::Path, key: &std::path::Path) -> Outcome {
    let key = match ward_gateway::bundle::verifying_key(key) {
        Ok(key) => key,
        Err(error) => {
            eprintln!("error: {error}");
            return Outcome::Failure;
        }
    };
    let key_id = ward_gateway::bundle::hex(&ward_compiler::bundle::sign::key_id(&key));
    match Store::open(state).and_then(|store| store.retire_key(&key_id)) {
        Ok(true) => {
            eprintln!("key {key_id} retired: bundles it signed are refused from now on");
            Outcome::Clean
        }
        Ok(false) => {
            eprintln!("key {key_id} was retired already");
            Outcome::Clean
        }
        Err(error) => {
            eprintln!("error: {error}");
            Outcome::Failure
        }
    }
}
