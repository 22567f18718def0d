//! Invitations to a domain by email. An admin invites addresses from the domain's admin page;
//! each gets a link (`/invite/{token}`, two weeks, used once, only its hash stored). Someone
//! new chooses a username and password there (the link proves the address, so it is confirmed)
//! and lands in the domain, signed in; someone whose address already has an account joins the
//! domain with one click and logs in as usual.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::PgConnection;

use super::fields::{AccountFields, Email};
use super::queries::{self, Conflict};
use super::reset::{hash_token, LinkGonePage};
use super::session::{ensure_csrf, log_in};
use super::Visitor;
use crate::error::Result;
use crate::mail::Outgoing;
use crate::web::{
    flash_and_redirect, url_encode, CurrentUser, FieldErrors, FlashKind, Form, PageContext, Path,
};
use crate::{AppState, Config};

/// How long an invitation link works.
const VALID_DAYS: i32 = 14;

/// The domain someone is invited to.
pub struct InvitedTo<'a> {
    pub id: i64,
    pub slug: &'a str,
    pub name: &'a str,
}

/// Who the invitation comes from, as the message names them: an admin or facilitator, or
/// the site itself (a community file loaded from the command line).
#[derive(Clone, Copy)]
pub struct Inviter<'a> {
    pub id: Option<i64>,
    pub name: &'a str,
}

impl<'a> Inviter<'a> {
    /// A signed-in person (an admin) inviting in their own name.
    pub fn member(user: &'a CurrentUser) -> Inviter<'a> {
        Inviter {
            id: Some(user.id),
            name: &user.display_name,
        }
    }
}

/// What the invitation message says.
pub struct InviteMail {
    pub inviter: String,
    pub domain: String,
    pub link: String,
    pub site: String,
}

#[derive(Template)]
#[template(path = "auth/invite_mail.txt", whitespace = "preserve")]
struct InviteText<'a> {
    mail: &'a InviteMail,
}

#[derive(Template)]
#[template(path = "auth/invite_mail.html")]
struct InviteHtml<'a> {
    mail: &'a InviteMail,
}

/// Writes an invitation for `email` to `domain` and queues its message, in the caller's
/// transaction. A newer invitation of the same address to the same domain replaces the older.
pub async fn invite(
    tx: &mut PgConnection,
    config: &Config,
    domain: &InvitedTo<'_>,
    email: &Email,
    inviter: Inviter<'_>,
) -> Result<()> {
    let token = super::csrf::new_token();
    sqlx::query(
        "WITH replaced AS (DELETE FROM invitations
                            WHERE lower(email) = lower($2) AND domain_id = $3 AND accepted_at IS NULL)
         INSERT INTO invitations (token_hash, email, domain_id, invited_by, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(days => $5))",
    )
    .bind(hash_token(&token))
    .bind(email.as_str())
    .bind(domain.id)
    .bind(inviter.id)
    .bind(VALID_DAYS)
    .execute(&mut *tx)
    .await?;
    let mail = InviteMail {
        inviter: inviter.name.to_string(),
        domain: domain.name.to_string(),
        link: format!("{}/invite/{token}", config.base_url),
        site: config.base_url.clone(),
    };
    let outgoing = Outgoing {
        user_id: None,
        to_address: email.as_str().to_string(),
        subject: format!(
            "{} invites you to {} on Commonplace",
            mail.inviter, mail.domain
        ),
        text_body: InviteText { mail: &mail }
            .render()
            .map_err(anyhow::Error::from)?,
        html_body: InviteHtml { mail: &mail }
            .render()
            .map_err(anyhow::Error::from)?,
        list: None,
    };
    crate::mail::send(tx, config, &outgoing).await?;
    Ok(())
}

/// Whether `email` need not be invited to the domain again: an invitation to it is still
/// waiting, or the address's account is already a member.
pub async fn already_invited(
    tx: &mut PgConnection,
    domain_id: i64,
    email: &Email,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM invitations
                         WHERE domain_id = $1 AND lower(email) = lower($2)
                           AND accepted_at IS NULL AND expires_at > now())
             OR EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
                         WHERE m.domain_id = $1 AND lower(u.email) = lower($2))",
    )
    .bind(domain_id)
    .bind(email.as_str())
    .fetch_one(tx)
    .await
}

/// A live invitation: its id, the address, and the domain's id, slug and name.
#[derive(sqlx::FromRow)]
struct Invitation {
    id: i64,
    email: String,
    domain_id: i64,
    domain_slug: String,
    domain_name: String,
    /// The account the address already has, if any.
    account: Option<i64>,
}

async fn live_invitation(db: &sqlx::PgPool, token: &str) -> sqlx::Result<Option<Invitation>> {
    sqlx::query_as(
        "SELECT i.id, i.email, i.domain_id, d.slug AS domain_slug, d.name AS domain_name,
                (SELECT u.id FROM users u WHERE lower(u.email) = lower(i.email)) AS account
           FROM invitations i JOIN domains d ON d.id = i.domain_id
          WHERE i.token_hash = $1 AND i.accepted_at IS NULL AND i.expires_at > now()
            AND d.archived_at IS NULL",
    )
    .bind(hash_token(token))
    .fetch_optional(db)
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AcceptForm {
    pub username: String,
    pub display_name: String,
    pub password: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/invitation.html")]
pub struct InvitationPage {
    pub page: PageContext,
    pub domain_name: String,
    pub email: String,
    /// The address already has an account: joining is one click.
    pub has_account: bool,
    pub action: String,
    pub form: AcceptForm,
    pub errors: FieldErrors,
}

fn gone(visitor: Visitor) -> Response {
    let page = LinkGonePage { page: visitor.page };
    (StatusCode::NOT_FOUND, page).into_response()
}

/// `/invite/{token}`: the form that accepts it.
pub async fn invitation(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
) -> Result<Response> {
    let Some(invitation) = live_invitation(&state.db, &token).await? else {
        return Ok(gone(visitor));
    };
    // A visitor's first form: the session gets its token now.
    let mut page = visitor.page;
    page.csrf = ensure_csrf(&visitor.session).await?;
    let page = InvitationPage {
        page,
        domain_name: invitation.domain_name,
        email: invitation.email,
        has_account: invitation.account.is_some(),
        action: format!("/invite/{token}"),
        form: AcceptForm::default(),
        errors: FieldErrors::default(),
    };
    Ok(page.into_response())
}

/// Accepts an invitation: joins the existing account to the domain (and asks it to log in), or
/// makes the new account, joins it, signs it in and lands it in the domain.
pub async fn accept(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
    Form(form): Form<AcceptForm>,
) -> Result<Response> {
    let Some(invitation) = live_invitation(&state.db, &token).await? else {
        return Ok(gone(visitor));
    };
    let landing = format!("/d/{}", invitation.domain_slug);
    if let Some(account) = invitation.account {
        let mut tx = state.db.begin().await?;
        if !use_invitation(&mut tx, &invitation, account).await? {
            return Ok(gone(visitor));
        }
        tx.commit().await?;
        let signed_in_as_it = visitor.page.user.as_ref().is_some_and(|u| u.id == account);
        let next = if signed_in_as_it {
            landing
        } else {
            format!("/login?next={}", url_encode(&landing))
        };
        let message = format!("You are a member of {} now.", invitation.domain_name);
        return flash_and_redirect(&visitor.session, FlashKind::Success, message, &next).await;
    }

    let mut errors = FieldErrors::default();
    let account = AccountFields::parse(
        &mut errors,
        &form.username,
        &form.display_name,
        &form.password,
    );
    let (
        Some(AccountFields {
            username,
            display_name: display,
            password,
        }),
        true,
    ) = (account, errors.is_empty())
    else {
        return Ok(refill(visitor, invitation, token, form, errors));
    };
    let hash = super::password::hash(password.expose().to_string()).await?;
    let mut tx = state.db.begin().await?;
    let created = queries::create_user(
        &mut *tx,
        username.as_str(),
        &display,
        &invitation.email,
        &hash,
        false,
        true,
    )
    .await?;
    let user_id = match created {
        Ok(id) => id,
        Err(Conflict::Username) => {
            errors.add("username", "That username is taken. Try another.");
            return Ok(refill(visitor, invitation, token, form, errors));
        }
        // The address got an account since the page was shown: accept as that account.
        Err(Conflict::Email) => return Ok(gone(visitor)),
    };
    if !use_invitation(&mut tx, &invitation, user_id).await? {
        return Ok(gone(visitor));
    }
    tx.commit().await?;
    // A new account starts at session epoch 0 (the column's default).
    log_in(&visitor.session, user_id, 0).await?;
    flash_and_redirect(
        &visitor.session,
        FlashKind::Success,
        format!(
            "Welcome to {}, {display}. Start by introducing yourself in its introductions thread.",
            invitation.domain_name
        ),
        &landing,
    )
    .await
}

/// Marks the invitation used and joins `user_id` to its domain; false if another request used
/// it first.
async fn use_invitation(
    tx: &mut PgConnection,
    invitation: &Invitation,
    user_id: i64,
) -> Result<bool> {
    let used = sqlx::query(
        "UPDATE invitations SET accepted_at = now(), accepted_by = $2
          WHERE id = $1 AND accepted_at IS NULL",
    )
    .bind(invitation.id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if used {
        sqlx::query(
            "INSERT INTO memberships (domain_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(invitation.domain_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(used)
}

/// The form again with the problems beside their fields; the password is never sent back.
fn refill(
    visitor: Visitor,
    invitation: Invitation,
    token: String,
    mut form: AcceptForm,
    errors: FieldErrors,
) -> Response {
    form.password.clear();
    let page = InvitationPage {
        page: visitor.page,
        domain_name: invitation.domain_name,
        email: invitation.email,
        has_account: false,
        action: format!("/invite/{token}"),
        form,
        errors,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}
