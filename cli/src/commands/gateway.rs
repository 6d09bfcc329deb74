//! `ward gateway`: runs PASC on a gateway: verifies and loads a signed bundle, keeps the
//! device inventory and an audit log in SQLite, serves the onboarding API and keeps the
//! firewall ruleset in step with the inventory. Settings from `--config FILE.toml`, flags
//! taking precedence.

use std::path::PathBuf;

use ward_gateway::config::FileConfig;

use crate::Outcome;

#[derive(clap::Args)]
pub struct Args {
    /// A TOML file with the settings below (flags take precedence).
    #[arg(long, value_name = "FILE.toml")]
    config: Option<PathBuf>,
    /// The signed bundle (`bundle.cbor`, or a bundle directory holding one).
    #[arg(long, value_name = "BUNDLE")]
    bundle: Option<PathBuf>,
    /// The public key the bundle must be signed with.
    #[arg(long, value_name = "PUB")]
    key: Option<PathBuf>,
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
}

pub fn run(args: Args) -> Outcome {
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
        key: args.key,
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
