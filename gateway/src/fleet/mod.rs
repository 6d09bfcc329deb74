//! Fleet telemetry: each gateway (`--gateway-id`) sends what it stored (its status, audit log,
//! incidents and inventory) to one PostgreSQL database (`--fleet-db`), where `ward fleet`
//! reads across sites.
//!
//! Delivery is at least once and idempotent, so the database holds each entry once:
//! - the audit log and incidents are read from the state database past a cursor kept there
//!   (`fleet_cursor`), sent in one PostgreSQL transaction whose rows are keyed by (gateway,
//!   audit sequence) or (gateway, incident id), inserted with `ON CONFLICT` (an incident,
//!   which grows, is replaced by its later state), and the cursor moves only once the
//!   transaction committed. A crash in between sends the same rows again, which change
//!   nothing; a database or network outage only delays them.
//! - the inventory is sent whole when it changed, replacing the gateway's rows in one
//!   transaction; the status row is replaced at every round.
//!
//! The connection uses TLS (the public roots, or `--fleet-ca`) unless the database is on a
//! loopback address; the schema is created and migrated by ward (`schema.rs`). Rounds run
//! every 2 s, at most 1,000 audit entries and 1,000 incidents each, within 20 s (a cut network
//! leaves a connection hanging: it is dropped and made again); failures back off to a minute.

mod local;
pub mod schema;

pub(crate) use local::SCHEMA as LOCAL_SCHEMA;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::bundle::PolicyBundle;
use crate::runtime::{State, lock};
use crate::store::Device;

/// Where telemetry goes.
#[derive(Clone, Debug)]
pub struct FleetSettings {
    /// This gateway's name in the fleet.
    pub gateway_id: String,
    /// `postgres://user:password@host:port/db` (or the key-value form).
    pub url: String,
    /// A CA (PEM) trusted for the database server besides the public roots.
    pub ca: Option<std::path::PathBuf>,
}

/// Rows read from the state database per round and stream.
const BATCH: i64 = 1_000;
const ROUND: Duration = Duration::from_secs(2);
/// The longest a round may take: a network cut leaves a connection hanging, not closed.
const ROUND_TIMEOUT: Duration = Duration::from_secs(20);
const MOST_BACKOFF: Duration = Duration::from_secs(60);

/// What the gateway runs, as the status row says it: the bundle's revision and sequence.
pub(crate) enum Running {
    Bundle(Arc<std::sync::RwLock<Arc<PolicyBundle>>>),
    /// A simulated gateway's (`Simulated`).
    Fixed(String, Option<u64>),
}

impl Running {
    fn now(&self) -> (String, Option<u64>) {
        match self {
            Running::Bundle(bundle) => {
                let bundle = match bundle.read() {
                    Ok(bundle) => bundle.clone(),
                    Err(poisoned) => poisoned.into_inner().clone(),
                };
                (bundle.manifest.revision.clone(), bundle.sequence)
            }
            Running::Fixed(revision, sequence) => (revision.clone(), *sequence),
        }
    }
}

/// A gateway reduced to its state database and its telemetry sender, for the fleet benchmark
/// (`cargo run --release -p ward-gateway --example fleet_bench`): what is written to its audit
/// log travels as a real gateway's does.
pub struct Simulated {
    state: Arc<Mutex<State>>,
}

impl Simulated {
    /// Opens (or creates) the state database at `path` and starts the sender (within a
    /// tokio runtime).
    pub fn start(path: &std::path::Path, settings: FleetSettings) -> Result<Simulated, String> {
        let store = crate::store::Store::open(path).map_err(|e| e.to_string())?;
        let things =
            crate::things::Things::from_devices(&store.devices().map_err(|e| e.to_string())?);
        let state = Arc::new(Mutex::new(State { store, things }));
        start(
            state.clone(),
            Running::Fixed("simulated".to_string(), Some(1)),
            settings,
        );
        Ok(Simulated { state })
    }

    /// One audit entry, as the gateway records an event.
    pub fn audit(&self, event: &str, detail: &serde_json::Value) -> Result<(), String> {
        lock(&self.state)
            .store
            .audit(event, None, detail)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// Sends telemetry for ever.
pub(crate) fn start(state: Arc<Mutex<State>>, running: Running, settings: FleetSettings) {
    tokio::spawn(async move {
        let mut client: Option<tokio_postgres::Client> = None;
        let mut failures: u32 = 0;
        let mut last_error: Option<String> = None;
        let mut inventory_sent: Option<u64> = None;
        loop {
            if client
                .as_ref()
                .is_none_or(tokio_postgres::Client::is_closed)
            {
                client = match schema::connect(&settings.url, settings.ca.as_deref()).await {
                    Ok(connected) => Some(connected),
                    Err(error) => {
                        last_error = Some(error.clone());
                        failures += 1;
                        eprintln!("fleet: cannot reach the database: {error}");
                        tokio::time::sleep(backoff(failures)).await;
                        continue;
                    }
                };
                inventory_sent = None;
            }
            let Some(connected) = client.as_mut() else {
                continue;
            };
            let done = tokio::time::timeout(
                ROUND_TIMEOUT,
                round(
                    connected,
                    &state,
                    &running,
                    &settings,
                    last_error.as_deref(),
                    &mut inventory_sent,
                ),
            )
            .await
            .unwrap_or_else(|_| Err("the database did not answer within 20 s".to_string()));
            match done {
                Ok(busy) => {
                    failures = 0;
                    last_error = None;
                    if !busy {
                        tokio::time::sleep(ROUND).await;
                    }
                }
                Err(error) => {
                    eprintln!("fleet: {error}");
                    last_error = Some(error);
                    failures += 1;
                    client = None;
                    tokio::time::sleep(backoff(failures)).await;
                }
            }
        }
    });
}

fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1)
        .saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(8)))
        .min(MOST_BACKOFF)
}

/// One round: the audit entries and incidents past the cursors, the inventory if it
/// changed, the status. Whether there was more to send than one round takes.
async fn round(
    client: &mut tokio_postgres::Client,
    state: &Arc<Mutex<State>>,
    running: &Running,
    settings: &FleetSettings,
    last_error: Option<&str>,
    inventory_sent: &mut Option<u64>,
) -> Result<bool, String> {
    let gateway = settings.gateway_id.as_str();
    let read = {
        let state = state.clone();
        tokio::task::spawn_blocking(move || {
            let guard = lock(&state);
            local::read(&guard.store, BATCH)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("state database: {e}"))?
    };
    let busy = read.audit.len() as i64 == BATCH || read.incidents.len() as i64 == BATCH;
    let pg = |e: tokio_postgres::Error| format!("database: {e}");
    let tx = client.transaction().await.map_err(pg)?;
    // One statement per stream, its rows as arrays unnested by the server: a round trip
    // per row capped one PostgreSQL at about 5,000 rows/s (gateway/examples/fleet_bench.rs).
    if !read.audit.is_empty() {
        let column =
            |f: fn(&local::AuditRow) -> &str| -> Vec<&str> { read.audit.iter().map(f).collect() };
        let seqs: Vec<i64> = read.audit.iter().map(|e| e.seq).collect();
        let devices: Vec<Option<&str>> = read.audit.iter().map(|e| e.device.as_deref()).collect();
        tx.execute(
            "INSERT INTO fleet_audit (gateway, seq, at, event, device, detail)
             SELECT $1, seq, at, event, device, detail::jsonb
             FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])
                 AS sent(seq, at, event, device, detail)
             ON CONFLICT (gateway, seq) DO NOTHING",
            &[
                &gateway,
                &seqs,
                &column(|e| &e.at),
                &column(|e| &e.event),
                &devices,
                &column(|e| &e.detail),
            ],
        )
        .await
        .map_err(pg)?;
    }
    if !read.incidents.is_empty() {
        // Each incident id comes once per round (the state database keys them by id), as
        // `ON CONFLICT DO UPDATE` requires of one statement.
        let incidents = &read.incidents;
        let text =
            |f: fn(&local::IncidentRow) -> &str| -> Vec<&str> { incidents.iter().map(f).collect() };
        let number =
            |f: fn(&local::IncidentRow) -> i64| -> Vec<i64> { incidents.iter().map(f).collect() };
        let devices: Vec<Option<&str>> = incidents.iter().map(|i| i.device.as_deref()).collect();
        tx.execute(
            "INSERT INTO fleet_incidents (gateway, id, at, rule, threat, severity, device, source,
                 count, first_ms, last_ms, bundle_revision, detail)
             SELECT $1, id, at, rule, threat, severity, device, source, count, first_ms,
                 last_ms, bundle_revision, detail::jsonb
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                 $7::text[], $8::text[], $9::bigint[], $10::bigint[], $11::bigint[],
                 $12::text[], $13::text[])
                 AS sent(id, at, rule, threat, severity, device, source, count, first_ms,
                     last_ms, bundle_revision, detail)
             ON CONFLICT (gateway, id) DO UPDATE SET count = excluded.count,
                 last_ms = excluded.last_ms, detail = excluded.detail, stored_at = now()
             WHERE fleet_incidents.last_ms <= excluded.last_ms",
            &[
                &gateway,
                &text(|i| &i.id),
                &text(|i| &i.at),
                &text(|i| &i.rule),
                &text(|i| &i.threat),
                &text(|i| &i.severity),
                &devices,
                &text(|i| &i.source),
                &number(|i| i.count),
                &number(|i| i.first_ms),
                &number(|i| i.last_ms),
                &text(|i| &i.bundle_revision),
                &text(|i| &i.detail),
            ],
        )
        .await
        .map_err(pg)?;
    }
    if *inventory_sent != Some(read.inventory_digest) {
        tx.execute("DELETE FROM fleet_devices WHERE gateway = $1", &[&gateway])
            .await
            .map_err(pg)?;
        let devices = &read.devices;
        let text = |f: fn(&Device) -> &str| -> Vec<&str> { devices.iter().map(f).collect() };
        let profiles: Vec<Option<&str>> = devices.iter().map(Device::held_profile).collect();
        let levels: Vec<Option<i64>> = devices.iter().map(|d| d.level).collect();
        let quarantined: Vec<bool> = devices.iter().map(|d| d.quarantined).collect();
        tx.execute(
            "INSERT INTO fleet_devices (gateway, id, class, address, profile, level, quarantined, onboarded_at)
             SELECT $1, id, class, address, profile, level, quarantined, onboarded_at
             FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[],
                 $7::boolean[], $8::text[])
                 AS sent(id, class, address, profile, level, quarantined, onboarded_at)",
            &[
                &gateway,
                &text(|d| &d.id),
                &text(|d| &d.class),
                &text(|d| &d.address),
                &profiles,
                &levels,
                &quarantined,
                &text(|d| &d.onboarded_at),
            ],
        )
        .await
        .map_err(pg)?;
    }
    let (revision, sequence) = running.now();
    let sequence = sequence.map(|s| s as i64);
    tx.execute(
        "INSERT INTO fleet_gateways (gateway, revision, sequence, since, things, incidents,
             audit_entries, last_error, seen_at)
         VALUES ($1, $2, $3, now(), $4, $5, $6, $7, now())
         ON CONFLICT (gateway) DO UPDATE SET
             since = CASE WHEN fleet_gateways.revision = excluded.revision
                 AND fleet_gateways.sequence IS NOT DISTINCT FROM excluded.sequence
                 THEN fleet_gateways.since ELSE now() END,
             revision = excluded.revision, sequence = excluded.sequence,
             things = excluded.things, incidents = excluded.incidents,
             audit_entries = excluded.audit_entries, last_error = excluded.last_error,
             seen_at = now()",
        &[
            &gateway,
            &revision,
            &sequence,
            &(read.devices.len() as i64),
            &read.incident_count,
            &read.audit_count,
            &last_error,
        ],
    )
    .await
    .map_err(pg)?;
    tx.commit().await.map_err(pg)?;
    *inventory_sent = Some(read.inventory_digest);
    // Committed: the cursors move.
    let (audit_to, incidents_to) = (
        read.audit.last().map(|e| e.seq),
        read.incidents.last().map(|i| (i.last_ms, i.id.clone())),
    );
    if audit_to.is_some() || incidents_to.is_some() {
        let state = state.clone();
        tokio::task::spawn_blocking(move || {
            let guard = lock(&state);
            local::advance(&guard.store, audit_to, incidents_to)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("state database: {e}"))?;
    }
    Ok(busy)
}
