//! Create forms that act once. Each form carries a random key; the first request with it records
//! the key in the same transaction as what it creates, and a repeat (a double click, a form sent
//! again after a slow answer, the back button) is sent to what the first one made instead of
//! making it twice. Two requests racing with one key meet at the key's unique index: the second
//! waits for the first to commit, then finds its record.

use std::fmt;

use serde::{Deserialize, Deserializer};
use sqlx::PgConnection;

use axum::response::Response;
use tower_sessions::Session;

use super::{flash_and_redirect, FlashKind};
use crate::error::Result;

/// A create form's key. Forms get a fresh one when they are first shown and send it back; a
/// request without a well-formed key gets a fresh one too, so it is simply never a repeat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmissionKey(String);

const KEY_BYTES: usize = 16;

impl Default for SubmissionKey {
    fn default() -> Self {
        SubmissionKey(super::random_hex(KEY_BYTES))
    }
}

impl SubmissionKey {
    fn parse(raw: &str) -> Option<Self> {
        let well_formed = raw.len() == KEY_BYTES * 2
            && raw
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        well_formed.then(|| SubmissionKey(raw.to_string()))
    }
}

impl<'de> Deserialize<'de> for SubmissionKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Ok(SubmissionKey::parse(&raw).unwrap_or_default())
    }
}

impl fmt::Display for SubmissionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the first request with a key made, if this request is a repeat.
enum Claim {
    First,
    Repeat { target: String },
}

/// Claims `key` for `user` inside the transaction that will create the thing. `None`: this is
/// the first request, go on and create. A repeat is answered here: sent to what the first
/// request made, with a notice; the caller must create nothing then.
pub async fn answer_repeat(
    tx: &mut PgConnection,
    session: &Session,
    user: i64,
    key: &SubmissionKey,
) -> Result<Option<Response>> {
    match claim(tx, user, key).await? {
        Claim::First => Ok(None),
        Claim::Repeat { target } => {
            flash_and_redirect(session, FlashKind::Notice, ALREADY_DONE, &target)
                .await
                .map(Some)
        }
    }
}

async fn claim(tx: &mut PgConnection, user: i64, key: &SubmissionKey) -> Result<Claim> {
    let inserted = sqlx::query(
        "INSERT INTO submissions (user_id, key) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(user)
    .bind(&key.0)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::First);
    }
    let target: String =
        sqlx::query_scalar("SELECT target FROM submissions WHERE user_id = $1 AND key = $2")
            .bind(user)
            .bind(&key.0)
            .fetch_one(&mut *tx)
            .await?;
    Ok(Claim::Repeat { target })
}

/// Records where the first request sends its member, before its transaction commits.
pub async fn complete(
    tx: &mut PgConnection,
    user: i64,
    key: &SubmissionKey,
    target: &str,
) -> Result<()> {
    sqlx::query("UPDATE submissions SET target = $3 WHERE user_id = $1 AND key = $2")
        .bind(user)
        .bind(&key.0)
        .bind(target)
        .execute(tx)
        .await?;
    Ok(())
}

/// The feedback a repeat gets on the page it is sent to.
const ALREADY_DONE: &str = "That was already sent; this is what it made. Nothing was posted twice.";

/// Keys only need to outlive a double click or a resend; the server's housekeeping drops them
/// after a day.
pub async fn forget_old(db: &sqlx::PgPool) -> Result<u64> {
    let dropped =
        sqlx::query("DELETE FROM submissions WHERE created_at < now() - interval '1 day'")
            .execute(db)
            .await?;
    Ok(dropped.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_fresh_and_only_well_formed_ones_are_kept() {
        let (a, b) = (SubmissionKey::default(), SubmissionKey::default());
        assert_ne!(a, b);
        assert_eq!(SubmissionKey::parse(&a.to_string()), Some(a));
        for bad in ["", "abc", &"g".repeat(32), &"A".repeat(32), &"a".repeat(33)] {
            assert_eq!(SubmissionKey::parse(bad), None, "{bad:?}");
        }
    }
}
