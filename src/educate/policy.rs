//! Who may add a post to the repertoire, decided once for the thread page and the entry form.

use crate::error::{AppError, Result};
use crate::forum::queries::{Post, Thread};
use crate::web::CurrentUser;

/// A post's author, or a facilitator of its domain, adds a live, visible post to the domain's
/// repertoire, if they may post there.
pub fn may_promote(viewer: Option<&CurrentUser>, thread: &Thread, post: &Post) -> Result<()> {
    let access = thread.access(viewer);
    access.require_post()?;
    if post.deleted_at.is_some() || post.hidden {
        return Err(AppError::NotFound);
    }
    let author = viewer.is_some_and(|u| u.id == post.author_id);
    if !author && !access.can_moderate() {
        return Err(AppError::Forbidden(
            "Only the post's author or a facilitator can add it to the repertoire.",
        ));
    }
    Ok(())
}
