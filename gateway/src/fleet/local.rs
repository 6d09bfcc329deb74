//! What telemetry reads from the state database, and the cursors that say what the fleet
//! database already holds.

use rusqlite::{OptionalExtension, params};

use crate::store::{Device, Store, StoreError};

/// The cursors (part of the state database's schema: a new table, older databases take it as
/// is). `audit`: the last audit sequence sent; `incidents`: the (last_ms, id) of the last
/// incident state sent, in that order.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS fleet_cursor (
    stream TEXT PRIMARY KEY,
    shipped INTEGER NOT NULL,
    shipped_id TEXT NOT NULL DEFAULT ''
);
";

pub(super) struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub event: String,
    pub device: Option<String>,
    pub detail: String,
}

pub(super) struct IncidentRow {
    pub id: String,
    pub at: String,
    pub rule: String,
    pub threat: String,
    pub severity: String,
    pub device: Option<String>,
    pub source: String,
    pub count: i64,
    pub first_ms: i64,
    pub last_ms: i64,
    pub bundle_revision: String,
    pub detail: String,
}

/// One round's reading.
pub(super) struct Read {
    pub audit: Vec<AuditRow>,
    pub incidents: Vec<IncidentRow>,
    pub devices: Vec<Device>,
    /// A digest of the inventory: it is sent again only when it changed.
    pub inventory_digest: u64,
    pub audit_count: i64,
    pub incident_count: i64,
}

fn cursor(store: &Store, stream: &str) -> Result<(i64, String), StoreError> {
    Ok(store
        .conn
        .query_row(
            "SELECT shipped, shipped_id FROM fleet_cursor WHERE stream = ?1",
            params![stream],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, String::new())))
}

pub(super) fn read(store: &Store, batch: i64) -> Result<Read, StoreError> {
    let (audit_after, _) = cursor(store, "audit")?;
    let mut statement = store.conn.prepare_cached(
        "SELECT seq, at, event, device, detail FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let audit = statement
        .query_map(params![audit_after, batch], |row| {
            Ok(AuditRow {
                seq: row.get(0)?,
                at: row.get(1)?,
                event: row.get(2)?,
                device: row.get(3)?,
                detail: row.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let (after_ms, after_id) = cursor(store, "incidents")?;
    let mut statement = store.conn.prepare_cached(
        "SELECT id, at, rule, threat, severity, device, source, count, first_ms, last_ms,
                bundle_revision, detail
         FROM incidents WHERE (last_ms, id) > (?1, ?2) ORDER BY last_ms, id LIMIT ?3",
    )?;
    let incidents = statement
        .query_map(params![after_ms, after_id, batch], |row| {
            Ok(IncidentRow {
                id: row.get(0)?,
                at: row.get(1)?,
                rule: row.get(2)?,
                threat: row.get(3)?,
                severity: row.get(4)?,
                device: row.get(5)?,
                source: row.get(6)?,
                count: row.get(7)?,
                first_ms: row.get(8)?,
                last_ms: row.get(9)?,
                bundle_revision: row.get(10)?,
                detail: row.get(11)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let devices = store.devices()?;
    let inventory_digest = {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for d in &devices {
            (
                &d.id,
                &d.class,
                &d.address,
                &d.profile,
                d.level,
                d.quarantined,
            )
                .hash(&mut hasher);
        }
        hasher.finish()
    };
    let count = |table: &str| -> Result<i64, StoreError> {
        Ok(store
            .conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |row| {
                row.get(0)
            })?)
    };
    Ok(Read {
        audit,
        incidents,
        devices,
        inventory_digest,
        audit_count: count("audit")?,
        incident_count: count("incidents")?,
    })
}

/// Moves the cursors past what the fleet database committed.
pub(super) fn advance(
    store: &Store,
    audit: Option<i64>,
    incident: Option<(i64, String)>,
) -> Result<(), StoreError> {
    if let Some(seq) = audit {
        store.conn.execute(
            "INSERT INTO fleet_cursor (stream, shipped) VALUES ('audit', ?1)
             ON CONFLICT (stream) DO UPDATE SET shipped = excluded.shipped",
            params![seq],
        )?;
    }
    if let Some((last_ms, id)) = incident {
        store.conn.execute(
            "INSERT INTO fleet_cursor (stream, shipped, shipped_id) VALUES ('incidents', ?1, ?2)
             ON CONFLICT (stream) DO UPDATE SET shipped = excluded.shipped, shipped_id = excluded.shipped_id",
            params![last_ms, id],
        )?;
    }
    Ok(())
}
