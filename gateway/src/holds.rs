//! Holds on a thing's identity: a thing PAVA quarantined or whose credentials it revoked
//! keeps that verdict on its id and its address, whatever happens to its inventory entry.
//! Removing it and onboarding it again under the same id or from the same address is
//! refused (`identity-held`) until an operator releases the hold, which is audited.
//! Without holds, delete and re-onboard would undo any quarantine.

use rusqlite::params;
use serde::Serialize;
use serde_json::{Value, json};

use crate::store::{Store, StoreError, now};

/// The table (part of the state database's schema).
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS holds (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    reason TEXT NOT NULL,
    device TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (kind, value)
);
";

/// A hold in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hold {
    /// `id` or `address`.
    pub kind: String,
    pub value: String,
    /// `quarantined` or `credentials-revoked`.
    pub reason: String,
    /// The thing it was placed on.
    pub device: String,
    pub at: String,
}

/// Holds the id and the address of a thing, on the connection or transaction given (so that
/// the hold commits with the verdict it keeps).
pub(crate) fn hold(
    conn: &rusqlite::Connection,
    device: &str,
    address: &str,
    reason: &str,
) -> Result<(), StoreError> {
    for (kind, value) in [("id", device), ("address", address)] {
        conn.execute(
                "INSERT INTO holds (kind, value, reason, device, at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (kind, value) DO UPDATE SET reason = excluded.reason, at = excluded.at",
            params![kind, value, reason, device, now()],
        )?;
    }
    Ok(())
}

impl Store {
    /// The holds on an id or an address.
    pub fn holds_on(&self, id: &str, address: &str) -> Result<Vec<Hold>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT kind, value, reason, device, at FROM holds
             WHERE (kind = 'id' AND value = ?1) OR (kind = 'address' AND value = ?2)
             ORDER BY kind DESC",
        )?;
        let rows = statement.query_map(params![id, address], hold_of)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn holds(&self) -> Result<Vec<Hold>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT kind, value, reason, device, at FROM holds ORDER BY at, kind, value",
        )?;
        let rows = statement.query_map([], hold_of)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Releases the holds on an id and/or an address, audited with who and why; a released
    /// id's revoked credentials are forgotten too (the operator has issued new ones). The
    /// holds released.
    pub fn release(
        &mut self,
        id: Option<&str>,
        address: Option<&str>,
        detail: &Value,
    ) -> Result<Vec<Hold>, StoreError> {
        let tx = self.conn.transaction()?;
        let mut released = Vec::new();
        for (kind, value) in [("id", id), ("address", address)] {
            let Some(value) = value else { continue };
            let found: Vec<Hold> = tx
                .prepare_cached(
                    "SELECT kind, value, reason, device, at FROM holds WHERE kind = ?1 AND value = ?2",
                )?
                .query_map(params![kind, value], hold_of)?
                .collect::<Result<_, _>>()?;
            tx.execute(
                "DELETE FROM holds WHERE kind = ?1 AND value = ?2",
                params![kind, value],
            )?;
            if kind == "id" && !found.is_empty() {
                tx.execute("DELETE FROM revoked_ids WHERE id = ?1", params![value])?;
            }
            released.extend(found);
        }
        if !released.is_empty() {
            let mut recorded = json!({ "released": released });
            if let (Some(object), Some(extra)) = (recorded.as_object_mut(), detail.as_object()) {
                object.extend(extra.clone());
            }
            tx.execute(
                "INSERT INTO audit (at, event, device, detail) VALUES (?1, 'hold-released', ?2, ?3)",
                params![now(), id, recorded.to_string()],
            )?;
        }
        tx.commit()?;
        Ok(released)
    }
}

fn hold_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Hold> {
    Ok(Hold {
        kind: row.get(0)?,
        value: row.get(1)?,
        reason: row.get(2)?,
        device: row.get(3)?,
        at: row.get(4)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hold_outlives_its_thing_until_released() {
        let mut store = Store::in_memory().expect("store");
        hold(&store.conn, "cam-1", "10.0.2.7", "quarantined").expect("hold");
        assert_eq!(store.holds_on("cam-1", "10.0.9.9").expect("holds").len(), 1);
        assert_eq!(store.holds_on("other", "10.0.2.7").expect("holds").len(), 1);
        assert!(
            store
                .holds_on("other", "10.0.9.9")
                .expect("holds")
                .is_empty()
        );
        let released = store
            .release(Some("cam-1"), None, &json!({ "by": "token:t" }))
            .expect("release");
        assert_eq!(released.len(), 1);
        // The address stays held until it is released too.
        assert_eq!(store.holds_on("cam-1", "10.0.2.7").expect("holds").len(), 1);
        store
            .release(None, Some("10.0.2.7"), &json!({}))
            .expect("release");
        assert!(store.holds().expect("holds").is_empty());
        let audit = store.audit_log(0, 100).expect("audit");
        assert!(audit.iter().any(|e| e.event == "hold-released"));
    }
}
