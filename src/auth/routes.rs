//! /login, /register, /logout.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;

use super::confirm::{self, Recipient};
use super::fields::{AccountFields, Email, NewPassword};
use super::queries::{self, Conflict};
use super::rate_limit::{self, ClientIp, Limit};
use super::session::{ensure_csrf, log_in, log_out};
use super::views::{
    CheckMailPage, LoginForm, LoginPage, PasswordForm, PasswordPage, RegisterForm, RegisterPage,
};
use super::{Member, Visitor};
use crate::error::{AppError, Result};
use crate::web::{flash_and_redirect, safe_next, FieldErrors, FlashKind, Form, Query};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/register", get(register_form).post(register))
        .route("/logout", post(logout))
        .route("/me/password", get(password_form).post(change_password))
        .route(
            "/forgot",
            get(super::forgot::form).post(super::forgot::send),
        )
        .route(
            "/reset/{token}",
            get(super::reset::form).post(super::reset::reset),
        )
        .route("/confirm/{token}", get(super::confirm::confirm))
        .route(
            "/invite/{token}",
            get(super::invitation::invitation).post(super::invitation::accept),
        )
        .merge(super::appearance::router())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NextParam {
    next: Option<String>,
}

async fn login_form(visitor: Visitor, Query(q): Query<NextParam>) -> Result<Response> {
    if visitor.page.user.is_some() {
        return Ok(Redirect::to(&safe_next(q.next.as_deref())).into_response());
    }
    let mut page = visitor.page;
    page.csrf = ensure_csrf(&visitor.session).await?;
    Ok(LoginPage {
        page,
        login: String::new(),
        next: safe_next(q.next.as_deref()),
        error: None,
    }
    .into_response())
}

/// The same answer for an unknown account and a wrong password, so the form cannot be used to
/// find out who has an account here.
const LOGIN_FAILED: &str = "That username or email and password do not match an account here.";

async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    visitor: Visitor,
    Form(form): Form<LoginForm>,
) -> Result<Response> {
    let account = form.login.trim().to_string();
    // Counted before hashing, so a burst of tries is refused before it costs a hash each.
    let buckets = rate_limit::login_buckets(&account, ip);
    let spent = rate_limit::spend(&state.db, &state.config, &buckets).await?;
    let candidate = queries::login_candidate(&state.db, &account).await?;
    let stored = candidate.as_ref().map(|c| c.password_hash.clone());
    let matches = super::password::verify(stored, form.password.clone()).await?;
    let failure = match &candidate {
        Some(user) if matches => match user.suspended_until {
            Some(until) if until > time::OffsetDateTime::now_utc() => {
                Some(suspension_notice(until))
            }
            _ if user.unconfirmed => Some(resend_confirmation(&state, user).await?),
            _ => None,
        },
        _ => Some(LOGIN_FAILED.to_string()),
    };
    let Some(user) = candidate.filter(|_| failure.is_none()) else {
        let page = LoginPage {
            page: visitor.page,
            login: form.login,
            next: safe_next(Some(&form.next)),
            error: failure,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    rate_limit::refund(&state.db, spent).await?;
    log_in(&visitor.session, user.id, user.session_epoch).await?;
    flash_and_redirect(
        &visitor.session,
        FlashKind::Success,
        "You are logged in.",
        &safe_next(Some(&form.next)),
    )
    .await
}

/// The right password for an account whose address is not confirmed yet: a fresh link goes to
/// it (the password proved who is asking, and the login limits count each try).
async fn resend_confirmation(state: &AppState, user: &queries::LoginCandidate) -> Result<String> {
    let mut tx = state.db.begin().await?;
    let to = Recipient {
        id: user.id,
        username: &user.username,
        display_name: &user.display_name,
        email: &user.email,
    };
    confirm::send_link(&mut tx, state, &to).await?;
    tx.commit().await?;
    Ok(format!(
        "Confirm your address first: we have sent a new link to {}. It works for a day.",
        user.email
    ))
}

fn suspension_notice(until: time::OffsetDateTime) -> String {
    if until.year() >= 9999 {
        "This account is suspended.".to_string()
    } else {
        format!("This account is suspended until {}.", until.date())
    }
}

async fn register_form(visitor: Visitor, Query(q): Query<NextParam>) -> Result<Response> {
    if visitor.page.user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let mut page = visitor.page;
    page.csrf = ensure_csrf(&visitor.session).await?;
    let form = RegisterForm {
        next: safe_next(q.next.as_deref()),
        ..RegisterForm::default()
    };
    Ok(RegisterPage {
        page,
        form,
        errors: FieldErrors::default(),
    }
    .into_response())
}

async fn register(
    State(state): State<AppState>,
    ip: ClientIp,
    visitor: Visitor,
    Form(form): Form<RegisterForm>,
) -> Result<Response> {
    let mut errors = FieldErrors::default();
    let email = errors.check("email", Email::parse(&form.email));
    let account = AccountFields::parse(
        &mut errors,
        &form.username,
        &form.display_name,
        &form.password,
    );
    let (
        Some(email),
        Some(AccountFields {
            username,
            display_name: display,
            password,
        }),
        true,
    ) = (email, account, errors.is_empty())
    else {
        return Ok(refill(visitor, form, errors));
    };
    rate_limit::spend(
        &state.db,
        &state.config,
        &[(Limit::Registration, ip.0.to_string())],
    )
    .await?;
    let hash = super::password::hash(password.expose().to_string()).await?;
    let mut tx = state.db.begin().await?;
    let created = queries::create_user(
        &mut *tx,
        username.as_str(),
        &display,
        email.as_str(),
        &hash,
        false,
        false,
    )
    .await?;
    match created {
        Ok(id) => {
            let to = Recipient {
                id,
                username: username.as_str(),
                display_name: &display,
                email: email.as_str(),
            };
            confirm::send_link(&mut tx, &state, &to).await?;
            tx.commit().await?;
        }
        Err(Conflict::Username) => {
            errors.add("username", "That username is taken. Try another.");
            return Ok(refill(visitor, form, errors));
        }
        // The address has an account: its owner hears of it, and this page says what it says
        // for a new address, so the form does not tell who is a member.
        Err(Conflict::Email) => {
            drop(tx);
            if let Some(owner) = queries::login_candidate(&state.db, email.as_str()).await? {
                let mut tx = state.db.begin().await?;
                let to = Recipient {
                    id: owner.id,
                    username: &owner.username,
                    display_name: &owner.display_name,
                    email: &owner.email,
                };
                confirm::send_already_registered(&mut tx, &state, &to).await?;
                tx.commit().await?;
            }
        }
    }
    let page = CheckMailPage {
        page: visitor.page,
        email: email.as_str().to_string(),
    };
    Ok(page.into_response())
}

/// The form again, with everything but the password kept and each problem beside its field.
fn refill(visitor: Visitor, mut form: RegisterForm, errors: FieldErrors) -> Response {
    form.password.clear();
    let page = RegisterPage {
        page: visitor.page,
        form,
        errors,
    };
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

async fn logout(visitor: Visitor) -> Result<Response> {
    if visitor.page.user.is_none() {
        return Err(AppError::BadRequest("You are not logged in.".into()));
    }
    log_out(&visitor.session).await?;
    Ok(Redirect::to("/").into_response())
}

async fn password_form(member: Member) -> PasswordPage {
    PasswordPage {
        page: member.page,
        errors: FieldErrors::default(),
    }
}

/// Changes the password after checking the current one (counted like a login, so the form
/// cannot be used to guess it), then signs out every other session of the account.
async fn change_password(
    State(state): State<AppState>,
    ip: ClientIp,
    member: Member,
    Form(form): Form<PasswordForm>,
) -> Result<Response> {
    let mut errors = FieldErrors::default();
    let new = errors.check(
        "password",
        NewPassword::parse(&form.password, &member.user.username),
    );
    let buckets = rate_limit::login_buckets(&member.user.username, ip);
    let spent = rate_limit::spend(&state.db, &state.config, &buckets).await?;
    let stored = queries::password_hash(&state.db, member.user.id).await?;
    if !super::password::verify(Some(stored), form.current).await? {
        errors.add("current", "That is not your current password.");
    }
    let (Some(new), true) = (new, errors.is_empty()) else {
        let page = PasswordPage {
            page: member.page,
            errors,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    };
    rate_limit::refund(&state.db, spent).await?;
    let hash = super::password::hash(new.expose().to_string()).await?;
    let epoch = queries::set_password(&state.db, member.user.id, &hash).await?;
    log_in(&member.session, member.user.id, epoch).await?;
    flash_and_redirect(
        &member.session,
        FlashKind::Success,
        "Your password is changed. Every other session of your account is signed out.",
        &format!("/u/{}", member.user.username),
    )
    .await
}
