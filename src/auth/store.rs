//! Where sessions are kept: a row of `tower_sessions.session` each, the record in MessagePack as
//! tower-sessions' own PostgreSQL store wrote it, and beside it the account the session is
//! signed in as (migration 58). Loading a session checks that account in the same statement
//! (`queries::ACCOUNT_CHECK_SQL`), so a member's request takes one statement, one connection
//! and, where a page waited for the account before reading, one round trip fewer than loading
//! the session and then checking the account (`docs/performance.md`, twenty-third session).
//!
//! The check travels with the loaded record, under `CHECKED_ACCOUNT`, to `session::confirm`;
//! it is taken out of every record written and put in afresh by every load, so a stored session
//! can never carry one.

use std::sync::LazyLock;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::PgPool;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use super::queries::ACCOUNT_CHECK_SQL;
use super::session::Claim;
use crate::web::CurrentUser;

/// Where a loaded record carries the check of its account, for this request only.
const CHECKED_ACCOUNT: &str = "_checked_account";

/// A new session's row, unless its id is taken.
const CREATE: &str = "INSERT INTO tower_sessions.session (id, data, expiry_date, user_id, epoch)
                      VALUES ($1, $2, $3, $4, $5)
                      ON CONFLICT (id) DO NOTHING";
/// A session's row, written over.
const SAVE: &str = "INSERT INTO tower_sessions.session (id, data, expiry_date, user_id, epoch)
                    VALUES ($1, $2, $3, $4, $5)
                    ON CONFLICT (id) DO UPDATE SET data = excluded.data,
                        expiry_date = excluded.expiry_date,
                        user_id = excluded.user_id, epoch = excluded.epoch";

/// The sessions' rows, on the primary.
#[derive(Clone, Debug)]
pub struct SessionRows {
    db: PgPool,
}

/// What loading a session found of the account it claims.
#[derive(Serialize, Deserialize)]
struct CheckedAccount {
    user_id: i64,
    epoch: i32,
    /// `None`: suspended, removed, or its password changed since the session signed in.
    account: Option<CurrentUser>,
}

#[derive(sqlx::FromRow)]
struct Loaded {
    data: Vec<u8>,
    user_id: Option<i64>,
    epoch: Option<i32>,
    account: Option<Json<CurrentUser>>,
}

impl SessionRows {
    pub fn new(db: PgPool) -> SessionRows {
        SessionRows { db }
    }

    /// Writes `record` (over the row with its id if `replace`); whether a row was written.
    async fn write(&self, record: &Record, replace: bool) -> session_store::Result<bool> {
        let mut kept = record.clone();
        kept.data.remove(CHECKED_ACCOUNT);
        let claim = Claim::of(&kept.data);
        let data =
            rmp_serde::to_vec(&kept).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let statement = if replace { SAVE } else { CREATE };
        let written = sqlx::query(statement)
            .bind(record.id.to_string())
            .bind(data)
            .bind(record.expiry_date)
            .bind(claim.map(|c| c.user_id))
            .bind(claim.map(|c| c.epoch))
            .execute(&self.db)
            .await
            .map_err(backend)?;
        Ok(written.rows_affected() == 1)
    }
}

/// What `session::confirm` needs to know of the account `claim` names, if loading this session
/// checked it: `Some(None)` when it may no longer be used.
pub(super) async fn checked_on_load(
    session: &tower_sessions::Session,
    claim: Claim,
) -> Result<Option<Option<CurrentUser>>, tower_sessions::session::Error> {
    let checked = session.get::<CheckedAccount>(CHECKED_ACCOUNT).await?;
    Ok(checked
        .filter(|c| c.user_id == claim.user_id && c.epoch == claim.epoch)
        .map(|c| c.account))
}

/// A session signed in again no longer carries the check made for the one it was.
pub(super) async fn forget_check(
    session: &tower_sessions::Session,
) -> Result<(), tower_sessions::session::Error> {
    session.remove_value(CHECKED_ACCOUNT).await?;
    Ok(())
}

fn backend(err: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(err.to_string())
}

#[async_trait]
impl SessionStore for SessionRows {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        while !self.write(record, false).await? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(record, true).await.map(|_| ())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        static STATEMENT: LazyLock<String> = LazyLock::new(|| {
            format!(
                "WITH claim AS (
                      SELECT data, user_id, epoch FROM tower_sessions.session
                       WHERE id = $1 AND expiry_date > now()),
                      {ACCOUNT_CHECK_SQL}
                 SELECT data, user_id, epoch,
                        (SELECT to_json(checked) FROM checked) AS account
                   FROM claim"
            )
        });
        let loaded: Option<Loaded> = sqlx::query_as(&STATEMENT)
            .bind(id.to_string())
            .fetch_optional(&self.db)
            .await
            .map_err(backend)?;
        let Some(loaded) = loaded else {
            return Ok(None);
        };
        let mut record: Record = rmp_serde::from_slice(&loaded.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        record.data.remove(CHECKED_ACCOUNT);
        if let (Some(user_id), Some(epoch)) = (loaded.user_id, loaded.epoch) {
            let checked = CheckedAccount {
                user_id,
                epoch,
                account: loaded.account.map(|a| a.0),
            };
            let value = serde_json::to_value(checked)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?;
            record.data.insert(CHECKED_ACCOUNT.into(), value);
        }
        Ok(Some(record))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM tower_sessions.session WHERE id = $1")
            .bind(id.to_string())
            .execute(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
