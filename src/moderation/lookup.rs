//! Finding what a facilitator acts on, and checking they facilitate its domain: 404 when they
//! cannot read it, 403 when they can but do not facilitate it.

use crate::error::{AppError, Result};
use crate::forum::queries::{self as forum, Post, Thread};
use crate::web::CurrentUser;
use crate::AppState;

/// The thread, hidden or not, if this member moderates its domain.
pub async fn moderated_thread(
    state: &AppState,
    thread_id: i64,
    user: &CurrentUser,
) -> Result<Thread> {
    let thread = forum::thread(&state.db, thread_id, Some(user))
        .await?
        .ok_or(AppError::NotFound)?;
    thread
        .access(Some(user))
        .require_moderate("Only this domain's facilitators can moderate it.")?;
    Ok(thread)
}

/// A post and its thread, if this member moderates the thread's domain.
pub async fn moderated_post(
    state: &AppState,
    post_id: i64,
    user: &CurrentUser,
) -> Result<(Post, Thread)> {
    let post = forum::post(&state.db, post_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let thread = moderated_thread(state, post.thread_id, user).await?;
    Ok((post.post, thread))
}
