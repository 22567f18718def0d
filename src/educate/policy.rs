//! Who may add a post to the repertoire, and who keeps its entries current, each decided once
//! for the page that offers it and the handler that does it.

use crate::error::{AppError, Result};
use crate::forum::queries::{Domain, Post, Thread};
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

/// An entry's steward (while they may post in its domain) and the domain's facilitators keep it:
/// verify it, date it, mark it outdated or obsolete. The entry page offers it on the same terms.
pub fn may_keep(
    viewer: Option<&CurrentUser>,
    steward_id: Option<i64>,
    domain: &Domain,
) -> Result<()> {
    let access = domain.access(viewer);
    access.require_read()?;
    let steward = viewer.is_some_and(|u| Some(u.id) == steward_id);
    if access.can_moderate() || (steward && access.can_post()) {
        return Ok(());
    }
    Err(AppError::Forbidden(
        "Only the entry's steward or a facilitator can review it.",
    ))
}

/// A domain's facilitators name the steward of its entries.
pub fn may_appoint_steward(viewer: Option<&CurrentUser>, domain: &Domain) -> Result<()> {
    let access = domain.access(viewer);
    access.require_read()?;
    if !access.can_moderate() {
        return Err(AppError::Forbidden(
            "Only a facilitator of the domain can name an entry's steward.",
        ));
    }
    Ok(())
}

/// A domain's review queue is for its facilitators and for the members who steward one of its
/// entries (`is_steward`).
pub fn may_see_review_queue(
    viewer: Option<&CurrentUser>,
    domain: &Domain,
    is_steward: bool,
) -> Result<()> {
    let access = domain.access(viewer);
    access.require_read()?;
    if access.can_moderate() || (is_steward && access.can_post()) {
        return Ok(());
    }
    Err(AppError::Forbidden(
        "The review queue is for the domain's facilitators and the stewards of its entries.",
    ))
}
