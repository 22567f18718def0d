//! The one error type. Each variant is an HTTP outcome with a human page; internal causes are
//! logged once, here, and never shown to the member.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use tower_sessions::Session;

use crate::web::page::PageContext;
use crate::AppState;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Only for signed-in members; carries the path to come back to after logging in.
    #[error("login required")]
    LoginRequired { next: String },
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("too many attempts")]
    TooManyRequests,
    #[error("request too large")]
    PayloadTooLarge,
    /// The server cannot take this request now (a bounded queue is full, or a search ran past
    /// its time): 503 with Retry-After, never a pile-up.
    #[error("busy: {0}")]
    Busy(&'static str),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("session error: {0}")]
    Session(#[from] tower_sessions::session::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What the busy page says when the server, not one search, is out of capacity.
pub const OVERLOADED: &str = "The site has more visitors than it can serve this moment. Please \
                              try again in a few seconds.";

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: PageContext,
    status: u16,
    heading: &'static str,
    message: String,
}

impl AppError {
    fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_) | AppError::Session(_) | AppError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// What the busy page says while PostgreSQL cannot be reached.
pub const DATABASE_AWAY: &str = "The site cannot reach its database this moment. Nothing you \
                                 sent was saved by this attempt; please try again in a few \
                                 seconds.";

impl AppError {
    /// Whether the database could not be reached at all (stopped, restarting, the network
    /// gone), as opposed to a query that failed: the first is a passing outage, the second a bug.
    fn database_unreachable(&self) -> bool {
        match self {
            AppError::Database(err) => match err {
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed => true,
                // connection_exception, operator_intervention (shutting down, starting up),
                // too_many_connections
                sqlx::Error::Database(db) => db.code().is_some_and(|code| {
                    code.starts_with("08") || code.starts_with("57P") || code == "53300"
                }),
                _ => false,
            },
            // Sessions live in PostgreSQL too; the store reports its database failures as
            // `Backend` text (a session that cannot be decoded is a bug, not an outage).
            AppError::Session(tower_sessions::session::Error::Store(
                tower_sessions::session_store::Error::Backend(_),
            )) => true,
            _ => false,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        // Every database connection stayed busy for the pool's whole wait: an overload, not a fault.
        if matches!(self, AppError::Database(sqlx::Error::PoolTimedOut)) {
            return AppError::Busy(OVERLOADED).into_response();
        }
        if self.database_unreachable() {
            tracing::warn!(error = %self, "the database is out of reach");
            return AppError::Busy(DATABASE_AWAY).into_response();
        }
        let status = self.status();
        let (heading, message) = match &self {
            AppError::LoginRequired { next } => {
                let target = format!("/login?next={}", crate::web::page::url_encode(next));
                return Redirect::to(&target).into_response();
            }
            AppError::NotFound => (
                "Page not found",
                "There is nothing here. It may have been moved, or it may be in a private domain."
                    .to_string(),
            ),
            AppError::Forbidden(why) => ("Not allowed", why.to_string()),
            AppError::Busy(why) => {
                let mut page = error_page(status, "Busy right now", why.to_string());
                page.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("5"),
                );
                return page;
            }
            AppError::BadRequest(why) => ("That request did not make sense", why.clone()),
            AppError::TooManyRequests => (
                "Too many attempts",
                "There have been too many attempts from your address or on this account. \
                 Please wait fifteen minutes and try again."
                    .to_string(),
            ),
            AppError::PayloadTooLarge => (
                "Too large",
                "What you sent is larger than this site accepts.".to_string(),
            ),
            AppError::Database(_) | AppError::Session(_) | AppError::Internal(_) => {
                tracing::error!(error = %self, "request failed");
                (
                    "Something went wrong",
                    "The server could not finish this request. Nothing you typed was saved by \
                     this attempt; please go back and try again."
                        .to_string(),
                )
            }
        };
        error_page(status, heading, message)
    }
}

/// Renders the error page. Also used by the panic handler, so it must not fail.
///
/// It is made where the session is out of reach, so it is drawn for a visitor and says what it
/// said on the response; `with_account` draws it again for a signed-in member.
pub fn error_page(status: StatusCode, heading: &'static str, message: String) -> Response {
    let shown = ErrorShown {
        status,
        heading,
        message,
    };
    let mut response = shown.render(PageContext::default());
    response.extensions_mut().insert(shown);
    response
}

/// What an error page says.
#[derive(Clone)]
struct ErrorShown {
    status: StatusCode,
    heading: &'static str,
    message: String,
}

impl ErrorShown {
    fn render(&self, page: PageContext) -> Response {
        let html = ErrorPage {
            page,
            status: self.status.as_u16(),
            heading: self.heading,
            message: self.message.clone(),
        }
        .render();
        match html {
            Ok(html) => (self.status, Html(html)).into_response(),
            Err(_) => {
                let text = [(header::CONTENT_TYPE, "text/plain")];
                (self.status, text, self.heading).into_response()
            }
        }
    }
}

/// Draws an error page again with the account header when a member is signed in, so a 403 or
/// a 404 does not make them look signed out, and in the theme the browser chose. Runs inside
/// the session layer.
pub async fn with_account(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let session = request.extensions().get::<Session>().cloned();
    let theme = crate::web::page::Theme::of(request.headers());
    let response = next.run(request).await;
    let Some(shown) = response.extensions().get::<ErrorShown>().cloned() else {
        return response;
    };
    let account = match &session {
        Some(session) => crate::auth::session::account_header(session, &state.primary)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    // In the colours the visitor chose, too.
    let page = match (account, theme) {
        (Some(page), theme) => PageContext { theme, ..page },
        (None, Some(theme)) => PageContext {
            theme: Some(theme),
            ..PageContext::default()
        },
        (None, None) => return response,
    };
    let (mut parts, _) = response.into_parts();
    let (_, body) = shown.render(page).into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, body)
}
