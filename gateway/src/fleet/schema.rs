//! The fleet database: connecting (TLS unless on a loopback address), the schema ward creates
//! and migrates (`ward_fleet_schema` holds its version), and the questions `ward fleet` asks.

use std::path::Path;

use serde::Serialize;

/// Each migration, in order; version N is the first N applied.
const MIGRATIONS: &[&str] = &["
CREATE TABLE fleet_gateways (
    gateway TEXT PRIMARY KEY,
    revision TEXT NOT NULL,
    sequence BIGINT,
    since TIMESTAMPTZ NOT NULL,
    things BIGINT NOT NULL,
    incidents BIGINT NOT NULL,
    audit_entries BIGINT NOT NULL,
    last_error TEXT,
    seen_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE fleet_audit (
    gateway TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    device TEXT,
    detail JSONB NOT NULL,
    -- When the row reached the database: with `at`, the lag of telemetry.
    stored_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (gateway, seq)
);
CREATE TABLE fleet_incidents (
    gateway TEXT NOT NULL,
    id TEXT NOT NULL,
    at TEXT NOT NULL,
    rule TEXT NOT NULL,
    threat TEXT NOT NULL,
    severity TEXT NOT NULL,
    device TEXT,
    source TEXT NOT NULL,
    count BIGINT NOT NULL,
    first_ms BIGINT NOT NULL,
    last_ms BIGINT NOT NULL,
    bundle_revision TEXT NOT NULL,
    detail JSONB NOT NULL,
    stored_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (gateway, id)
);
CREATE INDEX fleet_incidents_rule ON fleet_incidents (rule, severity);
CREATE TABLE fleet_devices (
    gateway TEXT NOT NULL,
    id TEXT NOT NULL,
    class TEXT NOT NULL,
    address TEXT NOT NULL,
    profile TEXT,
    level BIGINT,
    quarantined BOOLEAN NOT NULL,
    onboarded_at TEXT NOT NULL,
    PRIMARY KEY (gateway, id)
);
CREATE INDEX fleet_devices_class ON fleet_devices (class);
"];

/// Whether a connection string names a loopback host only (where TLS may be skipped).
fn loopback_only(config: &tokio_postgres::Config) -> bool {
    !config.get_hosts().is_empty()
        && config.get_hosts().iter().all(|host| match host {
            tokio_postgres::config::Host::Tcp(name) => {
                name == "localhost"
                    || name
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
            // A Unix socket never leaves the machine.
            tokio_postgres::config::Host::Unix(_) => true,
        })
}

/// Connects, over TLS unless the database is on this machine, and brings the schema to this
/// ward's version (in one transaction, under an advisory lock: gateways starting together
/// migrate once).
pub async fn connect(url: &str, ca: Option<&Path>) -> Result<tokio_postgres::Client, String> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .map_err(|e| format!("the fleet database URL: {e}"))?;
    config.connect_timeout(std::time::Duration::from_secs(10));
    config.keepalives(true);
    config.keepalives_idle(std::time::Duration::from_secs(30));
    let client = if loopback_only(&config)
        && config.get_ssl_mode() == tokio_postgres::config::SslMode::Disable
    {
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        client
    } else {
        if config.get_ssl_mode() == tokio_postgres::config::SslMode::Disable {
            return Err(
                "sslmode=disable is for a database on this machine only: the fleet's audit and incidents cross the network over TLS"
                    .to_string(),
            );
        }
        config.ssl_mode(tokio_postgres::config::SslMode::Require);
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = ca {
            let pem = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
            use rustls_pki_types::pem::PemObject;
            for cert in rustls_pki_types::CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| format!("{}: {e}", path.display()))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
        }
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let (client, connection) = config
            .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection);
        client
    };
    migrate(&client).await?;
    Ok(client)
}

async fn migrate(client: &tokio_postgres::Client) -> Result<(), String> {
    let pg = |e: tokio_postgres::Error| format!("migrating the fleet database: {e}");
    client
        .batch_execute(
            "BEGIN;
             SELECT pg_advisory_xact_lock(7403218);
             CREATE TABLE IF NOT EXISTS ward_fleet_schema (version INTEGER NOT NULL);",
        )
        .await
        .map_err(pg)?;
    let version: i64 = client
        .query_opt("SELECT version FROM ward_fleet_schema", &[])
        .await
        .map_err(pg)?
        .map(|row| i64::from(row.get::<_, i32>(0)))
        .unwrap_or(0);
    let known = MIGRATIONS.len() as i64;
    if version > known {
        let _ = client.batch_execute("ROLLBACK").await;
        return Err(format!(
            "the fleet database has schema version {version}; this ward knows {known}: upgrade ward"
        ));
    }
    for migration in MIGRATIONS.iter().skip(version as usize) {
        client.batch_execute(migration).await.map_err(pg)?;
    }
    client
        .batch_execute(&format!(
            "DELETE FROM ward_fleet_schema; INSERT INTO ward_fleet_schema VALUES ({known}); COMMIT;"
        ))
        .await
        .map_err(pg)?;
    Ok(())
}

/// A gateway as `ward fleet status` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct GatewayStatus {
    pub gateway: String,
    pub revision: String,
    pub sequence: Option<i64>,
    /// Since when it runs this bundle (RFC 3339).
    pub since: String,
    pub things: i64,
    pub incidents: i64,
    /// Audit entries the gateway holds, and those the fleet database holds of them.
    pub audit_entries: i64,
    pub audit_stored: i64,
    pub last_error: Option<String>,
    pub seen_at: String,
    /// Whether a higher sequence number runs elsewhere in the fleet.
    pub behind: bool,
    /// Whether the gateway has not been heard from for longer than its sender can be quiet
    /// (rounds every 2 s, at most a minute's back-off, 20 s per round): down, cut off, or its
    /// database access lost.
    pub silent: bool,
}

/// How long a gateway may go unheard before `ward fleet status` calls it silent.
pub const SILENT_AFTER: &str = "3 minutes";

pub async fn status(client: &tokio_postgres::Client) -> Result<Vec<GatewayStatus>, String> {
    let rows = client
        .query(
            "SELECT gateway, revision, sequence, to_char(since AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    things, incidents, last_error,
                    to_char(seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                    sequence < max(sequence) OVER (), audit_entries,
                    (SELECT count(*) FROM fleet_audit a WHERE a.gateway = g.gateway),
                    seen_at < now() - $1::text::interval
             FROM fleet_gateways g ORDER BY gateway",
            &[&SILENT_AFTER],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(rows
        .iter()
        .map(|row| GatewayStatus {
            gateway: row.get(0),
            revision: row.get(1),
            sequence: row.get(2),
            since: row.get(3),
            things: row.get(4),
            incidents: row.get(5),
            last_error: row.get(6),
            seen_at: row.get(7),
            behind: row.get::<_, Option<bool>>(8).unwrap_or(false),
            audit_entries: row.get(9),
            audit_stored: row.get(10),
            silent: row.get::<_, Option<bool>>(11).unwrap_or(false),
        })
        .collect())
}

/// Incidents across sites, counted by rule, class and severity.
#[derive(Clone, Debug, Serialize)]
pub struct IncidentCount {
    pub rule: String,
    pub class: Option<String>,
    pub severity: String,
    pub incidents: i64,
    /// The messages behind them (an incident counts those of its group).
    pub occurrences: i64,
    pub gateways: i64,
    pub last_ms: i64,
}

pub async fn incidents(client: &tokio_postgres::Client) -> Result<Vec<IncidentCount>, String> {
    let rows = client
        .query(
            "SELECT i.rule, d.class, i.severity, count(*), count(DISTINCT i.gateway), max(i.last_ms),
                    sum(i.count)::BIGINT
             FROM fleet_incidents i
             LEFT JOIN fleet_devices d ON d.gateway = i.gateway AND d.id = i.device
             GROUP BY i.rule, d.class, i.severity
             ORDER BY count(*) DESC, i.rule, d.class",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(rows
        .iter()
        .map(|row| IncidentCount {
            rule: row.get(0),
            class: row.get(1),
            severity: row.get(2),
            incidents: row.get(3),
            gateways: row.get(4),
            last_ms: row.get(5),
            occurrences: row.get(6),
        })
        .collect())
}

/// The inventory across sites, by class.
#[derive(Clone, Debug, Serialize)]
pub struct ClassCount {
    pub class: String,
    pub things: i64,
    pub quarantined: i64,
    pub gateways: i64,
}

pub async fn devices(client: &tokio_postgres::Client) -> Result<Vec<ClassCount>, String> {
    let rows = client
        .query(
            "SELECT class, count(*), count(*) FILTER (WHERE quarantined), count(DISTINCT gateway)
             FROM fleet_devices GROUP BY class ORDER BY class",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(rows
        .iter()
        .map(|row| ClassCount {
            class: row.get(0),
            things: row.get(1),
            quarantined: row.get(2),
            gateways: row.get(3),
        })
        .collect())
}
