//! `POST /p/{id}/react`: toggles one of the three reactions. Without JavaScript the form posts
//! and the page reloads at the post; with it, `commonplace.js` posts in the background and
//! updates the button from the JSON answer.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::{Deserialize, Serialize};

use crate::auth::Member;
use crate::error::{AppError, Result};
use crate::forum::lookup::readable_thread_of_post;
use crate::forum::queries as forum;
use crate::web::path::PostId;
use crate::web::Path;
use crate::AppState;

pub const KINDS: [(&str, &str); 3] = [
    ("helpful", "Helpful"),
    ("thanks", "Thanks"),
    ("insightful", "Insightful"),
];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReactForm {
    kind: String,
}

#[derive(Serialize)]
struct Reacted {
    active: bool,
    count: i32,
}

pub async fn react(
    State(state): State<AppState>,
    member: Member,
    headers: HeaderMap,
    Path(id): Path<PostId>,
    Form(form): Form<ReactForm>,
) -> Result<Response> {
    let post_id = id.0;
    let kind = KINDS
        .iter()
        .find(|(k, _)| *k == form.kind)
        .map(|(k, _)| *k)
        .ok_or_else(|| AppError::BadRequest("Choose helpful, thanks or insightful.".into()))?;
    let viewer = Some(&member.user);
    let thread = readable_thread_of_post(&state.db, post_id, viewer).await?;
    let post = forum::post(&state.db, post_id)
        .await?
        .ok_or(AppError::NotFound)?;
    super::policy::may_react(viewer, &thread, &post)?;
    let active = toggle(&state, post_id, member.user.id, kind).await?;
    if headers
        .get("x-requested-with")
        .is_some_and(|v| v == "fetch")
    {
        let count: i32 =
            sqlx::query_scalar(&format!("SELECT {kind}_count FROM posts WHERE id = $1"))
                .bind(post_id)
                .fetch_one(&state.db)
                .await?;
        return Ok(Json(Reacted { active, count }).into_response());
    }
    Ok(Redirect::to(&format!("/p/{post_id}")).into_response())
}

/// Adds the reaction, or takes it back if it was there; returns whether it is there now.
async fn toggle(state: &AppState, post_id: i64, user_id: i64, kind: &str) -> sqlx::Result<bool> {
    let removed =
        sqlx::query("DELETE FROM reactions WHERE post_id = $1 AND user_id = $2 AND kind = $3")
            .bind(post_id)
            .bind(user_id)
            .bind(kind)
            .execute(&state.db)
            .await?;
    if removed.rows_affected() > 0 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO reactions (post_id, user_id, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(post_id)
    .bind(user_id)
    .bind(kind)
    .execute(&state.db)
    .await?;
    Ok(true)
}
