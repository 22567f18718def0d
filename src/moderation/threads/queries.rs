//! SQL for a facilitator's changes to a thread; each runs in the caller's transaction with its
//! audit record.

use sqlx::PgConnection;

use crate::moderation::fields::ModerationAction;

/// Pins, locks, hides (with the reason) or undoes one of those.
pub async fn apply(
    db: &mut PgConnection,
    thread_id: i64,
    action: ModerationAction,
    reason: &str,
) -> sqlx::Result<()> {
    let sql = match action {
        ModerationAction::Pin => "UPDATE threads SET pinned = true WHERE id = $1",
        ModerationAction::Unpin => "UPDATE threads SET pinned = false WHERE id = $1",
        ModerationAction::Lock => "UPDATE threads SET locked = true WHERE id = $1",
        ModerationAction::Unlock => "UPDATE threads SET locked = false WHERE id = $1",
        ModerationAction::Hide => {
            "UPDATE threads SET hidden = true, hidden_reason = $2 WHERE id = $1"
        }
        ModerationAction::Restore => {
            "UPDATE threads SET hidden = false, hidden_reason = NULL WHERE id = $1"
        }
    };
    sqlx::query(sql)
        .bind(thread_id)
        .bind(reason)
        .execute(db)
        .await
        .map(|_| ())
}

pub async fn move_to(db: &mut PgConnection, thread_id: i64, domain_id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE threads SET domain_id = $2 WHERE id = $1")
        .bind(thread_id)
        .bind(domain_id)
        .execute(db)
        .await
        .map(|_| ())
}
