//! Who may flag a post, decided once for the thread page and the flag handler.

use crate::error::{AppError, Result};
use crate::forum::queries::{Post, Thread};
use crate::web::CurrentUser;

/// Signed-in readers flag other people's live, visible posts (a hidden post is already out of
/// sight, waiting for its facilitators).
pub fn may_flag(viewer: Option<&CurrentUser>, thread: &Thread, post: &Post) -> Result<()> {
    let Some(user) = viewer else {
        return Err(AppError::Forbidden("Log in to flag a post."));
    };
    let access = thread.access(viewer);
    access.require_read()?;
    access.require_not_banned()?;
    if post.deleted_at.is_some() || post.hidden {
        return Err(AppError::NotFound);
    }
    if post.author_id == user.id {
        return Err(AppError::Forbidden(
            "You cannot flag your own post; edit or delete it instead.",
        ));
    }
    Ok(())
}
