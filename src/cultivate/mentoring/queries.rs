//! The SQL of mentoring: offers, requests, pairings.

use sqlx::PgPool;
use time::OffsetDateTime;

/// A member offering to mentor in a domain.
#[derive(sqlx::FromRow)]
pub struct Offer {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub tags: Vec<String>,
}

pub async fn offers(db: &PgPool, domain_id: i64) -> sqlx::Result<Vec<Offer>> {
    sqlx::query_as(
        "SELECT o.user_id, u.username, u.display_name, o.tags
           FROM mentor_offers o JOIN users u ON u.id = o.user_id
          WHERE o.domain_id = $1 ORDER BY u.display_name",
    )
    .bind(domain_id)
    .fetch_all(db)
    .await
}

pub async fn offer(db: &PgPool, domain_id: i64, user_id: i64, tags: &[String]) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO mentor_offers (domain_id, user_id, tags) VALUES ($1, $2, $3)
         ON CONFLICT (domain_id, user_id) DO UPDATE SET tags = EXCLUDED.tags",
    )
    .bind(domain_id)
    .bind(user_id)
    .bind(tags)
    .execute(db)
    .await
    .map(|_| ())
}

pub async fn withdraw(db: &PgPool, domain_id: i64, user_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM mentor_offers WHERE domain_id = $1 AND user_id = $2")
        .bind(domain_id)
        .bind(user_id)
        .execute(db)
        .await
        .map(|_| ())
}

/// A request or a pairing in a domain.
#[derive(sqlx::FromRow, Debug)]
pub struct Mentorship {
    pub id: i64,
    pub newcomer_username: String,
    pub newcomer_name: String,
    pub mentor_username: Option<String>,
    pub mentor_name: Option<String>,
    pub note: String,
    pub requested_at: OffsetDateTime,
}

const MENTORSHIP: &str = "
    SELECT ms.id, n.username AS newcomer_username, n.display_name AS newcomer_name,
           m.username AS mentor_username, m.display_name AS mentor_name, ms.note, ms.requested_at
      FROM mentorships ms
      JOIN users n ON n.id = ms.newcomer_id
      LEFT JOIN users m ON m.id = ms.mentor_id";

/// Every request and pairing of a domain: waiting requests first, then pairs, newest first.
pub async fn of_domain(db: &PgPool, domain_id: i64) -> sqlx::Result<Vec<Mentorship>> {
    sqlx::query_as(&format!(
        "{MENTORSHIP} WHERE ms.domain_id = $1
          ORDER BY ms.mentor_id IS NOT NULL, ms.requested_at DESC LIMIT 200"
    ))
    .bind(domain_id)
    .fetch_all(db)
    .await
}

/// The member's own request or pairing in a domain.
pub async fn of_member(
    db: &PgPool,
    domain_id: i64,
    user_id: i64,
) -> sqlx::Result<Option<Mentorship>> {
    sqlx::query_as(&format!(
        "{MENTORSHIP} WHERE ms.domain_id = $1 AND ms.newcomer_id = $2"
    ))
    .bind(domain_id)
    .bind(user_id)
    .fetch_optional(db)
    .await
}

/// Asks for a mentor, paired at once with `mentor` when given; `false` if the member already
/// asked in this domain.
pub async fn request(
    db: &PgPool,
    domain_id: i64,
    newcomer_id: i64,
    mentor_id: Option<i64>,
    note: &str,
) -> sqlx::Result<bool> {
    let made = sqlx::query(
        "INSERT INTO mentorships (domain_id, newcomer_id, mentor_id, note, paired_at)
         VALUES ($1, $2, $3, $4, CASE WHEN $3::bigint IS NULL THEN NULL ELSE now() END)
         ON CONFLICT (domain_id, newcomer_id) DO NOTHING",
    )
    .bind(domain_id)
    .bind(newcomer_id)
    .bind(mentor_id)
    .bind(note)
    .execute(db)
    .await?;
    Ok(made.rows_affected() == 1)
}

/// A facilitator pairs a waiting request with a mentor who offered; `false` if it no longer
/// waits (or is not of this domain).
pub async fn pair(db: &PgPool, domain_id: i64, id: i64, mentor_id: i64) -> sqlx::Result<bool> {
    let paired = sqlx::query(
        "UPDATE mentorships SET mentor_id = $3, paired_at = now()
          WHERE id = $1 AND domain_id = $2 AND mentor_id IS NULL AND newcomer_id <> $3",
    )
    .bind(id)
    .bind(domain_id)
    .bind(mentor_id)
    .execute(db)
    .await?;
    Ok(paired.rows_affected() == 1)
}

/// A member's pairings, as mentor or as newcomer, in the domains the viewer may read:
/// (domain name, the other member's username and name, whether this member is the mentor).
pub async fn pairings_of(
    db: &PgPool,
    viewer: Option<i64>,
    user_id: i64,
) -> sqlx::Result<Vec<(String, String, String, bool)>> {
    sqlx::query_as(
        "SELECT d.name, o.username, o.display_name, ms.mentor_id = $2 AS is_mentor
           FROM mentorships ms
           JOIN domains d ON d.id = ms.domain_id
           JOIN users o ON o.id = CASE WHEN ms.mentor_id = $2 THEN ms.newcomer_id ELSE ms.mentor_id END
          WHERE (ms.mentor_id = $2 OR ms.newcomer_id = $2) AND ms.mentor_id IS NOT NULL
            AND d.id IN (SELECT id FROM readable_domains($1))
          ORDER BY ms.paired_at DESC LIMIT 20",
    )
    .bind(viewer)
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// Tells `to` about mentoring in a domain: `kind` is `mentor_requested` (a facilitator is asked
/// to choose) or `mentor_paired`; `message` says what happened, in words.
pub async fn tell(
    db: &PgPool,
    to: &[i64],
    actor_id: i64,
    domain_id: i64,
    kind: &str,
    message: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, actor_id, domain_id, message)
         SELECT DISTINCT unnest($1::bigint[]), $4, $2, $3, $5",
    )
    .bind(to)
    .bind(actor_id)
    .bind(domain_id)
    .bind(kind)
    .bind(message)
    .execute(db)
    .await
    .map(|_| ())
}

/// The domain's facilitators.
pub async fn facilitators(db: &PgPool, domain_id: i64) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "SELECT user_id FROM memberships WHERE domain_id = $1 AND role = 'facilitator'",
    )
    .bind(domain_id)
    .fetch_all(db)
    .await
}

/// The newcomer of a request.
pub async fn newcomer_of(db: &PgPool, id: i64) -> sqlx::Result<Option<(i64, String)>> {
    sqlx::query_as(
        "SELECT u.id, u.display_name FROM mentorships ms JOIN users u ON u.id = ms.newcomer_id
          WHERE ms.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}
