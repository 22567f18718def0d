//! Who may react to a post, decided once for the thread page and the reaction handler.

use crate::error::{AppError, Result};
use crate::forum::queries::{Post, Thread};
use crate::web::CurrentUser;

/// Members who may post in the domain react to other people's live, visible posts.
pub fn may_react(viewer: Option<&CurrentUser>, thread: &Thread, post: &Post) -> Result<()> {
    thread.access(viewer).require_post()?;
    if post.deleted_at.is_some() || post.hidden {
        return Err(AppError::NotFound);
    }
    if viewer.is_some_and(|u| u.id == post.author_id) {
        return Err(AppError::Forbidden(
            "Reactions are for other people's posts.",
        ));
    }
    Ok(())
}
