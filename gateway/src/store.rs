//! The gateway's state in SQLite: the device inventory and the audit log.
//!
//! WAL journal with `synchronous = FULL`: a committed onboarding survives a crash or a power
//! cut, and readers (the API's GETs) never wait for the writer. An onboarding is one
//! transaction (the device and its audit entry), so a `kill -9` leaves all of it or none.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::{Value, json};

/// The schema version this ward writes (SQLite's `user_version`).
const SCHEMA_VERSION: i64 = 4;

/// From version 1 (the inventory) to 2 (PAVA: incidents, the report outbox, revoked
/// credentials and profiles raised by incidents).
const MIGRATION_2: &str = "
ALTER TABLE devices ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN raised_profile TEXT;
CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    rule TEXT NOT NULL,
    threat TEXT NOT NULL,
    severity TEXT NOT NULL,
    device TEXT,
    source TEXT NOT NULL,
    group_key TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_ms INTEGER NOT NULL,
    last_ms INTEGER NOT NULL,
    bundle_revision TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    incident TEXT NOT NULL REFERENCES incidents (id),
    receiver TEXT NOT NULL,
    service TEXT NOT NULL,
    url TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at_ms INTEGER NOT NULL,
    delivered_at TEXT,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (next_at_ms) WHERE delivered_at IS NULL;
";

/// From version 2 to 3: a thing's profile and level may be NULL (a class the policy does not
/// assess holds no profile). SQLite cannot relax a NOT NULL constraint in place, so the table
/// is rebuilt with the same rows, the documented way (sqlite.org/lang_altertable.html).
const MIGRATION_3: &str = "
CREATE TABLE devices_v3 (
    id TEXT PRIMARY KEY,
    class TEXT NOT NULL,
    address TEXT NOT NULL UNIQUE,
    mud_url TEXT NOT NULL,
    profile TEXT,
    level INTEGER,
    quarantined INTEGER NOT NULL,
    onboarded_at TEXT NOT NULL,
    bundle_revision TEXT NOT NULL,
    onboarding TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    raised_profile TEXT
);
INSERT INTO devices_v3 (id, class, address, mud_url, profile, level, quarantined, onboarded_at,
    bundle_revision, onboarding, revoked, raised_profile)
SELECT id, class, address, mud_url, profile, level, quarantined, onboarded_at,
    bundle_revision, onboarding, revoked, raised_profile FROM devices;
DROP TABLE devices;
ALTER TABLE devices_v3 RENAME TO devices;
CREATE INDEX devices_class ON devices (class);
";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    class TEXT NOT NULL,
    address TEXT NOT NULL UNIQUE,
    mud_url TEXT NOT NULL,
    profile TEXT NOT NULL,
    level INTEGER NOT NULL,
    quarantined INTEGER NOT NULL,
    onboarded_at TEXT NOT NULL,
    bundle_revision TEXT NOT NULL,
    onboarding TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS devices_class ON devices (class);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    device TEXT,
    detail TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS revoked_ids (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL
);
";

#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(format!("state database: {e}"))
    }
}

/// An onboarded thing.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Device {
    pub id: String,
    pub class: String,
    pub address: String,
    pub mud_url: String,
    /// None for a thing of a class the policy does not assess.
    pub profile: Option<String>,
    pub level: Option<i64>,
    pub quarantined: bool,
    pub onboarded_at: String,
    pub bundle_revision: String,
    /// The profile PAVA raised the thing to, above its class's (`raise_profile`).
    pub raised_profile: Option<String>,
}

impl Device {
    /// The profile the thing holds: the one PAVA raised it to, else its class's.
    pub fn held_profile(&self) -> Option<&str> {
        self.raised_profile.as_deref().or(self.profile.as_deref())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub event: String,
    pub device: Option<String>,
    pub detail: Value,
}

/// Why a device could not be added.
#[derive(Debug, PartialEq, Eq)]
pub enum AddError {
    DuplicateId,
    DuplicateAddress(String),
    Store(String),
}

pub struct Store {
    pub(crate) conn: Connection,
}

/// The current time as RFC 3339 UTC with milliseconds, from the system clock.
pub fn now() -> String {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    rfc3339(since.as_secs(), since.subsec_millis())
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ` (civil-from-days, Howard Hinnant's
/// algorithm: no time-zone database needed for UTC).
pub fn rfc3339(secs: u64, millis: u32) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn device_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        id: row.get(0)?,
        class: row.get(1)?,
        address: row.get(2)?,
        mud_url: row.get(3)?,
        profile: row.get(4)?,
        level: row.get(5)?,
        quarantined: row.get::<_, i64>(6)? != 0,
        onboarded_at: row.get(7)?,
        bundle_revision: row.get(8)?,
        raised_profile: row.get(9)?,
    })
}

const DEVICE_COLUMNS: &str = "id, class, address, mud_url, profile, level, quarantined, onboarded_at, bundle_revision, raised_profile";

impl Store {
    /// Opens (or creates) the state database. Refuses a database written by a newer ward
    /// rather than misread it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn =
            Connection::open(path).map_err(|e| StoreError(format!("{}: {e}", path.display())))?;
        Store::init(conn)
    }

    /// A database in memory (tests, benchmarks).
    pub fn in_memory() -> Result<Store, StoreError> {
        Store::init(Connection::open_in_memory()?)
    }

    fn init(conn: Connection) -> Result<Store, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError(format!(
                "the state database has schema version {version}; this ward knows {SCHEMA_VERSION}: upgrade ward"
            )));
        }
        conn.execute_batch(SCHEMA)?;
        // Version 4: the API's tokens and identity holds (new tables only: older databases
        // take them as is).
        conn.execute_batch(crate::access::tokens::SCHEMA)?;
        conn.execute_batch(crate::holds::SCHEMA)?;
        conn.execute_batch(crate::sequence::SCHEMA)?;
        conn.execute_batch(crate::fleet::LOCAL_SCHEMA)?;
        if version < 2 {
            // A new database is at version 0: it gets version 1's tables above, then this.
            conn.execute_batch(&format!("BEGIN; {MIGRATION_2} COMMIT;"))?;
        }
        if version < 3 {
            conn.execute_batch(&format!("BEGIN; {MIGRATION_3} COMMIT;"))?;
        }
        if version < 4 {
            // Version 4: an incident's actions are applied from what is stored, and marked
            // applied with them (pava/actions.rs); incidents of before were applied.
            // And a service's waiting reports are counted (their share is bounded).
            conn.execute_batch(
                "BEGIN; ALTER TABLE incidents ADD COLUMN applied INTEGER NOT NULL DEFAULT 1;
                 CREATE INDEX IF NOT EXISTS outbox_waiting ON outbox (service) WHERE delivered_at IS NULL;
                 COMMIT;",
            )?;
        }
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(Store { conn })
    }

    /// Adds a device and its audit entry in one transaction.
    pub fn add_device(&mut self, device: &Device, onboarding: &Value) -> Result<i64, AddError> {
        let store = |e: rusqlite::Error| AddError::Store(format!("state database: {e}"));
        let tx = self.conn.transaction().map_err(store)?;
        let exists: Option<String> = tx
            .query_row(
                "SELECT id FROM devices WHERE id = ?1 OR address = ?2",
                params![device.id, device.address],
                |row| row.get(0),
            )
            .optional()
            .map_err(store)?;
        if let Some(existing) = exists {
            return Err(if existing == device.id {
                AddError::DuplicateId
            } else {
                AddError::DuplicateAddress(existing)
            });
        }
        tx.execute(
            &format!(
                "INSERT INTO devices ({DEVICE_COLUMNS}, onboarding) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ),
            params![
                device.id,
                device.class,
                device.address,
                device.mud_url,
                device.profile,
                device.level,
                i64::from(device.quarantined),
                device.onboarded_at,
                device.bundle_revision,
                device.raised_profile,
                onboarding.to_string(),
            ],
        )
        .map_err(store)?;
        tx.execute(
            "INSERT INTO audit (at, event, device, detail) VALUES (?1, 'onboarded', ?2, ?3)",
            params![
                device.onboarded_at,
                device.id,
                audit_detail(onboarding).to_string()
            ],
        )
        .map_err(store)?;
        let seq = tx.last_insert_rowid();
        tx.commit().map_err(store)?;
        Ok(seq)
    }

    /// Removes a thing (decommissioned, replaced, onboarded by mistake) and records it in the
    /// audit log, in one transaction; `None` when no thing has that id. Its incidents and
    /// audit entries stay. Revoked credentials stay revoked: a removed thing's id is kept in
    /// `revoked_ids`, so a certificate issued for it is refused even if the id is onboarded
    /// again.
    pub fn remove_device(
        &mut self,
        id: &str,
        detail: &Value,
    ) -> Result<Option<(Device, i64)>, StoreError> {
        let tx = self.conn.transaction()?;
        let found = tx
            .query_row(
                &format!("SELECT {DEVICE_COLUMNS}, revoked FROM devices WHERE id = ?1"),
                params![id],
                |row| Ok((device_of(row)?, row.get::<_, i64>(10)? != 0)),
            )
            .optional()?;
        let Some((device, revoked)) = found else {
            return Ok(None);
        };
        if revoked {
            tx.execute(
                "INSERT OR IGNORE INTO revoked_ids (id, at) VALUES (?1, ?2)",
                params![id, now()],
            )?;
        }
        tx.execute("DELETE FROM devices WHERE id = ?1", params![id])?;
        let mut recorded = json!({
            "class": device.class,
            "address": device.address,
            "mud_url": device.mud_url,
            "onboarded_at": device.onboarded_at,
        });
        if let (Some(object), Some(extra)) = (recorded.as_object_mut(), detail.as_object()) {
            object.extend(extra.clone());
        }
        tx.execute(
            "INSERT INTO audit (at, event, device, detail) VALUES (?1, 'removed', ?2, ?3)",
            params![now(), id, recorded.to_string()],
        )?;
        let seq = tx.last_insert_rowid();
        tx.commit()?;
        Ok(Some((device, seq)))
    }

    /// Records an event in the audit log.
    pub fn audit(
        &self,
        event: &str,
        device: Option<&str>,
        detail: &Value,
    ) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO audit (at, event, device, detail) VALUES (?1, ?2, ?3, ?4)",
            params![now(), event, device, detail.to_string()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn devices(&self) -> Result<Vec<Device>, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM devices ORDER BY id"))?;
        let rows = statement.query_map([], device_of)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn device(&self, id: &str) -> Result<Option<(Device, Value)>, StoreError> {
        let row = self
            .conn
            .query_row(
                &format!("SELECT {DEVICE_COLUMNS}, onboarding FROM devices WHERE id = ?1"),
                params![id],
                |row| Ok((device_of(row)?, row.get::<_, String>(10)?)),
            )
            .optional()?;
        Ok(row.map(|(device, onboarding)| {
            (
                device,
                serde_json::from_str(&onboarding).unwrap_or(Value::Null),
            )
        }))
    }

    /// The addresses of the onboarded things, by class (the firewall's inventory).
    pub fn inventory(&self) -> Result<ward_compiler::emit::nft::Inventory, StoreError> {
        let mut statement = self
            .conn
            .prepare_cached("SELECT class, address FROM devices ORDER BY class, address")?;
        let mut inventory = ward_compiler::emit::nft::Inventory::new();
        let rows = statement.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (class, address) = row?;
            inventory.entry(class).or_default().push(address);
        }
        Ok(inventory)
    }

    pub fn count_devices(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM devices", [], |row| row.get(0))?)
    }

    /// Audit entries after `after` (a sequence number), oldest first, at most `limit`.
    pub fn audit_log(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT seq, at, event, device, detail FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = statement.query_map(params![after, limit], |row| {
            let detail: String = row.get(4)?;
            Ok(AuditEntry {
                seq: row.get(0)?,
                at: row.get(1)?,
                event: row.get(2)?,
                device: row.get(3)?,
                detail: serde_json::from_str(&detail).unwrap_or(Value::Null),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// What the audit log keeps of an onboarding: the decision, without the full configuration.
fn audit_detail(onboarding: &Value) -> Value {
    let mut detail = serde_json::Map::new();
    for key in [
        "class",
        "classification",
        "profile",
        "level",
        "quarantined",
        "address",
        "mud_url",
        "excess",
        "peers",
        "peers_updated",
        "bundle_revision",
        // Who onboarded it, and whether the MUD file was the client's word or the source's.
        "by",
        "mud_from",
        "mud_read_from",
        "mud_signature",
    ] {
        if let Some(value) = onboarding.get(key) {
            detail.insert(key.to_string(), value.clone());
        }
    }
    Value::Object(detail)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A thing of class `plugs` at level 2, for tests of the state.
    pub(crate) fn device(id: &str, address: &str) -> Device {
        Device {
            id: id.into(),
            class: "plugs".into(),
            address: address.into(),
            mud_url: "https://x.example/p".into(),
            profile: Some("SecProf_2".into()),
            level: Some(2),
            quarantined: false,
            onboarded_at: now(),
            bundle_revision: "r".into(),
            raised_profile: None,
        }
    }

    #[test]
    fn devices_are_added_once_with_their_audit_entry() {
        let mut store = Store::in_memory().expect("store");
        let onboarding = serde_json::json!({ "class": "plugs", "config": { "big": true } });
        store
            .add_device(&device("a", "10.0.0.1"), &onboarding)
            .expect("added");
        assert_eq!(
            store.add_device(&device("a", "10.0.0.2"), &onboarding),
            Err(AddError::DuplicateId)
        );
        assert_eq!(
            store.add_device(&device("b", "10.0.0.1"), &onboarding),
            Err(AddError::DuplicateAddress("a".into()))
        );
        assert_eq!(store.count_devices().expect("count"), 1);
        let log = store.audit_log(0, 10).expect("log");
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].event, "onboarded");
        assert_eq!(log[0].detail["class"], "plugs");
        assert!(log[0].detail.get("config").is_none());
        let inventory = store.inventory().expect("inventory");
        assert_eq!(inventory["plugs"], ["10.0.0.1"]);
        let (found, stored) = store.device("a").expect("read").expect("found");
        assert_eq!(found.address, "10.0.0.1");
        assert_eq!(stored["config"]["big"], true);
    }

    #[test]
    fn a_version_2_database_keeps_its_things_and_takes_things_without_a_profile() {
        let dir = std::env::temp_dir().join(format!("ward-store-v2-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("state.sqlite");
        {
            // The database as ward wrote it before profiles could be absent.
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(SCHEMA).expect("v1");
            conn.execute_batch(MIGRATION_2).expect("v2");
            conn.pragma_update(None, "user_version", 2)
                .expect("version");
            conn.execute(
                "INSERT INTO devices (id, class, address, mud_url, profile, level, quarantined, onboarded_at, bundle_revision, onboarding, revoked, raised_profile) \
                 VALUES ('old', 'plugs', '10.0.0.9', 'https://x.example/p', 'SecProf_2', 2, 0, 't', 'r', '{}', 1, 'SecProf_3')",
                [],
            )
            .expect("a thing");
        }
        let mut store = Store::open(&path).expect("migrates");
        let (old, _) = store.device("old").expect("read").expect("kept");
        assert_eq!(old.profile.as_deref(), Some("SecProf_2"));
        assert_eq!(old.level, Some(2));
        assert_eq!(old.raised_profile.as_deref(), Some("SecProf_3"));
        let mut unassessed = device("new", "10.0.0.10");
        unassessed.profile = None;
        unassessed.level = None;
        store
            .add_device(&unassessed, &serde_json::json!({}))
            .expect("a thing without a profile");
        let (new, _) = store.device("new").expect("read").expect("stored");
        assert_eq!((new.profile, new.level), (None, None));
        drop(store);
        // Opening again changes nothing.
        let store = Store::open(&path).expect("reopens");
        assert_eq!(store.count_devices().expect("count"), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(rfc3339(1_795_564_800, 999), "2026-11-25T00:00:00.999Z");
        assert_eq!(rfc3339(1_795_651_199, 0), "2026-11-25T23:59:59.000Z");
    }
}
