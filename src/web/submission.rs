//! Create forms that act once. Each form carries a random key; the first request with it records
//! the key in the same transaction as what it creates, and a repeat (a double click, a form sent
//! again after a slow answer, the back button) is sent to what the first one made instead of
//! making it twice. Two requests racing with one key meet at the key's unique index: the second
//! waits for the first to commit, then finds its record (`claim_sql`), or fails there and is
//! answered as a repeat (`record_sql`, `is_repeat`).

use std::fmt;
use std::sync::LazyLock;

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
    pub fn as_str(&self) -> &str {
        &self.0
    }

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

/// Claims `key` for `user` inside the transaction that will create the thing. `None`: this is
/// the first request, go on and create. A repeat is answered here: sent to what the first
/// request made, with a notice; the caller must create nothing then.
pub async fn answer_repeat(
    tx: &mut PgConnection,
    session: &Session,
    user: i64,
    key: &SubmissionKey,
) -> Result<Option<Response>> {
    static CLAIM: LazyLock<String> = LazyLock::new(|| claim_sql("$1", "$2"));
    let claimed = sqlx::query(&CLAIM)
        .bind(user)
        .bind(key.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected()
        == 1;
    if claimed {
        return Ok(None);
    }
    answer_as_repeat(tx, session, user, key).await.map(Some)
}

/// The answer to a repeat: sent to what the first request made, with a notice.
pub async fn answer_as_repeat(
    db: &mut PgConnection,
    session: &Session,
    user: i64,
    key: &SubmissionKey,
) -> Result<Response> {
    let target: String =
        sqlx::query_scalar("SELECT target FROM submissions WHERE user_id = $1 AND key = $2")
            .bind(user)
            .bind(key.as_str())
            .fetch_one(db)
            .await?;
    flash_and_redirect(session, FlashKind::Notice, ALREADY_DONE, &target).await
}

/// The claim over SQL expressions for the member and the key: inserts one row the first time,
/// none for a repeat (a request racing with the first waits for it at the unique index).
pub fn claim_sql(user: &str, key: &str) -> String {
    format!("INSERT INTO submissions (user_id, key) VALUES ({user}, {key}) ON CONFLICT DO NOTHING")
}

/// For a page that creates the thing in one statement, which commits on its own: SQL that holds
/// while `key` was not sent before by `user` (as the statement's snapshot sees it), for the
/// creating step's condition and, negated, to tell a repeat from another reason nothing was made.
pub fn unsent_sql(user: &str, key: &str) -> String {
    format!("NOT EXISTS (SELECT FROM submissions s WHERE s.user_id = {user} AND s.key = {key})")
}

/// The key recorded with where it leads, in the statement that made `target` (nothing where it
/// is NULL). A request racing with the first got past `unsent_sql` too; here it waits for the
/// first to commit and then fails at the unique index, which rolls back all it made
/// (`is_repeat`).
pub fn record_sql(user: &str, key: &str, target: &str) -> String {
    format!(
        "INSERT INTO submissions (user_id, key, target)
         SELECT {user}, {key}, {target} WHERE {target} IS NOT NULL"
    )
}

/// Whether a statement failed because its key was recorded by another request first.
pub fn is_repeat(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(e) if e.constraint() == Some("submissions_pkey"))
}

/// Records where the first request sends its member, before its transaction commits.
pub async fn complete(
    tx: &mut PgConnection,
    user: i64,
    key: &SubmissionKey,
    target: &str,
) -> Result<()> {
    static STATEMENT: LazyLock<String> = LazyLock::new(|| complete_sql("$1", "$2", "$3"));
    sqlx::query(&STATEMENT)
        .bind(user)
        .bind(key.as_str())
        .bind(target)
        .execute(tx)
        .await?;
    Ok(())
}

/// `complete`'s statement over SQL expressions for the member, the key and the target, so a
/// page can run it in the statement that creates the thing. Where `target` is NULL (nothing was
/// made), nothing is recorded.
pub fn complete_sql(user: &str, key: &str, target: &str) -> String {
    format!(
        "UPDATE submissions SET target = {target}
          WHERE user_id = {user} AND key = {key} AND {target} IS NOT NULL"
    )
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
