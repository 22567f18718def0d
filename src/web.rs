//! What every page shares: the page context the layout renders (who is signed in, the CSRF
//! token for the page's forms, flash messages), static assets, and small view helpers.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::Session;

use crate::error::{AppError, Result};

/// The signed-in member, as the layout and permission checks need them.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub is_admin: bool,
    pub unread_notifications: i64,
}

/// What the layout needs on every page.
#[derive(Clone, Debug, Default)]
pub struct PageContext {
    pub user: Option<CurrentUser>,
    /// Empty for visitors without a session; pages with forms for visitors ask for one.
    pub csrf: String,
    pub flash: Vec<Flash>,
}

impl PageContext {
    pub fn asset(&self, name: &str) -> String {
        asset_url(name)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FlashKind {
    Success,
    Notice,
}

impl std::fmt::Display for FlashKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            FlashKind::Success => "success",
            FlashKind::Notice => "notice",
        })
    }
}

const FLASH_KEY: &str = "flash";

/// Queues a message for the next page this member sees (after a POST/redirect).
pub async fn flash(session: &Session, kind: FlashKind, message: impl Into<String>) -> Result<()> {
    let mut queued: Vec<Flash> = session.get(FLASH_KEY).await?.unwrap_or_default();
    queued.push(Flash {
        kind,
        message: message.into(),
    });
    session.insert(FLASH_KEY, queued).await?;
    Ok(())
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
    pub fn check<T>(&mut self, field: &'static str, parsed: Result<T, &'static str>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }
}

/// Static files are compiled into the binary, so the server is one file to deploy and never
/// depends on a CDN. URLs carry a content hash, so browsers may cache them for a year.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "style.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../static/style.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("../static/favicon.svg"),
    },
    Asset {
        name: "commonplace.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../static/commonplace.js"),
    },
];

static ASSET_VERSIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| format!("{:08x}", fnv1a(asset.body) as u32))
        .collect()
});

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x100000001b3)
    })
}

pub fn asset_url(name: &str) -> String {
    match ASSETS.iter().position(|a| a.name == name) {
        Some(i) => format!("/static/{name}?v={}", ASSET_VERSIONS[i]),
        None => format!("/static/{name}"),
    }
}

pub async fn static_asset(Path(name): Path<String>) -> Result<Response> {
    let asset = ASSETS
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

/// Percent-encodes a query-string value.
pub fn url_encode(value: &str) -> String {
    serde_urlencoded::to_string([("", value)])
        .map(|s| s.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

/// A `next` parameter is only followed to a path on this site: `//evil.example` and
/// `https://…` are open redirects.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

/// "3 hours ago"-style times for lists; the exact time is in the element's title.
pub fn ago(at: &OffsetDateTime) -> String {
    let seconds = (OffsetDateTime::now_utc() - *at).whole_seconds();
    match seconds {
        s if s < 60 => "just now".into(),
        s if s < 3600 => plural(s / 60, "minute"),
        s if s < 86_400 => plural(s / 3600, "hour"),
        s if s < 86_400 * 30 => plural(s / 86_400, "day"),
        s if s < 86_400 * 365 => plural(s / (86_400 * 30), "month"),
        s => plural(s / (86_400 * 365), "year"),
    }
}

fn plural(n: i64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit} ago")
    } else {
        format!("{n} {unit}s ago")
    }
}

/// Machine-readable time for `<time datetime>`: UTC, whole seconds (HTML allows at most three
/// fractional digits; PostgreSQL keeps six).
pub fn iso(at: &OffsetDateTime) -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
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
    let Ok(bytes) = axum::body::to_bytes(body, crate::auth::csrf::MAX_FORM_BYTES).await else {
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
