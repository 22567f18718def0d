//! Who may choose an accepted answer, and who may flag a private message, decided once: the
//! page offers the control exactly when the handler would accept the request.

use crate::error::{AppError, Result};
use crate::forum::queries::{Post, Thread};
use crate::web::CurrentUser;

/// The asker, or a facilitator of the thread's domain, chooses a question's accepted answer.
pub fn may_choose_answer(viewer: Option<&CurrentUser>, thread: &Thread) -> Result<()> {
    if thread.kind != "question" {
        return Err(AppError::BadRequest(
            "Only questions have accepted answers.".into(),
        ));
    }
    let asker = viewer.is_some_and(|u| u.id == thread.author_id);
    let access = thread.access(viewer);
    if !access.can_moderate() {
        access.require_not_banned()?;
    }
    if !asker && !access.can_moderate() {
        return Err(AppError::Forbidden(
            "Only the person who asked, or a facilitator, can choose the accepted answer.",
        ));
    }
    Ok(())
}

/// What can be a question's accepted answer: a live, visible reply in that thread, never the
/// question itself.
pub fn may_be_accepted(thread: &Thread, post: &Post) -> Result<()> {
    if post.thread_id != thread.id || post.is_opening() || post.deleted_at.is_some() || post.hidden
    {
        return Err(AppError::BadRequest(
            "Only a visible reply in this thread can be its accepted answer.".into(),
        ));
    }
    Ok(())
}

/// A participant flags another's message while it is shown (a hidden one is already dealt
/// with). That the viewer takes part is checked where the message is found.
pub fn may_flag_message(viewer: &CurrentUser, author_id: i64, hidden: bool) -> Result<()> {
    if hidden {
        return Err(AppError::NotFound);
    }
    if author_id == viewer.id {
        return Err(AppError::Forbidden("You cannot flag your own message."));
    }
    Ok(())
}
