//! SQL for accounts.

use std::sync::LazyLock;

use sqlx::{PgConnection, PgPool};

use crate::web::CurrentUser;

/// The checks that make a session's claim an account, as SQL: two CTEs, `checked` (the account
/// named by `claim.user_id` as the header and permission checks need it, with the unread
/// notification count from its partial index, counted up to 100 by `unread_badge`) and `seen`.
/// `claim` is a CTE of the caller's with `user_id` and `epoch`. Suspended accounts, unconfirmed
/// ones and sessions from before the account's last password change (`epoch`) get no row.
/// `seen` notes that the member is on the site (at most once a minute), so notification mail
/// goes only to members who are away; coming back after an hour away starts a new visit, and
/// threads started since the previous one are "new" (`forum::reading`).
///
/// Run when a session is loaded (`auth::store`) and, for a session stored without its account,
/// by `current_user`.
pub const ACCOUNT_CHECK_SQL: &str = "checked AS (
             SELECT u.id, u.username, u.display_name, u.site_role = 'admin' AS is_admin,
                    unread_badge(u.id) AS unread_notifications
               FROM claim JOIN users u ON u.id = claim.user_id AND u.session_epoch = claim.epoch
              WHERE u.email_confirmed_at IS NOT NULL
                AND (u.suspended_until IS NULL OR u.suspended_until <= now())
         ),
         seen AS (
             UPDATE member_presence
                SET seen_at = now(),
                    previous_visit_at = CASE WHEN seen_at < now() - interval '1 hour'
                                             THEN seen_at ELSE previous_visit_at END
              WHERE user_id = (SELECT id FROM checked) AND seen_at < now() - interval '1 minute'
         )";

/// The signed-in member `id`, if a session signed in at `epoch` may still use the account
/// (`ACCOUNT_CHECK_SQL`). Sessions are checked as they load; this is for one stored without
/// the account it names (before migration 58), until it is next written.
pub async fn current_user(db: &PgPool, id: i64, epoch: i32) -> sqlx::Result<Option<CurrentUser>> {
    static STATEMENT: LazyLock<String> = LazyLock::new(|| {
        format!(
            "WITH claim AS (SELECT $1::bigint AS user_id, $2::integer AS epoch),
                  {ACCOUNT_CHECK_SQL}
             SELECT id, username, display_name, is_admin, unread_notifications FROM checked"
        )
    });
    sqlx::query_as(&STATEMENT)
        .bind(id)
        .bind(epoch)
        .fetch_optional(db)
        .await
}

#[derive(sqlx::FromRow)]
pub struct LoginCandidate {
    pub id: i64,
    pub password_hash: String,
    pub suspended_until: Option<time::OffsetDateTime>,
    pub session_epoch: i32,
    /// Registered through the site and the address not yet confirmed.
    pub unconfirmed: bool,
    pub display_name: String,
    pub username: String,
    pub email: String,
}

/// Finds an account by username or email, either in any letter case.
pub async fn login_candidate(db: &PgPool, login: &str) -> sqlx::Result<Option<LoginCandidate>> {
    sqlx::query_as(
        "SELECT id, password_hash, suspended_until, session_epoch,
                email_confirmed_at IS NULL AS unconfirmed, display_name, username, email
           FROM users
          WHERE lower(username) = lower($1) OR lower(email) = lower($1)
          LIMIT 1",
    )
    .bind(login.trim())
    .fetch_optional(db)
    .await
}

/// The stored hash of a signed-in member's password, to check before changing it.
pub async fn password_hash(db: &PgPool, user_id: i64) -> sqlx::Result<String> {
    sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(db)
        .await
}

/// Sets a new password and moves the account's session epoch on, which signs every session out;
/// returns the new epoch, for the session that made the change to keep. Unused reset links for
/// the account stop working too.
pub async fn set_password<'e>(
    db: impl sqlx::PgExecutor<'e>,
    user_id: i64,
    password_hash: &str,
) -> sqlx::Result<i32> {
    sqlx::query_scalar(
        "WITH voided AS (
             UPDATE password_resets SET used_at = now() WHERE user_id = $1 AND used_at IS NULL
         )
         UPDATE users SET password_hash = $2, session_epoch = session_epoch + 1
          WHERE id = $1 RETURNING session_epoch",
    )
    .bind(user_id)
    .bind(password_hash)
    .fetch_one(db)
    .await
}

pub enum Conflict {
    Username,
    Email,
}

/// Creates an account. A taken username or email comes back as a `Conflict` from the unique
/// index itself, so two simultaneous registrations cannot both succeed.
pub async fn create_user<'e>(
    db: impl sqlx::PgExecutor<'e>,
    username: &str,
    display_name: &str,
    email: &str,
    password_hash: &str,
    is_admin: bool,
    email_confirmed: bool,
) -> Result<Result<i64, Conflict>, sqlx::Error> {
    let inserted = sqlx::query_scalar(
        "INSERT INTO users (username, display_name, email, password_hash, site_role,
                            email_confirmed_at)
         VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN 'admin' ELSE 'member' END,
                 CASE WHEN $6 THEN now() END)
         RETURNING id",
    )
    .bind(username)
    .bind(display_name)
    .bind(email)
    .bind(password_hash)
    .bind(is_admin)
    .bind(email_confirmed)
    .fetch_one(db)
    .await;
    match inserted {
        Ok(id) => Ok(Ok(id)),
        Err(sqlx::Error::Database(err)) if err.constraint() == Some("users_username_key") => {
            Ok(Err(Conflict::Username))
        }
        Err(sqlx::Error::Database(err)) if err.constraint() == Some("users_email_key") => {
            Ok(Err(Conflict::Email))
        }
        Err(err) => Err(err),
    }
}

/// Stores a reset token's hash, valid `valid_hours`, made by an admin (`created_by`) or asked
/// for by the member at `/forgot` (`None`). A new link replaces any the account still had: only
/// the newest one works.
pub async fn add_reset_link(
    db: &mut PgConnection,
    token_hash: &str,
    user_id: i64,
    created_by: Option<i64>,
    valid_hours: i32,
) -> sqlx::Result<()> {
    sqlx::query(
        "WITH replaced AS (
             UPDATE password_resets SET used_at = now() WHERE user_id = $2 AND used_at IS NULL
         )
         INSERT INTO password_resets (token_hash, user_id, created_by, expires_at)
         VALUES ($1, $2, $3, now() + $4 * interval '1 hour')",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(created_by)
    .bind(valid_hours)
    .execute(db)
    .await
    .map(|_| ())
}

/// Stores a confirmation token's hash for a new account's address, valid a day, replacing any
/// earlier one.
pub async fn add_confirmation(
    db: &mut PgConnection,
    token_hash: &str,
    user_id: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "WITH replaced AS (DELETE FROM email_confirmations WHERE user_id = $2)
         INSERT INTO email_confirmations (token_hash, user_id, expires_at)
         VALUES ($1, $2, now() + interval '1 day')",
    )
    .bind(token_hash)
    .bind(user_id)
    .execute(db)
    .await
    .map(|_| ())
}

/// Uses a live confirmation token: confirms the address and returns the account (id, session
/// epoch, display name) to sign in; `None` for an unknown, used or expired token.
pub async fn confirm(db: &PgPool, token_hash: &str) -> sqlx::Result<Option<(i64, i32, String)>> {
    sqlx::query_as(
        "WITH used AS (
             DELETE FROM email_confirmations WHERE token_hash = $1 AND expires_at > now()
             RETURNING user_id
         )
         UPDATE users u SET email_confirmed_at = now() FROM used
          WHERE u.id = used.user_id
         RETURNING u.id, u.session_epoch, u.display_name",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

/// Accounts registered a week ago whose address was never confirmed give their name back.
pub async fn forget_unconfirmed(db: &PgPool) -> sqlx::Result<u64> {
    sqlx::query(
        "DELETE FROM users WHERE email_confirmed_at IS NULL AND created_at < now() - interval '7 days'",
    )
    .execute(db)
    .await
    .map(|done| done.rows_affected())
}

/// The account a `/forgot` request names, by username or email: where to send the link.
#[derive(sqlx::FromRow)]
pub struct ForgotAccount {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
}

/// The account `login` names, unless it is suspended (a suspended account gets no link).
pub async fn forgot_account(db: &PgPool, login: &str) -> sqlx::Result<Option<ForgotAccount>> {
    sqlx::query_as(
        "SELECT id, username, display_name, email FROM users
          WHERE (lower(username) = lower($1) OR lower(email) = lower($1))
            AND (suspended_until IS NULL OR suspended_until < now())
          LIMIT 1",
    )
    .bind(login.trim())
    .fetch_optional(db)
    .await
}

/// The account (id, username) a live reset token's hash belongs to.
pub async fn reset_account(db: &PgPool, token_hash: &str) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as(
        "SELECT u.id, u.username FROM password_resets r JOIN users u ON u.id = r.user_id
          WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > now()",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await
}

/// Uses a reset token once and sets the new password with it; `false` if it was used meanwhile.
pub async fn use_reset(
    db: &PgPool,
    token_hash: &str,
    user_id: i64,
    password_hash: &str,
) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    let claimed = sqlx::query(
        "UPDATE password_resets SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL",
    )
    .bind(token_hash)
    .execute(&mut *tx)
    .await?;
    if claimed.rows_affected() != 1 {
        return Ok(false);
    }
    set_password(&mut *tx, user_id, password_hash).await?;
    // The link reached the account's address (or came from an admin): that confirms it.
    sqlx::query(
        "UPDATE users SET email_confirmed_at = now() WHERE id = $1 AND email_confirmed_at IS NULL",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}
