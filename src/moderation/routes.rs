//! Facilitators' tools inside their own domain: pin, lock, hide and restore, move, retitle;
//! the flag queue; removing, banning and un-banning members; the domain's audit log.
//!
//! Every handler finds the domain from the object it acts on (the thread, the post, the
//! membership), never from anything the request names, and checks the member facilitates that
//! domain. Every act is written to the audit log in the same transaction as the act itself.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;

use super::audit::{self, Act};
use crate::auth::Member;
use crate::error::{AppError, Result};
use crate::forum::fields::{parse_id, Title};
use crate::forum::lookup::{moderated_domain, readable_thread_of_post};
use crate::forum::queries::{self as forum, Domain, Post, Thread};
use crate::web::{flash, CurrentUser, FlashKind, PageContext};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/t/{id}/moderate", post(moderate_thread))
        .route("/t/{id}/move", post(move_thread))
        .route("/t/{id}/title", post(retitle))
        .route("/p/{id}/moderate", post(moderate_post))
        .route("/p/{id}/flag", post(flag))
        .route("/p/{id}/flags/{verdict}", post(review_flags))
        .route("/d/{slug}/flags", get(flag_queue))
        .route("/d/{slug}/members", get(members))
        .route("/d/{slug}/members/{username}/{action}", post(member_action))
        .route("/d/{slug}/log", get(domain_log))
}

/// The thread, if this member moderates its domain: 404 when they cannot read it, 403 when
/// they can but do not facilitate it.
async fn moderated_thread(state: &AppState, thread_id: i64, user: &CurrentUser) -> Result<Thread> {
    let viewer = Some(user);
    let thread = forum::thread(&state.db, thread_id, viewer)
        .await?
        .filter(|t| t.readable_by(viewer) || (t.access(viewer).can_read() && t.hidden))
        .ok_or(AppError::NotFound)?;
    if !thread.access(viewer).can_moderate() {
        return Err(AppError::Forbidden(
            "Only this domain's facilitators can moderate it.",
        ));
    }
    Ok(thread)
}

async fn moderated_post(state: &AppState, id: &str, user: &CurrentUser) -> Result<(Post, Thread)> {
    let post_id = parse_id(id)?;
    let thread_id: i64 = sqlx::query_scalar("SELECT thread_id FROM posts WHERE id = $1")
        .bind(post_id)
        .fetch_optional(&state.db)
        .await?
        .ok_or(AppError::NotFound)?;
    let thread = moderated_thread(state, thread_id, user).await?;
    let post = forum::post(&state.db, post_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((post, thread))
}

async fn record(
    tx: &mut Transaction<'_, Postgres>,
    user: &CurrentUser,
    domain_id: i64,
    action: &str,
    target: (&str, i64),
    reason: &str,
) -> Result<()> {
    audit::record(
        &mut **tx,
        Act {
            actor_id: user.id,
            domain_id: Some(domain_id),
            action,
            target_type: target.0,
            target_id: Some(target.1),
            reason,
        },
    )
    .await?;
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ModerateForm {
    action: String,
    reason: String,
}

fn reason_for_hiding(form: &ModerateForm) -> Result<String> {
    let reason = form.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::BadRequest("Say why, in at most 500 characters: the reason is shown to facilitators and to the author.".into()));
    }
    Ok(reason.to_string())
}

/// pin, unpin, lock, unlock, hide (with a reason), restore.
async fn moderate_thread(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<ModerateForm>,
) -> Result<Response> {
    let thread = moderated_thread(&state, parse_id(&id)?, &member.user).await?;
    let (sql, reason) = match form.action.as_str() {
        "pin" => (
            "UPDATE threads SET pinned = true WHERE id = $1",
            String::new(),
        ),
        "unpin" => (
            "UPDATE threads SET pinned = false WHERE id = $1",
            String::new(),
        ),
        "lock" => (
            "UPDATE threads SET locked = true WHERE id = $1",
            form.reason.trim().to_string(),
        ),
        "unlock" => (
            "UPDATE threads SET locked = false WHERE id = $1",
            String::new(),
        ),
        "hide" => (
            "UPDATE threads SET hidden = true, hidden_reason = $2 WHERE id = $1",
            reason_for_hiding(&form)?,
        ),
        "restore" => (
            "UPDATE threads SET hidden = false, hidden_reason = NULL WHERE id = $1",
            String::new(),
        ),
        _ => {
            return Err(AppError::BadRequest(
                "Choose pin, unpin, lock, unlock, hide or restore.".into(),
            ))
        }
    };
    let mut tx = state.db.begin().await?;
    sqlx::query(sql)
        .bind(thread.id)
        .bind(&reason)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &member.user,
        thread.domain_id,
        &format!("{} thread", form.action),
        ("thread", thread.id),
        &reason,
    )
    .await?;
    tx.commit().await?;
    flash(
        &member.session,
        FlashKind::Notice,
        format!("Thread {}.", past_tense(&form.action)),
    )
    .await?;
    Ok(Redirect::to(&format!("/t/{}", thread.id)).into_response())
}

fn past_tense(action: &str) -> &'static str {
    match action {
        "pin" => "pinned",
        "unpin" => "unpinned",
        "lock" => "locked",
        "unlock" => "unlocked",
        "hide" => "hidden",
        _ => "restored",
    }
}

async fn moderate_post(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<ModerateForm>,
) -> Result<Response> {
    let (post, thread) = moderated_post(&state, &id, &member.user).await?;
    let mut tx = state.db.begin().await?;
    let reason = match form.action.as_str() {
        "hide" => {
            let reason = reason_for_hiding(&form)?;
            sqlx::query(
                "UPDATE posts SET hidden = true, hidden_by = $2, hidden_reason = $3 WHERE id = $1",
            )
            .bind(post.id)
            .bind(member.user.id)
            .bind(&reason)
            .execute(&mut *tx)
            .await?;
            reason
        }
        "restore" => {
            sqlx::query("UPDATE posts SET hidden = false, hidden_by = NULL, hidden_reason = NULL WHERE id = $1")
                .bind(post.id).execute(&mut *tx).await?;
            String::new()
        }
        _ => return Err(AppError::BadRequest("Choose hide or restore.".into())),
    };
    record(
        &mut tx,
        &member.user,
        thread.domain_id,
        &format!("{} post", form.action),
        ("post", post.id),
        &reason,
    )
    .await?;
    tx.commit().await?;
    flash(
        &member.session,
        FlashKind::Notice,
        format!("Post {}.", past_tense(&form.action)),
    )
    .await?;
    Ok(Redirect::to(&format!("/p/{}", post.id)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MoveForm {
    domain: String,
}

/// Moves a thread to another domain the member also facilitates.
async fn move_thread(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<MoveForm>,
) -> Result<Response> {
    let thread = moderated_thread(&state, parse_id(&id)?, &member.user).await?;
    let target = forum::domain_by_slug(&state.db, form.domain.trim(), Some(&member.user))
        .await?
        .filter(|d| d.access(Some(&member.user)).can_moderate())
        .ok_or(AppError::Forbidden(
            "You can only move a thread to another domain you facilitate.",
        ))?;
    if target.id == thread.domain_id {
        return Err(AppError::BadRequest(
            "The thread is already in that domain.".into(),
        ));
    }
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE threads SET domain_id = $2 WHERE id = $1")
        .bind(thread.id)
        .bind(target.id)
        .execute(&mut *tx)
        .await?;
    let reason = format!("from {} to {}", thread.domain_slug, target.slug);
    record(
        &mut tx,
        &member.user,
        thread.domain_id,
        "move thread",
        ("thread", thread.id),
        &reason,
    )
    .await?;
    record(
        &mut tx,
        &member.user,
        target.id,
        "move thread",
        ("thread", thread.id),
        &reason,
    )
    .await?;
    tx.commit().await?;
    flash(
        &member.session,
        FlashKind::Notice,
        format!("Thread moved to {}.", target.name),
    )
    .await?;
    Ok(Redirect::to(&format!("/t/{}", thread.id)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TitleForm {
    title: String,
}

async fn retitle(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<TitleForm>,
) -> Result<Response> {
    let thread = moderated_thread(&state, parse_id(&id)?, &member.user).await?;
    let title = Title::parse(&form.title).map_err(|why| AppError::BadRequest(why.into()))?;
    let mut tx = state.db.begin().await?;
    sqlx::query("UPDATE threads SET title = $2 WHERE id = $1")
        .bind(thread.id)
        .bind(title.as_str())
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &member.user,
        thread.domain_id,
        "edit thread title",
        ("thread", thread.id),
        &format!("was: {}", thread.title),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/t/{}", thread.id)).into_response())
}

/// Flags from this many different members hide a post until a facilitator reviews it.
pub const AUTO_HIDE_FLAGS: i64 = 3;
const FLAG_REASONS: [&str; 4] = ["spam", "off-topic", "inappropriate", "other"];

#[derive(Deserialize, Default)]
#[serde(default)]
struct FlagForm {
    reason: String,
    note: String,
}

async fn flag(
    State(state): State<AppState>,
    member: Member,
    Path(id): Path<String>,
    Form(form): Form<FlagForm>,
) -> Result<Response> {
    let post_id = parse_id(&id)?;
    let viewer = Some(&member.user);
    let thread = readable_thread_of_post(&state.db, post_id, viewer).await?;
    let post = forum::post(&state.db, post_id)
        .await?
        .ok_or(AppError::NotFound)?;
    super::policy::may_flag(viewer, &thread, &post)?;
    if !FLAG_REASONS.contains(&form.reason.as_str()) {
        return Err(AppError::BadRequest(
            "Choose why: spam, off-topic, inappropriate or other.".into(),
        ));
    }
    if form.note.chars().count() > 1000 || (form.reason == "other" && form.note.trim().is_empty()) {
        return Err(AppError::BadRequest(
            "For “other”, add a note of at most 1000 characters saying what is wrong.".into(),
        ));
    }
    let mut tx = state.db.begin().await?;
    let added = sqlx::query(
        "INSERT INTO flags (post_id, flagger_id, reason, note) VALUES ($1, $2, $3, $4)
         ON CONFLICT (post_id, flagger_id) WHERE resolved_at IS NULL DO NOTHING",
    )
    .bind(post.id)
    .bind(member.user.id)
    .bind(&form.reason)
    .bind(form.note.trim())
    .execute(&mut *tx)
    .await?;
    // Enough members agree something is wrong: hide it now, a facilitator decides later.
    sqlx::query(
        "UPDATE posts SET hidden = true, hidden_by = NULL,
                hidden_reason = 'Hidden after flags from several members; waiting for a facilitator''s review'
          WHERE id = $1 AND NOT hidden
            AND (SELECT count(DISTINCT flagger_id) FROM flags WHERE post_id = $1 AND resolved_at IS NULL) >= $2",
    )
    .bind(post.id).bind(AUTO_HIDE_FLAGS)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let message = if added.rows_affected() == 1 {
        "Thank you. The domain's facilitators will review the post; you will hear what they decide."
    } else {
        "You have already flagged this post; the facilitators will review it."
    };
    flash(&member.session, FlashKind::Notice, message).await?;
    Ok(Redirect::to(&format!("/p/{}", post.id)).into_response())
}

/// agree: the post is hidden; disagree: the flags are cleared (and an automatic hide undone).
/// Either way each flagger is told.
async fn review_flags(
    State(state): State<AppState>,
    member: Member,
    Path((id, verdict)): Path<(String, String)>,
) -> Result<Response> {
    let (post, thread) = moderated_post(&state, &id, &member.user).await?;
    let outcome = match verdict.as_str() {
        "agree" => "agreed",
        "disagree" => "disagreed",
        _ => return Err(AppError::NotFound),
    };
    let mut tx = state.db.begin().await?;
    let flaggers: Vec<i64> = sqlx::query_scalar(
        "UPDATE flags SET resolved_at = now(), resolved_by = $2, outcome = $3
          WHERE post_id = $1 AND resolved_at IS NULL RETURNING flagger_id",
    )
    .bind(post.id)
    .bind(member.user.id)
    .bind(outcome)
    .fetch_all(&mut *tx)
    .await?;
    if flaggers.is_empty() {
        return Err(AppError::BadRequest("This post has no open flags.".into()));
    }
    if outcome == "agreed" {
        sqlx::query("UPDATE posts SET hidden = true, hidden_by = $2, hidden_reason = 'Hidden after review of members'' flags' WHERE id = $1")
            .bind(post.id).bind(member.user.id).execute(&mut *tx).await?;
    } else {
        sqlx::query("UPDATE posts SET hidden = false, hidden_reason = NULL WHERE id = $1 AND hidden AND hidden_by IS NULL")
            .bind(post.id).execute(&mut *tx).await?;
    }
    let message = if outcome == "agreed" {
        "The facilitators agreed with your flag: the post is hidden."
    } else {
        "The facilitators reviewed your flag and left the post up."
    };
    sqlx::query(
        "INSERT INTO notifications (user_id, kind, actor_id, thread_id, post_id, message)
         SELECT DISTINCT unnest($1::bigint[]), 'flag_outcome', $2, $3, $4, $5",
    )
    .bind(&flaggers)
    .bind(member.user.id)
    .bind(thread.id)
    .bind(post.id)
    .bind(message)
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &member.user,
        thread.domain_id,
        &format!("{outcome} with flags"),
        ("post", post.id),
        "",
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/d/{}/flags", thread.domain_slug)).into_response())
}

#[derive(sqlx::FromRow)]
pub struct FlaggedPost {
    pub post_id: i64,
    pub thread_title: String,
    pub author_name: String,
    pub body_md: String,
    pub hidden: bool,
    pub flag_count: i64,
    pub reasons: Vec<String>,
    pub notes: Vec<String>,
}

impl FlaggedPost {
    pub fn excerpt(&self) -> String {
        crate::markdown::plain_excerpt(&self.body_md, 300)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "moderation/flags.html")]
pub struct FlagQueuePage {
    pub page: PageContext,
    pub domain: Domain,
    pub posts: Vec<FlaggedPost>,
}

async fn flag_queue(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<String>,
) -> Result<FlagQueuePage> {
    let domain = moderated_domain(&state.db, &slug, &member.user).await?;
    let posts = sqlx::query_as(
        "SELECT p.id AS post_id, t.title AS thread_title, u.display_name AS author_name, p.body_md, p.hidden,
                count(f.*) AS flag_count, array_agg(f.reason ORDER BY f.id) AS reasons,
                coalesce(array_agg(f.note ORDER BY f.id) FILTER (WHERE f.note <> ''), '{}') AS notes
           FROM flags f
           JOIN posts p ON p.id = f.post_id
           JOIN threads t ON t.id = p.thread_id
           JOIN users u ON u.id = p.author_id
          WHERE t.domain_id = $1 AND f.resolved_at IS NULL
          GROUP BY p.id, t.title, u.display_name
          ORDER BY count(f.*) DESC, min(f.created_at)
          LIMIT 100",
    )
    .bind(domain.id)
    .fetch_all(&state.db)
    .await?;
    Ok(FlagQueuePage {
        page: member.page,
        domain,
        posts,
    })
}

#[derive(sqlx::FromRow)]
pub struct MemberRow {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub is_admin: bool,
    pub joined_at: OffsetDateTime,
    pub banned_until: Option<OffsetDateTime>,
    pub ban_reason: Option<String>,
}

impl MemberRow {
    pub fn is_banned(&self) -> bool {
        self.banned_until
            .is_some_and(|until| until > OffsetDateTime::now_utc())
    }

    pub fn ban_ends(&self) -> String {
        match self.banned_until {
            Some(until) if until.year() >= 9999 => "for good".into(),
            Some(until) => format!("until {}", until.date()),
            None => String::new(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "moderation/members.html")]
pub struct MembersPage {
    pub page: PageContext,
    pub domain: Domain,
    pub members: Vec<MemberRow>,
}

async fn members(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<String>,
) -> Result<MembersPage> {
    let domain = moderated_domain(&state.db, &slug, &member.user).await?;
    let members = sqlx::query_as(
        "SELECT u.username, u.display_name, m.role, u.site_role = 'admin' AS is_admin, m.joined_at, m.banned_until, m.ban_reason
           FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.domain_id = $1 ORDER BY m.role DESC, u.display_name LIMIT 1000",
    )
    .bind(domain.id)
    .fetch_all(&state.db)
    .await?;
    Ok(MembersPage {
        page: member.page,
        domain,
        members,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MemberActionForm {
    days: String,
    reason: String,
}

/// remove, ban (for `days` days or, with `forever`, for good), unban.
async fn member_action(
    State(state): State<AppState>,
    member: Member,
    Path((slug, username, action)): Path<(String, String, String)>,
    Form(form): Form<MemberActionForm>,
) -> Result<Response> {
    let domain = moderated_domain(&state.db, &slug, &member.user).await?;
    let target: (i64, String, bool) = sqlx::query_as(
        "SELECT u.id, m.role, u.site_role = 'admin' FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.domain_id = $1 AND lower(u.username) = lower($2)",
    )
    .bind(domain.id)
    .bind(&username)
    .fetch_optional(&state.db)
    .await?
    .ok_or(AppError::NotFound)?;
    let (user_id, role, is_admin) = target;
    if user_id == member.user.id {
        return Err(AppError::Forbidden("You cannot remove or ban yourself."));
    }
    if is_admin && !member.user.is_admin {
        return Err(AppError::Forbidden(
            "A facilitator cannot remove or ban a site admin.",
        ));
    }
    if role == "facilitator" && !member.user.is_admin {
        return Err(AppError::Forbidden(
            "Facilitators cannot remove or ban each other; ask an admin.",
        ));
    }
    let reason = form.reason.trim();
    if reason.chars().count() > 500 {
        return Err(AppError::BadRequest(
            "Keep the reason to 500 characters or fewer.".into(),
        ));
    }
    let mut tx = state.db.begin().await?;
    let message = match action.as_str() {
        "remove" => {
            sqlx::query("DELETE FROM memberships WHERE domain_id = $1 AND user_id = $2")
                .bind(domain.id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            format!("{username} was removed from {}.", domain.name)
        }
        "ban" => {
            let until = ban_end(&form.days)?;
            sqlx::query("UPDATE memberships SET banned_until = $3, ban_reason = $4 WHERE domain_id = $1 AND user_id = $2")
                .bind(domain.id).bind(user_id).bind(until).bind(reason).execute(&mut *tx).await?;
            format!("{username} is banned from posting in {}.", domain.name)
        }
        "unban" => {
            sqlx::query("UPDATE memberships SET banned_until = NULL, ban_reason = NULL WHERE domain_id = $1 AND user_id = $2")
                .bind(domain.id).bind(user_id).execute(&mut *tx).await?;
            format!("{username}'s ban is lifted.")
        }
        _ => return Err(AppError::NotFound),
    };
    record(
        &mut tx,
        &member.user,
        domain.id,
        &format!("{action} member"),
        ("user", user_id),
        reason,
    )
    .await?;
    tx.commit().await?;
    flash(&member.session, FlashKind::Notice, message).await?;
    Ok(Redirect::to(&format!("/d/{}/members", domain.slug)).into_response())
}

/// A ban's end: `forever` is 9999-12-31; otherwise 1 to 3650 days from now.
pub fn ban_end(days: &str) -> Result<OffsetDateTime> {
    if days.trim() == "forever" {
        return Ok(time::macros::datetime!(9999-12-31 00:00 UTC));
    }
    let days: i64 = days
        .trim()
        .parse()
        .ok()
        .filter(|d| (1..=3650).contains(d))
        .ok_or_else(|| {
            AppError::BadRequest("Give a number of days from 1 to 3650, or choose for good.".into())
        })?;
    Ok(OffsetDateTime::now_utc() + time::Duration::days(days))
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

#[derive(Template, WebTemplate)]
#[template(path = "moderation/log.html")]
pub struct LogPage {
    pub page: PageContext,
    pub heading: String,
    pub entries: Vec<LogEntry>,
    pub older: Option<String>,
}

pub const LOG_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
#[serde(default)]
struct LogQuery {
    before: Option<String>,
}

async fn domain_log(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<String>,
    Query(query): Query<LogQuery>,
) -> Result<LogPage> {
    let domain = moderated_domain(&state.db, &slug, &member.user).await?;
    let before = query.before.as_deref().map(parse_id).transpose()?;
    let entries: Vec<LogEntry> = sqlx::query_as(&format!(
        "SELECT a.id, u.display_name AS actor_name, d.name AS domain_name, a.action, a.target_type, a.target_id, a.reason, a.created_at
           FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id LEFT JOIN domains d ON d.id = a.domain_id
          WHERE a.domain_id = $1 AND ($2::bigint IS NULL OR a.id < $2)
          ORDER BY a.id DESC LIMIT {LOG_PAGE}"
    ))
    .bind(domain.id)
    .bind(before)
    .fetch_all(&state.db)
    .await?;
    let older = (entries.len() as i64 == LOG_PAGE)
        .then(|| {
            entries
                .last()
                .map(|e| format!("/d/{}/log?before={}", domain.slug, e.id))
        })
        .flatten();
    Ok(LogPage {
        page: member.page,
        heading: format!("Moderation log of {}", domain.name),
        entries,
        older,
    })
}
