//! Who is asking. Sessions live server-side in PostgreSQL (tower-sessions); the cookie holds only
//! the session id. These extractors turn a session into a `Visitor`, a `Member` or an `Admin`,
//! so a handler's signature states the permission it needs; an `Arrival` is a visitor whose
//! account may still be being checked, for a page that reads beside the check.

use std::collections::HashMap;
use std::future::Future;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::Uri;
use serde_json::Value;
use sqlx::PgPool;
use tower_sessions::Session;

use crate::error::{AppError, Result};
use crate::web::page::Theme;
use crate::web::{take_flash, CurrentUser, PageContext};
use crate::AppState;

const USER_ID: &str = "user_id";
/// The account's session epoch when this session signed in (see `queries::set_password`).
const EPOCH: &str = "epoch";
/// The day (since 1970, UTC) the session was last written to keep it alive (`keep_alive`).
const RENEWED_ON: &str = "renewed_on";
pub const CSRF: &str = "csrf";

/// Anyone, signed in or not.
pub struct Visitor {
    pub page: PageContext,
    pub session: Session,
}

/// A signed-in member whose account is not suspended.
pub struct Member {
    pub user: CurrentUser,
    pub page: PageContext,
    pub session: Session,
}

/// A site admin.
pub struct Admin(pub Member);

/// A visitor whose account is not yet confirmed: the session names the member it was signed in
/// as. Loading the session checked the account (`auth::store`) unless the session was stored
/// without it (before migration 58); then a page that reads something for that member reads it
/// while the account is checked (`Arrival::read_beside`), one round trip sooner.
pub struct Arrival {
    session: Session,
    claim: Option<Claim>,
    theme: Option<Theme>,
}

/// The account a session was signed in as, and that account's session epoch then.
#[derive(Clone, Copy)]
pub(super) struct Claim {
    pub user_id: i64,
    pub epoch: i32,
}

impl Claim {
    /// The claim a session's data makes, if it is signed in.
    pub fn of(data: &HashMap<String, Value>) -> Option<Claim> {
        Claim::from_values(data.get(USER_ID), data.get(EPOCH))
    }

    fn from_values(user_id: Option<&Value>, epoch: Option<&Value>) -> Option<Claim> {
        let epoch = epoch.map_or(Some(0), Value::as_i64)?;
        Some(Claim {
            user_id: user_id?.as_i64()?,
            epoch: i32::try_from(epoch).ok()?,
        })
    }
}

impl Arrival {
    /// The visitor, and what `read` found for them. `read` runs beside the account check for
    /// the member the session claims to be; if the account turns out unusable (suspended, its
    /// password changed), it runs again for nobody, so a page never shows a visitor what it
    /// read for a member. The claimed id is only for reading: what the viewer may do is
    /// decided from the checked `Visitor`.
    pub async fn read_beside<T, F, Fut>(self, state: &AppState, read: F) -> Result<(Visitor, T)>
    where
        F: Fn(Option<i64>) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let claimed = self.claim.map(|claim| claim.user_id);
        let (visitor, found) = tokio::try_join!(self.visitor(state), read(claimed))?;
        if claimed.is_some() && visitor.page.user.is_none() {
            return Ok((visitor, read(None).await?));
        }
        Ok((visitor, found))
    }

    /// The visitor, with the account checked: as the session loaded, or else now. On the primary
    /// even when the page reads from a replica: a suspension or a changed password ends the
    /// session at once, and presence is recorded with the check.
    pub async fn visitor(self, state: &AppState) -> Result<Visitor> {
        let user = confirm(&self.session, &state.primary, self.claim).await?;
        let csrf = self.session.get::<String>(CSRF).await?.unwrap_or_default();
        let flash = take_flash(&self.session).await?;
        Ok(Visitor {
            page: PageContext {
                user,
                csrf,
                flash,
                theme: self.theme,
            },
            session: self.session,
        })
    }
}

impl FromRequestParts<AppState> for Arrival {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self> {
        let session = session_of(parts)?;
        let claim = claim_of(&session).await?;
        Ok(Arrival {
            session,
            claim,
            theme: Theme::of(&parts.headers),
        })
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let arrival = Arrival::from_request_parts(parts, state).await?;
        arrival.visitor(state).await
    }
}

impl FromRequestParts<AppState> for Member {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let visitor = Visitor::from_request_parts(parts, state).await?;
        visitor.member(&parts.uri)
    }
}

impl Visitor {
    /// The member, if this visitor is signed in; otherwise the login page, which comes back to
    /// `uri` (the request's own).
    pub fn member(self, uri: &Uri) -> Result<Member> {
        match self.page.user.clone() {
            Some(user) => Ok(Member {
                user,
                page: self.page,
                session: self.session,
            }),
            None => Err(AppError::LoginRequired {
                next: uri
                    .path_and_query()
                    .map(|pq| pq.as_str().to_string())
                    .unwrap_or_else(|| "/".into()),
            }),
        }
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let member = Member::from_request_parts(parts, state).await?;
        if member.user.is_admin {
            Ok(Admin(member))
        } else {
            Err(AppError::Forbidden("Only site admins can do that."))
        }
    }
}

/// The member this session is signed in as, if the account may still be used. A session
/// whose account was suspended, removed or had its password changed since ends here.
pub async fn signed_in(session: &Session, db: &PgPool) -> Result<Option<CurrentUser>> {
    let claim = claim_of(session).await?;
    confirm(session, db, claim).await
}

async fn claim_of(session: &Session) -> Result<Option<Claim>> {
    let user_id = session.get::<Value>(USER_ID).await?;
    let epoch = session.get::<Value>(EPOCH).await?;
    Ok(Claim::from_values(user_id.as_ref(), epoch.as_ref()))
}

async fn confirm(
    session: &Session,
    db: &PgPool,
    claim: Option<Claim>,
) -> Result<Option<CurrentUser>> {
    let Some(claim) = claim else {
        return Ok(None);
    };
    let user = match super::store::checked_on_load(session, claim).await? {
        Some(checked) => checked,
        None => super::queries::current_user(db, claim.user_id, claim.epoch).await?,
    };
    match user {
        Some(_) => keep_alive(session).await?,
        None => session.flush().await?,
    }
    Ok(user)
}

/// A session expires 30 days after it was last written: tower-sessions counts only a change as
/// activity, not a read. A member who only reads would be signed out a month after logging in,
/// however often they came. Writing the day, once a day, moves the expiry (in the database and
/// the cookie's Max-Age) 30 days past the member's last day on the site, for one write per
/// member per day.
async fn keep_alive(session: &Session) -> Result<()> {
    let today = today();
    if session.get::<i64>(RENEWED_ON).await? != Some(today) {
        session.insert(RENEWED_ON, today).await?;
    }
    Ok(())
}

fn today() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp() / 86_400
}

/// The header's account part for a signed-in member (nothing for a visitor), without taking
/// the flash message a page after this one should show.
pub async fn account_header(session: &Session, db: &PgPool) -> Result<Option<PageContext>> {
    let Some(user) = signed_in(session, db).await? else {
        return Ok(None);
    };
    let csrf = session.get::<String>(CSRF).await?.unwrap_or_default();
    Ok(Some(PageContext {
        user: Some(user),
        csrf,
        ..PageContext::default()
    }))
}

fn session_of(parts: &Parts) -> Result<Session> {
    parts
        .extensions
        .get::<Session>()
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("the session layer is missing").into())
}

/// Signs `user_id` in. The session id changes, so an id planted before login (session
/// fixation) is worthless after it; the CSRF token changes with it.
pub async fn log_in(session: &Session, user_id: i64, epoch: i32) -> Result<()> {
    session.cycle_id().await?;
    super::store::forget_check(session).await?;
    session.insert(USER_ID, user_id).await?;
    session.insert(EPOCH, epoch).await?;
    session.insert(RENEWED_ON, today()).await?;
    session.insert(CSRF, super::csrf::new_token()).await?;
    Ok(())
}

/// Ends the session on the server: the cookie that named it no longer works.
pub async fn log_out(session: &Session) -> Result<()> {
    session.flush().await?;
    Ok(())
}

/// The CSRF token for a visitor's form, creating the session that holds it if need be.
pub async fn ensure_csrf(session: &Session) -> Result<String> {
    if let Some(token) = session.get::<String>(CSRF).await? {
        return Ok(token);
    }
    let token = super::csrf::new_token();
    session.insert(CSRF, token.clone()).await?;
    Ok(token)
}
