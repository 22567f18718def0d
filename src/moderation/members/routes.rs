//! `/d/{slug}/members`: facilitators remove members, ban them from posting for some days or for
//! good, and lift bans. Facilitators cannot act on admins, each other, or themselves.

use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;

use super::queries;
use super::views::MembersPage;
use crate::auth::Member;
use crate::error::{AppError, Result};
use crate::forum::fields::Slug;
use crate::forum::lookup::moderated_domain;
use crate::moderation::fields::{ban_end, optional_reason, MemberAction};
use crate::moderation::log::queries::{record_in_domain, Action};
use crate::web::{flash_and_redirect, FlashKind, Form, Path};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/d/{slug}/members", get(members))
        .route("/d/{slug}/members/{username}/{action}", post(act))
}

async fn members(
    State(state): State<AppState>,
    member: Member,
    Path(slug): Path<Slug>,
) -> Result<MembersPage> {
    let domain = moderated_domain(&state.db, &slug, &member.user).await?;
    let members = queries::members(&state.db, domain.id).await?;
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
async fn act(
    State(state): State<AppState>,
    member: Member,
    Path((slug, username, action)): Path<(String, String, String)>,
    Form(form): Form<MemberActionForm>,
) -> Result<Response> {
    let domain = moderated_domain(&state.db, &slug, &member.user).await?;
    let (user_id, role, is_admin) = queries::member(&state.db, domain.id, &username)
        .await?
        .ok_or(AppError::NotFound)?;
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
    let action = MemberAction::parse(&action).ok_or(AppError::NotFound)?;
    let reason = optional_reason(&form.reason)?;
    let mut tx = state.db.begin().await?;
    let message = match action {
        MemberAction::Remove => {
            if !queries::remove(&mut tx, domain.id, user_id).await? {
                // Nothing changed, so nothing goes in the log.
                let kept = format!(
                    "{username} is banned, so they stay listed as banned until the ban ends or \
                     you lift it: removing them would let them rejoin and post at once."
                );
                let back = format!("/d/{}/members", domain.slug);
                return flash_and_redirect(&member.session, FlashKind::Notice, kept, &back).await;
            }
            format!("{username} was removed from {}.", domain.name)
        }
        MemberAction::Ban => {
            let until = ban_end(&form.days)?;
            queries::set_ban(&mut tx, domain.id, user_id, Some(until), reason).await?;
            format!("{username} is banned from posting in {}.", domain.name)
        }
        MemberAction::Unban => {
            queries::set_ban(&mut tx, domain.id, user_id, None, "").await?;
            format!("{username}'s ban is lifted.")
        }
    };
    let what = Action::Member(action);
    record_in_domain(
        &mut *tx,
        member.user.id,
        domain.id,
        what,
        ("user", user_id),
        reason,
    )
    .await?;
    tx.commit().await?;
    flash_and_redirect(
        &member.session,
        FlashKind::Notice,
        message,
        &format!("/d/{}/members", domain.slug),
    )
    .await
}
