//! One log line per request: a request id (sent back as `x-request-id`, and carried by every
//! line logged while the request is handled), the method, the route template, the status and
//! the duration. The route is the template (`/reset/{token}`), never the path or query: paths
//! carry reset, invitation and unsubscribe tokens, and none may reach a log.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";

pub async fn log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = super::random_hex(8);
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str)
        .to_string();
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(request).instrument(span.clone()).await;
    let _entered = span.enter();
    tracing::info!(
        target: "commonplace::request",
        %method,
        route,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}
