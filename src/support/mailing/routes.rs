//! `/me/settings` (how each kind of notification is mailed) and the one-click unsubscribe links
//! every notification mail carries.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::queries::{NEVER, WEEKLY};
use super::views::{SettingsPage, UnsubscribePage, DIGEST, SUMMARY};
use super::{queries, Delivery, MailKind};
use crate::auth::{Member, Visitor};
use crate::error::{AppError, Result};
use crate::forum::watching;
use crate::web::{flash_and_redirect, FieldErrors, FlashKind, Form, Path};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/me/settings", get(settings).post(save_settings))
}

/// The unsubscribe links. A mail client posts to them with no session and no CSRF token
/// (RFC 8058 one-click), so they are served outside the CSRF check: the unguessable token in the
/// link is the credential, and all it can do is stop mail.
pub fn one_click_router() -> Router<AppState> {
    Router::new().route(
        "/unsubscribe/{token}/{what}",
        get(unsubscribe_page).post(unsubscribe),
    )
}

async fn settings(State(state): State<AppState>, member: Member) -> Result<SettingsPage> {
    Ok(SettingsPage {
        choices: queries::preferences(&state.db, member.user.id).await?,
        digest: queries::wants_digest(&state.db, member.user.id).await?,
        tags: watching::tags_of(&state.db, member.user.id).await?,
        page: member.page,
        errors: FieldErrors::default(),
    })
}

/// The settings form: one choice per kind, each named by the kind, and the digest's; every one
/// must be a known choice. A kind without one keeps what it had, the digest its default.
fn parse_settings(
    form: &HashMap<String, String>,
    current: &[(MailKind, Delivery)],
) -> (Vec<(MailKind, Delivery)>, bool, FieldErrors) {
    let mut errors = FieldErrors::default();
    let choices = current
        .iter()
        .map(
            |&(kind, was)| match form.get(kind.as_str()).and_then(|raw| Delivery::parse(raw)) {
                Some(delivery) => (kind, delivery),
                None => {
                    errors.add(kind.as_str(), "Choose one of these.");
                    (kind, was)
                }
            },
        )
        .collect();
    let digest = match form.get(DIGEST).map(String::as_str) {
        Some(WEEKLY) => true,
        Some(NEVER) => false,
        _ => {
            errors.add(DIGEST, "Choose one of these.");
            true
        }
    };
    (choices, digest, errors)
}

async fn save_settings(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response> {
    let current = queries::preferences(&state.db, member.user.id).await?;
    let (choices, digest, errors) = parse_settings(&form, &current);
    if !errors.is_empty() {
        let page = SettingsPage {
            tags: watching::tags_of(&state.db, member.user.id).await?,
            page: member.page,
            choices,
            digest,
            errors,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    queries::save_preferences(&state.db, member.user.id, &choices).await?;
    queries::save_digest(&state.db, member.user.id, digest).await?;
    flash_and_redirect(
        &member.session,
        FlashKind::Success,
        "Your email settings are saved.",
        "/me/settings",
    )
    .await
}

/// What an unsubscribe link stops: one kind, the daily summary (every kind gathered in it), or
/// the weekly digest.
enum Stops {
    Kind(MailKind),
    Summary,
    Digest,
}

impl Stops {
    fn parse(raw: &str) -> Option<Stops> {
        match raw {
            SUMMARY => Some(Stops::Summary),
            DIGEST => Some(Stops::Digest),
            _ => MailKind::parse(raw).map(Stops::Kind),
        }
    }

    fn describe(&self) -> String {
        match self {
            Stops::Kind(kind) => kind.label().to_string(),
            Stops::Summary => "The daily summary".to_string(),
            Stops::Digest => "The weekly digest of your domains".to_string(),
        }
    }
}

async fn holder(state: &AppState, token: &str, what: &str) -> Result<((i64, String), Stops)> {
    let stops = Stops::parse(what).ok_or(AppError::NotFound)?;
    let holder = queries::holder_of(&state.db, token)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((holder, stops))
}

async fn unsubscribe_page(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((token, what)): Path<(String, String)>,
) -> Result<UnsubscribePage> {
    let ((_, name), stops) = holder(&state, &token, &what).await?;
    Ok(UnsubscribePage {
        page: visitor.page,
        name,
        what: stops.describe(),
        action: Some(format!("/unsubscribe/{token}/{what}")),
    })
}

/// Turns off what the link stops: one kind, every kind gathered daily, or the digest.
async fn stop(state: &AppState, user_id: i64, stops: &Stops) -> Result<()> {
    let stopped: Vec<(MailKind, Delivery)> = match stops {
        Stops::Digest => return Ok(queries::save_digest(&state.db, user_id, false).await?),
        Stops::Kind(kind) => vec![(*kind, Delivery::Never)],
        Stops::Summary => queries::preferences(&state.db, user_id)
            .await?
            .into_iter()
            .filter(|&(_, delivery)| delivery == Delivery::Daily)
            .map(|(kind, _)| (kind, Delivery::Never))
            .collect(),
    };
    Ok(queries::save_preferences(&state.db, user_id, &stopped).await?)
}

async fn unsubscribe(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((token, what)): Path<(String, String)>,
) -> Result<UnsubscribePage> {
    let ((user_id, name), stops) = holder(&state, &token, &what).await?;
    stop(&state, user_id, &stops).await?;
    Ok(UnsubscribePage {
        page: visitor.page,
        name,
        what: stops.describe(),
        action: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_needs_a_known_choice() {
        let current: Vec<_> = MailKind::ALL
            .into_iter()
            .map(|k| (k, k.default_delivery()))
            .collect();
        let mut form: HashMap<String, String> = MailKind::ALL
            .into_iter()
            .map(|k| (k.as_str().to_string(), "never".to_string()))
            .collect();
        form.insert(DIGEST.into(), NEVER.into());
        let (choices, digest, errors) = parse_settings(&form, &current);
        assert!(errors.is_empty());
        assert!(choices.iter().all(|&(_, d)| d == Delivery::Never));
        assert!(!digest);
        form.insert("reply".into(), "hourly".into());
        form.remove("mention");
        form.remove(DIGEST);
        let (choices, digest, errors) = parse_settings(&form, &current);
        assert!(errors.get("reply").is_some() && errors.get("mention").is_some());
        assert!(
            errors.get(DIGEST).is_some() && digest,
            "the digest falls back to its default"
        );
        assert_eq!(
            choices[0],
            (MailKind::Mention, Delivery::Immediately),
            "a kind with no valid choice keeps what it had"
        );
    }
}
