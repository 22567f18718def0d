//! What every page shares: the page context the layout renders (`page`: who is signed in, the
//! CSRF token for the page's forms, flash messages, view helpers), typed URL paths (`path`),
//! flash messages, field errors, static assets, and the NUL guard.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::error::{AppError, Result};

pub mod admission;
pub mod connections;
pub mod extract;
pub mod page;
pub mod page_cache;
pub mod path;
pub mod read_split;
pub mod request_log;
pub mod submission;

pub use extract::{Form, FormFile, FormWithFiles, Query};
pub use page::{
    ago, asset_url, count, datetime_local, exact, hue, initials, iso, parse_datetime_local,
    path_segment, safe_next, take_beyond, url_encode, CurrentUser, Flash, FlashKind, PageContext,
};
pub use path::Path;

/// The largest form body the server reads (Markdown posts are at most 100 000 characters, and
/// percent-encoding can triple them).
pub const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;
/// A form with files: room for a few attachments past the limit, so that a file too large is
/// answered in the form, with the member's text kept, rather than by the too-large page.
pub const MAX_MULTIPART_BYTES: usize = 16 * 1024 * 1024;

const FLASH_KEY: &str = "flash";

/// Queues a message for the next page this member sees (after a POST/redirect).
/// `bytes` random bytes from the operating system, as lowercase hex: the secret in a link, a
/// token or a key.
pub fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buffer = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buffer);
    buffer.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn flash(session: &Session, kind: FlashKind, message: impl Into<String>) -> Result<()> {
    let mut queued: Vec<Flash> = session.get(FLASH_KEY).await?.unwrap_or_default();
    queued.push(Flash {
        kind,
        message: message.into(),
    });
    session.insert(FLASH_KEY, queued).await?;
    Ok(())
}

/// The end of most form handlers (POST/redirect/GET): a message for the next page, then a 303
/// to it.
pub async fn flash_and_redirect(
    session: &Session,
    kind: FlashKind,
    message: impl Into<String>,
    to: &str,
) -> Result<Response> {
    flash(session, kind, message).await?;
    Ok(axum::response::Redirect::to(to).into_response())
}

/// `?before=…`: where a keyset-paged list continues.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Before {
    pub before: Option<String>,
}

/// Takes the queued messages. Reads first, so a session with none is not rewritten.
pub async fn take_flash(session: &Session) -> Result<Vec<Flash>> {
    match session.get::<Vec<Flash>>(FLASH_KEY).await? {
        Some(queued) => {
            session.remove::<Vec<Flash>>(FLASH_KEY).await?;
            Ok(queued)
        }
        None => Ok(Vec::new()),
    }
}

/// Queues again the messages a page took but does not show: a redirect passing a member on
/// (the `/p/{id}` permalink) must not swallow the message meant for the page it leads to.
pub async fn pass_flash_on(session: &Session, taken: Vec<Flash>) -> Result<()> {
    if !taken.is_empty() {
        session.insert(FLASH_KEY, taken).await?;
    }
    Ok(())
}

/// Problems with a submitted form, each next to its field.
#[derive(Clone, Debug, Default)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// The problems a form parser found, each next to its field.
    pub fn from_problems(problems: &[(&'static str, &'static str)]) -> Self {
        let mut errors = FieldErrors::default();
        for (field, message) in problems {
            errors.add(field, *message);
        }
        errors
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records the problem from a parse result and keeps the value, if any.
    pub fn check<T>(
        &mut self,
        field: &'static str,
        parsed: Result<T, impl Into<String>>,
    ) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }
}

pub async fn static_asset(
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Result<Response> {
    let asset = page::ASSETS
        .iter()
        .find(|a| a.name == name)
        .ok_or(AppError::NotFound)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(asset.content_type),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
        ],
        asset.body,
    )
        .into_response())
}

/// PostgreSQL text cannot hold a NUL character, and no person types one. Requests carrying one
/// in the URL or a form body get a clear 400 here, instead of a database error later.
pub async fn refuse_nul(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let refused = || {
        AppError::BadRequest(
            "The request contained a NUL character, which this site does not accept.".into(),
        )
        .into_response()
    };
    let uri = request.uri().to_string();
    if uri.contains("%00") || uri.contains('\0') {
        return refused();
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return AppError::PayloadTooLarge.into_response();
    };
    if bytes.windows(3).any(|w| w == b"%00") || bytes.contains(&0) {
        return refused();
    }
    next.run(axum::extract::Request::from_parts(
        parts,
        axum::body::Body::from(bytes),
    ))
    .await
}

/// Whether the request names a session: the member's own pages, or a visitor's forms.
pub fn carries_session(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|cookies| cookies.contains(crate::app::SESSION_COOKIE))
}

/// Pages for a session are never stored by a browser or anything between (a shared computer's
/// back button, a proxy); other pages may be kept but are checked again each time. Static
/// assets set their own long-lived policy.
pub async fn cache_policy(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let policy = if carries_session(request.headers()) {
        "no-store"
    } else {
        "private, no-cache"
    };
    let mut response = next.run(request).await;
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/d/gardening")), "/d/gardening");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn iso_times_are_valid_html_datetimes() {
        let at = time::macros::datetime!(2026-11-22 10:00:00.123456 +02:00);
        assert_eq!(iso(&at), "2026-11-22T08:00:00Z");
    }

    #[test]
    fn asset_urls_carry_a_version() {
        assert!(asset_url("style.css").starts_with("/static/style.css?v="));
    }
}
