//! The whole public surface in one place: every module's routes, then one middleware stack.

use std::any::Any;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::CompressionLevel;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::error::{error_page, AppError};
use crate::{
    admin, auth, cultivate, educate, encourage, forum, integrate, live, metrics, moderation, pages,
    support, uploads, web, AppState,
};

pub const SESSION_COOKIE: &str = "commonplace_session";

/// Pages may use our own scripts, styles and fonts; images may also come from https sites
/// (Markdown images). Nothing may frame us, and forms post only here.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' https: data:; \
    style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; \
    frame-ancestors 'none'; form-action 'self'";

/// No page needs the camera, microphone, location, payments or USB.
const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

/// Every route; with a read replica, every route twice, and `web::read_split` in front to
/// choose which copy serves each request.
pub fn router(state: AppState) -> Router {
    let Some(replica) = state.replica.clone() else {
        return routes(state);
    };
    web::read_split::router(web::read_split::ReadSplit {
        reading: routes(state.reading_from(&replica)),
        replica,
        primary: state.primary.clone(),
        pages: state.pages.clone(),
        metrics: state.metrics.clone(),
        secure_cookies: state.config.secure_cookies(),
        writing: routes(state),
    })
}

fn routes(state: AppState) -> Router {
    // Always on the primary: a session made by one request must be found by the next.
    let sessions = SessionManagerLayer::new(auth::store::SessionRows::new(state.primary.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(time::Duration::days(30)));

    Router::new()
        .merge(forum::routes::router())
        .merge(pages::routes::router())
        .merge(educate::routes::router())
        .merge(support::routes::router())
        .merge(support::messages::routes::router())
        .merge(cultivate::routes::router())
        .merge(encourage::routes::router())
        .merge(integrate::routes::router())
        .merge(moderation::router())
        .merge(admin::router())
        .merge(auth::routes::router())
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/static/{name}", get(web::static_asset))
        .merge(support::mailing::routes::router())
        .merge(live::routes::router())
        .merge(metrics::routes::router())
        .merge(uploads::routes::router())
        .fallback(not_found)
        // Innermost first: CSRF needs the session, so the session layer wraps it.
        .layer(middleware::from_fn(auth::csrf::verify))
        // Forms with files may be this large (CSRF reads their token first, so this wraps it);
        // URL-encoded forms stay within `MAX_FORM_BYTES` (`web::refuse_nul`).
        .layer(DefaultBodyLimit::max(web::MAX_MULTIPART_BYTES))
        // One-click unsubscribe is posted by mail clients without a session or token (RFC
        // 8058); the secret in its link is the credential. Every other layer applies.
        .merge(support::mailing::routes::one_click_router())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::error::with_account,
        ))
        .layer(sessions)
        .layer(middleware::from_fn(web::refuse_nul))
        .layer(header_layer(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header_layer(header::REFERRER_POLICY, "same-origin"))
        .layer(header_layer(
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        ))
        .layer(tower::util::option_layer(
            state
                .config
                .secure_cookies()
                .then(|| header_layer(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000")),
        ))
        .layer(middleware::from_fn(web::cache_policy))
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        .layer(RequestBodyTimeoutLayer::new(state.config.body_timeout))
        .layer(middleware::from_fn_with_state(
            state.admission.clone(),
            web::admission::admit,
        ))
        // Outside compression, so a cached page is kept compressed and replayed as it is; and
        // outside admission, so a cached page never waits for a turn.
        .layer(middleware::from_fn_with_state(
            state.pages.clone(),
            web::page_cache::serve,
        ))
        .layer(CatchPanicLayer::custom(panic_page))
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            web::request_log::log,
        ))
        .with_state(state)
}

fn header_layer(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// Liveness: the process answers. Whether it can serve is `/readyz`.
async fn healthz() -> &'static str {
    "ok\n"
}

/// How long readiness waits for the database before saying it is not ready.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

/// Readiness, for a load balancer: the database answers within `READY_WITHIN` and has every
/// migration this build expects.
async fn readyz(State(state): State<AppState>) -> Response {
    let pending = tokio::time::timeout(
        READY_WITHIN,
        crate::database::pending_migrations(&state.primary),
    )
    .await;
    match pending {
        Ok(Ok(0)) => (StatusCode::OK, "ready\n").into_response(),
        Ok(Ok(missing)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("migrations not applied: {missing}\n"),
        )
            .into_response(),
        Ok(Err(err)) => {
            tracing::error!(%err, "readiness check cannot read the database");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database too slow\n").into_response(),
    }
}

fn panic_page(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "a handler panicked");
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "The server could not finish this request. Please go back and try again.".into(),
    )
}
