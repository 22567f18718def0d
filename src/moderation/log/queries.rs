//! The audit log: who did what, to what, why, and when. Written in the transaction of each act;
//! read by one query for both the domain log and the admins' site log.

use sqlx::PgPool;
use time::OffsetDateTime;

use crate::moderation::fields::{MemberAction, ModerationAction, Verdict};

/// Every act the audit log records. The log stores `label()`, so filters and old entries keep
/// reading the same words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Thread(ModerationAction),
    Post(ModerationAction),
    MoveThread,
    EditThreadTitle,
    RevertPost,
    Flags(Verdict),
    /// An admin opened a flagged private message's review page.
    ReadFlaggedMessage,
    MessageFlags(Verdict),
    Member(MemberAction),
    EditCharter,
    CreateDomain,
    EditDomain,
    ArchiveDomain,
    RestoreDomain,
    AppointFacilitator,
    RemoveFacilitator,
    SuspendAccount,
    LiftSuspension,
    PasswordResetLink,
    SeedCommunity,
    Invite,
}

impl Action {
    pub fn label(self) -> String {
        match self {
            Action::Thread(act) => format!("{} thread", act.as_str()),
            Action::Post(act) => format!("{} post", act.as_str()),
            Action::MoveThread => "move thread".into(),
            Action::EditThreadTitle => "edit thread title".into(),
            Action::RevertPost => "revert post".into(),
            Action::Flags(verdict) => format!("{} with flags", verdict.as_str()),
            Action::ReadFlaggedMessage => "read flagged message".into(),
            Action::MessageFlags(verdict) => format!("{} with message flags", verdict.as_str()),
            Action::Member(act) => format!("{} member", act.as_str()),
            Action::EditCharter => "edit charter".into(),
            Action::CreateDomain => "create domain".into(),
            Action::EditDomain => "edit domain".into(),
            Action::ArchiveDomain => "archive domain".into(),
            Action::RestoreDomain => "restore domain".into(),
            Action::AppointFacilitator => "appoint facilitator".into(),
            Action::RemoveFacilitator => "remove facilitator".into(),
            Action::SuspendAccount => "suspend account".into(),
            Action::LiftSuspension => "lift suspension".into(),
            Action::PasswordResetLink => "password reset link".into(),
            Action::SeedCommunity => "seed community".into(),
            Action::Invite => "invite by email".into(),
        }
    }
}

pub struct Act<'a> {
    pub actor_id: i64,
    pub domain_id: Option<i64>,
    pub action: Action,
    pub target_type: &'a str,
    pub target_id: Option<i64>,
    pub reason: &'a str,
}

pub async fn record<'e>(db: impl sqlx::PgExecutor<'e>, act: Act<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (actor_id, domain_id, action, target_type, target_id, reason)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(act.actor_id)
    .bind(act.domain_id)
    .bind(act.action.label())
    .bind(act.target_type)
    .bind(act.target_id)
    .bind(act.reason)
    .execute(db)
    .await
    .map(|_| ())
}

#[derive(sqlx::FromRow)]
pub struct LogEntry {
    pub id: i64,
    pub actor_name: Option<String>,
    pub domain_name: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<i64>,
    pub reason: String,
    pub created_at: OffsetDateTime,
}

pub const LOG_PAGE: i64 = 50;

/// Which entries to show; empty strings and `None` match everything.
#[derive(Default)]
pub struct LogFilter<'a> {
    pub domain_id: Option<i64>,
    pub action: &'a str,
    pub actor: &'a str,
    pub domain_slug: &'a str,
    /// Entries older than this one (keyset paging by id).
    pub before: Option<i64>,
}

/// One page of the log, newest first.
pub async fn entries(db: &PgPool, filter: LogFilter<'_>) -> sqlx::Result<Vec<LogEntry>> {
    sqlx::query_as(&format!(
        "SELECT a.id, u.display_name AS actor_name, d.name AS domain_name, a.action, a.target_type,
                a.target_id, a.reason, a.created_at
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id LEFT JOIN domains d ON d.id = a.domain_id
          WHERE ($1::bigint IS NULL OR a.domain_id = $1)
            AND ($2 = '' OR a.action = $2) AND ($3 = '' OR lower(u.username) = lower($3))
            AND ($4 = '' OR d.slug = $4) AND ($5::bigint IS NULL OR a.id < $5)
          ORDER BY a.id DESC LIMIT {LOG_PAGE}"
    ))
    .bind(filter.domain_id)
    .bind(filter.action.trim())
    .bind(filter.actor.trim())
    .bind(filter.domain_slug.trim())
    .bind(filter.before)
    .fetch_all(db)
    .await
}

/// Every action the log has seen, for the site log's filter.
pub async fn actions(db: &PgPool) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT DISTINCT action FROM audit_log ORDER BY action")
        .fetch_all(db)
        .await
}

/// The id to page back from, when this page was full.
pub fn older_than(entries: &[LogEntry]) -> Option<i64> {
    (entries.len() as i64 == LOG_PAGE)
        .then(|| entries.last().map(|e| e.id))
        .flatten()
}

/// Records a facilitator's act on something in their domain.
pub async fn record_in_domain<'e>(
    db: impl sqlx::PgExecutor<'e>,
    actor_id: i64,
    domain_id: i64,
    action: Action,
    target: (&str, i64),
    reason: &str,
) -> sqlx::Result<()> {
    record(
        db,
        Act {
            actor_id,
            domain_id: Some(domain_id),
            action,
            target_type: target.0,
            target_id: Some(target.1),
            reason,
        },
    )
    .await
}

/// Records an admin's act on the site as a whole (accounts, community files).
pub async fn record_site<'e>(
    db: impl sqlx::PgExecutor<'e>,
    actor_id: i64,
    action: Action,
    target: (&str, Option<i64>),
    reason: &str,
) -> sqlx::Result<()> {
    record(
        db,
        Act {
            actor_id,
            domain_id: None,
            action,
            target_type: target.0,
            target_id: target.1,
            reason,
        },
    )
    .await
}
