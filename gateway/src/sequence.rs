//! No rollback: the gateway remembers the highest bundle sequence number it has accepted
//! (with that bundle's revision) and the keys the operator retired, in the state database.
//! On start, reload and SIGHUP alike, a bundle with a lower number, the same number with
//! other contents, no number, or a retired key's signature is refused, whatever its
//! signature says: a validly signed old bundle is still an old bundle.

use rusqlite::{OptionalExtension, params};

use crate::bundle::{BundleError, PolicyBundle};
use crate::store::{Store, StoreError, now};

/// The tables (part of the state database's schema).
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accepted_bundle (
    one INTEGER PRIMARY KEY CHECK (one = 1),
    sequence INTEGER NOT NULL,
    revision TEXT NOT NULL,
    key_id TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS retired_keys (
    key_id TEXT PRIMARY KEY,
    at TEXT NOT NULL
);
";

fn state(error: StoreError) -> BundleError {
    BundleError::State(error.0)
}

/// The rules: a key not retired, a sequence number, no lower than the one accepted, and the
/// same number only with the same contents.
fn acceptable(
    conn: &rusqlite::Connection,
    bundle: &PolicyBundle,
    key_id: &str,
) -> Result<(), BundleError> {
    let retired: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM retired_keys WHERE key_id = ?1)",
            params![key_id],
            |row| row.get(0),
        )
        .map_err(|e| state(e.into()))?;
    if retired {
        return Err(BundleError::KeyRetired {
            key_id: key_id.to_string(),
        });
    }
    let sequence = bundle.sequence.ok_or(BundleError::Unsequenced)?;
    let accepted: Option<(i64, String)> = conn
        .query_row(
            "SELECT sequence, revision FROM accepted_bundle WHERE one = 1",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(|e| state(e.into()))?;
    if let Some((highest, revision)) = accepted {
        let highest = highest as u64;
        if sequence < highest {
            return Err(BundleError::Rollback { sequence, highest });
        }
        if sequence == highest && revision != bundle.manifest.revision {
            return Err(BundleError::SequenceReused { sequence });
        }
    }
    Ok(())
}

impl Store {
    /// The sequence number and revision of the last bundle accepted.
    pub fn accepted_bundle(&self) -> Result<Option<(u64, String)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT sequence, revision FROM accepted_bundle WHERE one = 1",
                [],
                |row| Ok((row.get::<_, i64>(0)? as u64, row.get(1)?)),
            )
            .optional()?)
    }

    /// Whether `bundle`, signed with `key_id`, may replace what was accepted before, without
    /// recording it: what a bundle pulled from the platform must pass before it is written.
    pub fn may_accept(&self, bundle: &PolicyBundle, key_id: &str) -> Result<(), BundleError> {
        acceptable(&self.conn, bundle, key_id)
    }

    /// Whether `bundle`, signed with `key_id`, may replace what was accepted before; if so,
    /// it is recorded as accepted (one transaction: two gateways on one database cannot both
    /// accept a lower one).
    pub fn accept_bundle(
        &mut self,
        bundle: &PolicyBundle,
        key_id: &str,
    ) -> Result<(), BundleError> {
        let tx = self.conn.transaction().map_err(|e| state(e.into()))?;
        acceptable(&tx, bundle, key_id)?;
        let sequence = bundle.sequence.ok_or(BundleError::Unsequenced)?;
        tx.execute(
            "INSERT INTO accepted_bundle (one, sequence, revision, key_id, at) VALUES (1, ?1, ?2, ?3, ?4)
             ON CONFLICT (one) DO UPDATE SET sequence = excluded.sequence, revision = excluded.revision,
                 key_id = excluded.key_id, at = excluded.at",
            params![sequence as i64, bundle.manifest.revision, key_id, now()],
        )
        .map_err(|e| state(e.into()))?;
        tx.commit().map_err(|e| state(e.into()))?;
        Ok(())
    }

    /// Retires a key: bundles it signed are refused from now on, even if it is still given
    /// with `--key`. Audited.
    pub fn retire_key(&self, key_id: &str) -> Result<bool, StoreError> {
        let changed = self.conn.execute(
            "INSERT OR IGNORE INTO retired_keys (key_id, at) VALUES (?1, ?2)",
            params![key_id, now()],
        )?;
        if changed > 0 {
            self.audit(
                "key-retired",
                None,
                &serde_json::json!({ "key_id": key_id }),
            )?;
        }
        Ok(changed > 0)
    }
}
