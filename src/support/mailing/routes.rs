//! `/me/settings` (how each kind of notification is mailed) and the one-click unsubscribe links
//! every notification mail carries.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::views::{SettingsPage, UnsubscribePage, SUMMARY};
use super::{queries, Delivery, MailKind};
use crate::auth::{Member, Visitor};
use crate::error::{AppError, Result};
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
        page: member.page,
        errors: FieldErrors::default(),
    })
}

/// One choice per kind, each named by the kind; every kind must have a known choice.
fn parse_choices(
    form: &HashMap<String, String>,
    current: &[(MailKind, Delivery)],
) -> (Vec<(MailKind, Delivery)>, FieldErrors) {
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
    (choices, errors)
}

async fn save_settings(
    State(state): State<AppState>,
    member: Member,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response> {
    let current = queries::preferences(&state.db, member.user.id).await?;
    let (choices, errors) = parse_choices(&form, &current);
    if !errors.is_empty() {
        let page = SettingsPage {
            page: member.page,
            choices,
            errors,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    queries::save_preferences(&state.db, member.user.id, &choices).await?;
    flash_and_redirect(
        &member.session,
        FlashKind::Success,
        "Your email settings are saved.",
        "/me/settings",
    )
    .await
}

/// What an unsubscribe link stops: one kind, or the daily summary (every kind gathered in it).
enum Stops {
    Kind(MailKind),
    Summary,
}

impl Stops {
    fn parse(raw: &str) -> Option<Stops> {
        match raw {
            SUMMARY => Some(Stops::Summary),
            _ => MailKind::parse(raw).map(Stops::Kind),
        }
    }

    fn describe(&self) -> String {
        match self {
            Stops::Kind(kind) => kind.label().to_string(),
            Stops::Summary => "The daily summary".to_string(),
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

async fn unsubscribe(
    State(state): State<AppState>,
    visitor: Visitor,
    Path((token, what)): Path<(String, String)>,
) -> Result<UnsubscribePage> {
    let ((user_id, name), stops) = holder(&state, &token, &what).await?;
    let current = queries::preferences(&state.db, user_id).await?;
    let stopped: Vec<(MailKind, Delivery)> = current
        .into_iter()
        .filter(|&(kind, delivery)| match stops {
            Stops::Kind(stopped) => kind == stopped,
            Stops::Summary => delivery == Delivery::Daily,
        })
        .map(|(kind, _)| (kind, Delivery::Never))
        .collect();
    queries::save_preferences(&state.db, user_id, &stopped).await?;
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
        let (choices, errors) = parse_choices(&form, &current);
        assert!(errors.is_empty());
        assert!(choices.iter().all(|&(_, d)| d == Delivery::Never));
        form.insert("reply".into(), "hourly".into());
        form.remove("mention");
        let (choices, errors) = parse_choices(&form, &current);
        assert!(errors.get("reply").is_some() && errors.get("mention").is_some());
        assert_eq!(
            choices[0],
            (MailKind::Mention, Delivery::Immediately),
            "a kind with no valid choice keeps what it had"
        );
    }
}
