//! Incidents and the report outbox in the state database.
//!
//! An incident is stored, with the reports it owes to the manufacturer and the platform, in
//! one transaction before anything else happens to it (the JSON-lines file, the log, the
//! message's acknowledgement on TCP): what was acknowledged is never lost. Reports leave from
//! the outbox and stay there, retried with back-off, until their endpoint takes them.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::{Value, json};

use super::engine::Incident;
use crate::messages::IncidentRecord;
use crate::store::{Store, StoreError, now};

/// An incident as stored and reported.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StoredIncident {
    pub id: String,
    pub at: String,
    /// The onboarded thing the messages came from, when known.
    pub device: Option<String>,
    /// Where the messages came from (address, or `file` for scans).
    pub source: String,
    /// How the messages were tied to `device`: `certificate`, `address` or `host-name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<super::attribution::Evidence>,
    /// Actions of the rule not taken: the evidence is weaker than the thing's profile
    /// requires (a claimed host name never acts).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<String>,
    pub bundle_revision: String,
    #[serde(flatten)]
    pub incident: Incident,
}

/// A report waiting in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub seq: i64,
    pub url: String,
    pub body: String,
    pub attempts: i64,
}

/// Where one report goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// `manufacturer` or `platform`.
    pub receiver: String,
    pub service: String,
    pub url: String,
}

/// The wait before the next attempt after `attempts` failures: 1 s doubling, at most 10 min.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exponent = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    1000i64.saturating_mul(1i64 << exponent).min(600_000)
}

/// A unique incident id: the time, then random bits (two incidents in one millisecond differ).
pub fn incident_id(now_ms: i64) -> String {
    let mut random = [0u8; 6];
    let _ = getrandom::fill(&mut random);
    let tail: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("inc-{now_ms:013}-{tail}")
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Reports waiting for one service at most.
pub const MAX_PENDING_REPORTS: i64 = 10_000;

impl Store {
    /// Stores an incident and the reports it owes, in one transaction; how many reports were
    /// not queued because their service already has `MAX_PENDING_REPORTS` waiting.
    pub fn add_incident(
        &mut self,
        incident: &StoredIncident,
        recipients: &[Recipient],
    ) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        let i = &incident.incident;
        // Pending until its actions with effect on the thing are applied (pava/actions.rs).
        let pending = incident.device.is_some()
            && i.actions.iter().any(|a| {
                super::attribution::EFFECTS.contains(&a.action.as_str())
                    && !incident.withheld.contains(&a.action)
            });
        let detail = json!({
            "title": i.title,
            "captures": i.captures,
            "messages": i.messages,
            "actions": i.actions,
            "origin": i.origin,
            "evidence": incident.evidence,
            "withheld": incident.withheld,
        });
        tx.execute(
            "INSERT INTO incidents (id, at, rule, threat, severity, device, source, group_key, count, first_ms, last_ms, bundle_revision, detail, applied)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                incident.id,
                incident.at,
                i.rule,
                i.threat,
                i.severity,
                incident.device,
                incident.source,
                i.group,
                i64::try_from(i.count).unwrap_or(i64::MAX),
                i.first_ms,
                i.last_ms,
                incident.bundle_revision,
                detail.to_string(),
                !pending,
            ],
        )?;
        let body = serde_json::to_string(incident).map_err(|e| StoreError(e.to_string()))?;
        let mut refused = 0;
        for recipient in recipients {
            // A receiver that does not take its reports gets no more than its share waiting:
            // the outbox, and the disk, stay bounded.
            let waiting: i64 = tx.query_row(
                "SELECT count(*) FROM outbox WHERE service = ?1 AND delivered_at IS NULL",
                params![recipient.service],
                |row| row.get(0),
            )?;
            if waiting >= MAX_PENDING_REPORTS {
                refused += 1;
                continue;
            }
            tx.execute(
                "INSERT INTO outbox (incident, receiver, service, url, body, next_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, 0)",
                params![incident.id, recipient.receiver, recipient.service, recipient.url, body],
            )?;
        }
        tx.commit()?;
        Ok(refused)
    }

    /// Incidents after `after` (an id, in id order, which is time order), at most `limit`.
    pub fn incidents(&self, after: &str, limit: i64) -> Result<Vec<IncidentRecord>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT id, at, rule, threat, severity, device, source, group_key, count, first_ms, last_ms, bundle_revision, detail
             FROM incidents WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = statement.query_map(params![after, limit], |row| {
            let detail: String = row.get(12)?;
            Ok(IncidentRecord {
                id: row.get(0)?,
                at: row.get(1)?,
                rule: row.get(2)?,
                threat: row.get(3)?,
                severity: row.get(4)?,
                device: row.get(5)?,
                source: row.get(6)?,
                group: row.get(7)?,
                count: row.get(8)?,
                first_ms: row.get(9)?,
                last_ms: row.get(10)?,
                bundle_revision: row.get(11)?,
                detail: serde_json::from_str::<Value>(&detail).unwrap_or(Value::Null),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds firings to an open incident: its count, last time and last messages (ten at
    /// most). Its reports and actions were sent and applied when it opened.
    pub fn update_incident(
        &mut self,
        id: &str,
        count: usize,
        last_ms: i64,
        messages: &[String],
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let detail: Option<String> = tx
            .query_row(
                "SELECT detail FROM incidents WHERE id = ?1",
                params![id],
                |row| row.get(0),
            )
            .optional()?;
        let Some(detail) = detail else {
            return Ok(());
        };
        let mut detail: Value = serde_json::from_str(&detail).unwrap_or(Value::Null);
        if let Some(kept) = detail.get_mut("messages").and_then(Value::as_array_mut) {
            kept.extend(messages.iter().map(|m| Value::String(m.clone())));
            let excess = kept.len().saturating_sub(10);
            kept.drain(..excess);
        }
        tx.execute(
            "UPDATE incidents SET count = count + ?2, last_ms = max(last_ms, ?3), detail = ?4 WHERE id = ?1",
            params![
                id,
                i64::try_from(count).unwrap_or(i64::MAX),
                last_ms,
                detail.to_string()
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Keeps at most `max_count` incidents, none stored before `cutoff` (RFC 3339), oldest
    /// first; an incident with reports not yet delivered, or actions not yet applied, stays.
    /// The number removed.
    pub fn prune_incidents(&mut self, max_count: i64, cutoff: &str) -> Result<usize, StoreError> {
        let tx = self.conn.transaction()?;
        tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS prune (id TEXT PRIMARY KEY); DELETE FROM prune;",
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO prune (id)
             SELECT id FROM incidents WHERE at < ?2
             UNION
             SELECT id FROM (SELECT id FROM incidents ORDER BY id
                 LIMIT max(0, (SELECT count(*) FROM incidents) - ?1))",
            params![max_count, cutoff],
        )?;
        tx.execute(
            "DELETE FROM prune WHERE id IN (SELECT id FROM incidents WHERE applied = 0)
                OR id IN (SELECT incident FROM outbox WHERE delivered_at IS NULL)",
            [],
        )?;
        tx.execute(
            "DELETE FROM outbox WHERE incident IN (SELECT id FROM prune)",
            [],
        )?;
        let removed = tx.execute(
            "DELETE FROM incidents WHERE id IN (SELECT id FROM prune)",
            [],
        )?;
        tx.commit()?;
        Ok(removed)
    }

    pub fn count_incidents(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM incidents", [], |row| row.get(0))?)
    }

    /// Reports due now, oldest first.
    pub fn reports_due(&self, now_ms: i64, limit: i64) -> Result<Vec<Report>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT seq, url, body, attempts FROM outbox
             WHERE delivered_at IS NULL AND next_at_ms <= ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = statement.query_map(params![now_ms, limit], |row| {
            Ok(Report {
                seq: row.get(0)?,
                url: row.get(1)?,
                body: row.get(2)?,
                attempts: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks the reports of a delivered batch, in one transaction.
    pub fn reports_delivered(&mut self, seqs: &[i64]) -> Result<(), StoreError> {
        let at = now();
        let tx = self.conn.transaction()?;
        {
            let mut update = tx.prepare_cached(
                "UPDATE outbox SET delivered_at = ?2, attempts = attempts + 1, last_error = NULL WHERE seq = ?1",
            )?;
            for seq in seqs {
                update.execute(params![seq, at])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Puts the reports of a failed batch back, each after its own back-off.
    pub fn reports_failed(
        &mut self,
        seqs: &[i64],
        error: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        {
            let mut attempts_of =
                tx.prepare_cached("SELECT attempts FROM outbox WHERE seq = ?1")?;
            let mut update = tx.prepare_cached(
                "UPDATE outbox SET attempts = ?2, next_at_ms = ?3, last_error = ?4 WHERE seq = ?1",
            )?;
            for seq in seqs {
                let attempts: i64 = attempts_of
                    .query_row(params![seq], |row| row.get(0))
                    .optional()?
                    .unwrap_or(0);
                update.execute(params![
                    seq,
                    attempts + 1,
                    now_ms + backoff_ms(attempts),
                    error
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// (pending, delivered) reports.
    pub fn outbox_counts(&self) -> Result<(i64, i64), StoreError> {
        Ok(self.conn.query_row(
            "SELECT count(*) FILTER (WHERE delivered_at IS NULL), count(*) FILTER (WHERE delivered_at IS NOT NULL) FROM outbox",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?)
    }

    /// Applies a pending incident's effects and marks it applied, in one transaction: none
    /// of it, or all of it, each action audited once. `None` when it was applied already.
    pub fn apply_incident(
        &mut self,
        incident: &str,
        device: &str,
        effects: &[super::actions::Effect],
    ) -> Result<Option<super::actions::Applied>, StoreError> {
        use super::actions::{Applied, Effect};
        let tx = self.conn.transaction()?;
        let pending: bool = tx
            .query_row(
                "SELECT applied = 0 FROM incidents WHERE id = ?1",
                params![incident],
                |row| row.get(0),
            )
            .optional()?
            .unwrap_or(false);
        if !pending {
            return Ok(None);
        }
        let mut applied = Applied::default();
        for effect in effects {
            match effect {
                Effect::Quarantine { class } => {
                    let detail = json!({ "incident": incident });
                    if move_in(&tx, device, class, &detail)? {
                        applied.moved_to = Some(class.clone());
                    }
                }
                Effect::Raise { profile } => {
                    let detail = json!({ "incident": incident, "profile": profile });
                    raise_in(&tx, device, profile, &detail)?;
                    applied.raised = Some(profile.clone());
                }
                Effect::Revoke => {
                    revoke_in(&tx, device, &json!({ "incident": incident }))?;
                    applied.revoked = true;
                }
            }
        }
        tx.execute(
            "UPDATE incidents SET applied = 1 WHERE id = ?1",
            params![incident],
        )?;
        tx.commit()?;
        Ok(Some(applied))
    }

    /// Incidents stored whose actions were not applied (a crash came between): (id, thing,
    /// detail).
    pub fn pending_incidents(&self) -> Result<Vec<(String, String, Value)>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT id, device, detail FROM incidents WHERE applied = 0 AND device IS NOT NULL ORDER BY id",
        )?;
        let rows = statement.query_map([], |row| {
            let detail: String = row.get(2)?;
            Ok((
                row.get(0)?,
                row.get(1)?,
                serde_json::from_str(&detail).unwrap_or(Value::Null),
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Moves a thing to another class (quarantine), with its audit entry, in one transaction.
    pub fn move_device(
        &mut self,
        id: &str,
        class: &str,
        detail: &Value,
    ) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let changed = move_in(&tx, id, class, detail)?;
        tx.commit()?;
        Ok(changed)
    }
}

/// Moves a thing to the quarantine place within `tx`, holding its id and address.
fn move_in(
    tx: &rusqlite::Connection,
    id: &str,
    class: &str,
    detail: &Value,
) -> Result<bool, StoreError> {
    let changed = tx.execute(
        "UPDATE devices SET class = ?2, quarantined = 1 WHERE id = ?1 AND class != ?2",
        params![id, class],
    )?;
    if changed > 0 {
        // The verdict stays with the thing's id and address, whatever becomes of it.
        let address: String = tx.query_row(
            "SELECT address FROM devices WHERE id = ?1",
            params![id],
            |row| row.get(0),
        )?;
        crate::holds::hold(tx, id, &address, "quarantined")?;
        tx.execute(
            "INSERT INTO audit (at, event, device, detail) VALUES (?1, 'quarantined', ?2, ?3)",
            params![now(), id, detail.to_string()],
        )?;
    }
    Ok(changed > 0)
}

impl Store {
    /// Marks a thing's credentials revoked (the TLS listener then refuses them), audited.
    pub fn revoke_device(&mut self, id: &str, detail: &Value) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        revoke_in(&tx, id, detail)?;
        tx.commit()?;
        Ok(())
    }

    /// Raises a thing's profile above its class's, audited.
    pub fn raise_profile(
        &mut self,
        id: &str,
        profile: &str,
        detail: &Value,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        raise_in(&tx, id, profile, detail)?;
        tx.commit()?;
        Ok(())
    }
}

/// Revokes a thing's credentials within `tx`, holding its id and address.
fn revoke_in(tx: &rusqlite::Connection, id: &str, detail: &Value) -> Result<(), StoreError> {
    tx.execute("UPDATE devices SET revoked = 1 WHERE id = ?1", params![id])?;
    let address: Option<String> = tx
        .query_row(
            "SELECT address FROM devices WHERE id = ?1",
            params![id],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(address) = address {
        crate::holds::hold(tx, id, &address, "credentials-revoked")?;
    }
    tx.execute(
        "INSERT INTO audit (at, event, device, detail) VALUES (?1, 'credentials-revoked', ?2, ?3)",
        params![now(), id, detail.to_string()],
    )?;
    Ok(())
}

/// Raises a thing's profile within `tx`, audited.
fn raise_in(
    tx: &rusqlite::Connection,
    id: &str,
    profile: &str,
    detail: &Value,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE devices SET raised_profile = ?2 WHERE id = ?1",
        params![id, profile],
    )?;
    tx.execute(
        "INSERT INTO audit (at, event, device, detail) VALUES (?1, 'profile-raised', ?2, ?3)",
        params![now(), id, detail.to_string()],
    )?;
    Ok(())
}

impl Store {
    pub fn is_revoked(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM devices WHERE id = ?1 AND revoked != 0)
                     OR EXISTS (SELECT 1 FROM revoked_ids WHERE id = ?1)",
            params![id],
            |row| row.get::<_, bool>(0),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn a_service_gets_no_more_than_its_share_of_waiting_reports() {
        let mut store = Store::in_memory().expect("store");
        let to = Recipient {
            receiver: "manufacturer".into(),
            service: "vendor".into(),
            url: "http://127.0.0.1:9/r".into(),
        };
        for n in 0..MAX_PENDING_REPORTS {
            let refused = store
                .add_incident(&incident(&format!("inc-{n:06}")), std::slice::from_ref(&to))
                .expect("stored");
            assert_eq!(refused, 0);
        }
        let refused = store
            .add_incident(&incident("inc-999999"), std::slice::from_ref(&to))
            .expect("stored");
        assert_eq!(refused, 1);
        assert_eq!(
            store.outbox_counts().expect("counts").0,
            MAX_PENDING_REPORTS
        );
        // The incident itself is kept.
        assert_eq!(
            store.count_incidents().expect("count"),
            MAX_PENDING_REPORTS + 1
        );
    }

    #[test]
    fn incidents_are_kept_within_count_and_age() {
        let mut store = Store::in_memory().expect("store");
        for n in 0..120 {
            store
                .add_incident(&incident(&format!("inc-{n:04}")), &[])
                .expect("stored");
        }
        // Delivered reports go with their incident; an undelivered one keeps it.
        let to = Recipient {
            receiver: "manufacturer".into(),
            service: "vendor".into(),
            url: "http://127.0.0.1:9/r".into(),
        };
        store
            .add_incident(&incident("inc-0000x"), &[to])
            .expect("stored");
        let removed = store
            .prune_incidents(100, "1970-01-01T00:00:00.000Z")
            .expect("pruned");
        assert_eq!(removed, 20);
        assert_eq!(store.count_incidents().expect("count"), 101);
        assert!(store.incidents("", 1).expect("list")[0].id == "inc-0000x");
        // By age: everything stored before the cutoff, but the one still owed a report.
        let removed = store
            .prune_incidents(1_000_000, "9999-01-01T00:00:00.000Z")
            .expect("pruned");
        assert_eq!(removed, 100);
        assert_eq!(store.count_incidents().expect("count"), 1);
    }

    fn incident(id: &str) -> StoredIncident {
        StoredIncident {
            id: id.into(),
            at: now(),
            device: Some("cam-1".into()),
            source: "192.168.2.11".into(),
            evidence: Some(super::super::attribution::Evidence::Address),
            withheld: Vec::new(),
            bundle_revision: "r".into(),
            incident: Incident {
                rule: "ssh_bruteforce".into(),
                title: "t".into(),
                threat: "T9".into(),
                severity: "high".into(),
                group: "src=203.0.113.7".into(),
                count: 5,
                first_ms: 1,
                last_ms: 2,
                captures: BTreeMap::new(),
                messages: vec!["m".into()],
                actions: Vec::new(),
                origin: "o".into(),
            },
        }
    }

    #[test]
    fn incidents_and_their_reports_are_kept_until_delivered() {
        let mut store = Store::in_memory().expect("store");
        let to = Recipient {
            receiver: "manufacturer".into(),
            service: "vendor".into(),
            url: "http://127.0.0.1:9/x".into(),
        };
        store
            .add_incident(&incident("inc-1"), std::slice::from_ref(&to))
            .expect("stored");
        assert_eq!(store.count_incidents().expect("count"), 1);
        assert_eq!(
            store.incidents("", 10).expect("list")[0].group,
            "src=203.0.113.7"
        );
        let due = store.reports_due(now_ms(), 10).expect("due");
        assert_eq!(due.len(), 1);
        store
            .reports_failed(&[due[0].seq], "refused", 1_000)
            .expect("failed");
        assert!(
            store.reports_due(1_500, 10).expect("due").is_empty(),
            "backing off"
        );
        assert_eq!(store.reports_due(2_000, 10).expect("due").len(), 1);
        store.reports_delivered(&[due[0].seq]).expect("delivered");
        assert!(store.reports_due(i64::MAX, 10).expect("due").is_empty());
        assert_eq!(store.outbox_counts().expect("counts"), (0, 1));
    }

    #[test]
    fn back_off_doubles_and_is_capped() {
        assert_eq!(backoff_ms(0), 1000);
        assert_eq!(backoff_ms(3), 8000);
        assert_eq!(backoff_ms(40), 600_000);
        assert_ne!(incident_id(5), incident_id(5));
    }

    #[test]
    fn removing_a_thing_keeps_its_incidents_and_its_revocation() {
        let mut store = Store::in_memory().expect("store");
        let device = crate::store::tests::device;
        store
            .add_device(&device("cam-1", "10.0.0.1"), &json!({}))
            .expect("added");
        store.add_incident(&incident("inc-1"), &[]).expect("stored");
        store
            .revoke_device("cam-1", &json!({ "incident": "inc-1" }))
            .expect("revoked");
        let (removed, seq) = store
            .remove_device("cam-1", &json!({ "reason": "replaced" }))
            .expect("removal")
            .expect("it was there");
        assert_eq!(removed.address, "10.0.0.1");
        assert!(store.device("cam-1").expect("read").is_none());
        assert_eq!(store.count_incidents().expect("count"), 1);
        let entry = store
            .audit_log(seq - 1, 1)
            .expect("audit")
            .pop()
            .expect("the removal's entry");
        assert_eq!(
            (
                entry.event.as_str(),
                &entry.detail["reason"],
                &entry.detail["class"]
            ),
            ("removed", &json!("replaced"), &json!("plugs"))
        );
        // Its id and address are free; its revoked credentials stay refused.
        store
            .add_device(&device("cam-1", "10.0.0.1"), &json!({}))
            .expect("onboarded again");
        assert!(store.is_revoked("cam-1").expect("read"));
        assert!(
            store
                .remove_device("nobody", &json!({}))
                .expect("ok")
                .is_none()
        );
    }

    #[test]
    fn a_version_1_database_is_migrated_with_its_things() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("old.sqlite");
        {
            let conn = rusqlite::Connection::open(&path).expect("open");
            conn.execute_batch(
                "CREATE TABLE devices (id TEXT PRIMARY KEY, class TEXT NOT NULL, address TEXT NOT NULL UNIQUE,
                 mud_url TEXT NOT NULL, profile TEXT NOT NULL, level INTEGER NOT NULL, quarantined INTEGER NOT NULL,
                 onboarded_at TEXT NOT NULL, bundle_revision TEXT NOT NULL, onboarding TEXT NOT NULL);
                 CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, event TEXT NOT NULL,
                 device TEXT, detail TEXT NOT NULL);
                 INSERT INTO devices VALUES ('old', 'plugs', '10.0.0.1', 'https://x.example/p', 'SecProf_2', 2, 0, 't', 'r', '{}');
                 PRAGMA user_version = 1;",
            )
            .expect("version 1");
        }
        let store = Store::open(&path).expect("migrates");
        assert_eq!(store.devices().expect("devices").len(), 1);
        assert!(!store.is_revoked("old").expect("column added"));
        assert_eq!(store.count_incidents().expect("table added"), 0);
    }
}
