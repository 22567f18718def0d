//! The audit log: who did what, to what, why, and when.

pub struct Act<'a> {
    pub actor_id: i64,
    pub domain_id: Option<i64>,
    pub action: &'a str,
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
    .bind(act.action)
    .bind(act.target_type)
    .bind(act.target_id)
    .bind(act.reason)
    .execute(db)
    .await
    .map(|_| ())
}
