//! Bearer tokens for the API: made by `ward gateway token create`, printed once, kept in the
//! state database as the SHA-256 of their secret. A token is `ward_<id>_<secret>`: the id
//! (8 random bytes, hex) finds the row and names the token in the audit log and `token
//! list`; the secret (32 random bytes, hex) is what is checked. A 256-bit random secret
//! needs no slow password hash: nothing can be guessed from its digest.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Role;
use crate::store::{Store, StoreError, now};

/// The tables of tokens (part of the state database's schema).
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS api_tokens (
    id TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    role TEXT NOT NULL,
    name TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);
";

/// A token as listed: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub id: String,
    pub role: Role,
    pub name: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// Why a presented token is refused (the API says only "unauthenticated"; the audit log and
/// tests see which).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRefusal {
    Malformed,
    Unknown,
    Revoked,
    Expired,
}

impl TokenRefusal {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenRefusal::Malformed => "malformed token",
            TokenRefusal::Unknown => "unknown token",
            TokenRefusal::Revoked => "revoked token",
            TokenRefusal::Expired => "expired token",
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn random_hex(bytes: usize) -> Result<String, StoreError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|e| StoreError(format!("no randomness: {e}")))?;
    Ok(hex(&buffer))
}

/// `ward_<16 hex>_<64 hex>`, split into id and secret.
fn split(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix("ward_")?;
    let (id, secret) = rest.split_once('_')?;
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id, 16) && hex(secret, 64)).then_some((id, secret))
}

impl Store {
    /// Makes a token; the returned text is the only copy of its secret.
    pub fn create_token(
        &self,
        role: Role,
        name: Option<&str>,
        expires_at: Option<String>,
    ) -> Result<(String, TokenInfo), StoreError> {
        let id = random_hex(8)?;
        let secret = random_hex(32)?;
        let info = TokenInfo {
            id: id.clone(),
            role,
            name: name.map(str::to_string),
            created_at: now(),
            expires_at,
            revoked_at: None,
        };
        let tx = self.conn.unchecked_transaction()?;
        tx.execute(
            "INSERT INTO api_tokens (id, secret_sha256, role, name, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, digest(&secret), role.as_str(), info.name, info.created_at, info.expires_at],
        )?;
        // The same connection: the audit entry commits with the token, or neither does.
        self.audit(
            "token-created",
            None,
            &serde_json::json!({ "token": id, "role": role, "name": info.name, "expires_at": info.expires_at }),
        )?;
        tx.commit()?;
        Ok((format!("ward_{id}_{secret}"), info))
    }

    pub fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let mut statement = self.conn.prepare_cached(
            "SELECT id, role, name, created_at, expires_at, revoked_at FROM api_tokens ORDER BY created_at, id",
        )?;
        let rows = statement.query_map([], |row| {
            let role: String = row.get(1)?;
            Ok(TokenInfo {
                id: row.get(0)?,
                // Only ward writes the column; an unknown word reads as the least right.
                role: Role::parse(&role).unwrap_or(Role::Auditor),
                name: row.get(2)?,
                created_at: row.get(3)?,
                expires_at: row.get(4)?,
                revoked_at: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Revokes a token; false when there is no such token or it was revoked already.
    pub fn revoke_token(&self, id: &str) -> Result<bool, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let changed = tx.execute(
            "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![id, now()],
        )?;
        if changed > 0 {
            self.audit("token-revoked", None, &serde_json::json!({ "token": id }))?;
        }
        tx.commit()?;
        Ok(changed > 0)
    }

    /// The token's id and role, or why it is refused. `at` is the time to judge expiry by
    /// (RFC 3339, as `now()` writes it).
    pub fn verify_token(
        &self,
        token: &str,
        at: &str,
    ) -> Result<Result<(String, Role), TokenRefusal>, StoreError> {
        let Some((id, secret)) = split(token) else {
            return Ok(Err(TokenRefusal::Malformed));
        };
        let row: Option<(String, String, Option<String>, Option<String>)> = self
            .conn
            .prepare_cached(
                "SELECT secret_sha256, role, expires_at, revoked_at FROM api_tokens WHERE id = ?1",
            )?
            .query_row(params![id], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })
            .optional()?;
        let Some((stored, role, expires_at, revoked_at)) = row else {
            return Ok(Err(TokenRefusal::Unknown));
        };
        if !bool::from(digest(secret).as_bytes().ct_eq(stored.as_bytes())) {
            return Ok(Err(TokenRefusal::Unknown));
        }
        if revoked_at.is_some() {
            return Ok(Err(TokenRefusal::Revoked));
        }
        if expires_at.is_some_and(|expiry| expiry.as_str() <= at) {
            return Ok(Err(TokenRefusal::Expired));
        }
        match Role::parse(&role) {
            Some(role) => Ok(Ok((id.to_string(), role))),
            None => Ok(Err(TokenRefusal::Unknown)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_until_it_is_revoked_or_expires() {
        let store = Store::in_memory().expect("store");
        let (token, info) = store
            .create_token(Role::Auditor, Some("ci"), None)
            .expect("token");
        let at = now();
        assert_eq!(
            store.verify_token(&token, &at).expect("verify"),
            Ok((info.id.clone(), Role::Auditor))
        );
        // One changed character of the secret, a made-up id, junk.
        let mut wrong = token.clone();
        let last = if wrong.ends_with('0') { "1" } else { "0" };
        wrong.replace_range(wrong.len() - 1.., last);
        assert_eq!(
            store.verify_token(&wrong, &at).expect("verify"),
            Err(TokenRefusal::Unknown)
        );
        let unknown = format!("ward_{}_{}", "0".repeat(16), "0".repeat(64));
        assert_eq!(
            store.verify_token(&unknown, &at).expect("verify"),
            Err(TokenRefusal::Unknown)
        );
        for junk in ["", "ward_", "Bearer x", &token[..token.len() - 1]] {
            assert_eq!(
                store.verify_token(junk, &at).expect("verify"),
                Err(TokenRefusal::Malformed),
                "{junk}"
            );
        }
        // Nothing of the secret is stored or listed.
        let secret = token.rsplit('_').next().expect("secret");
        let listed = serde_json::to_string(&store.tokens().expect("list")).expect("json");
        assert!(!listed.contains(secret));
        assert!(store.revoke_token(&info.id).expect("revoke"));
        assert!(!store.revoke_token(&info.id).expect("again"));
        assert_eq!(
            store.verify_token(&token, &at).expect("verify"),
            Err(TokenRefusal::Revoked)
        );

        let (token, _) = store
            .create_token(
                Role::Operator,
                None,
                Some("2026-01-01T00:00:00.000Z".into()),
            )
            .expect("token");
        assert_eq!(
            store
                .verify_token(&token, "2025-12-31T23:59:59.999Z")
                .expect("verify")
                .map(|(_, role)| role),
            Ok(Role::Operator)
        );
        assert_eq!(
            store
                .verify_token(&token, "2026-01-01T00:00:00.000Z")
                .expect("verify"),
            Err(TokenRefusal::Expired)
        );
    }
}
