//! One log line per request, and its count and time in `/metrics`: a request id (sent back as `x-request-id`, and carried by every
//! line logged while the request is handled), the method, the route template, the status and
//! the duration. The route is the template (`/reset/{token}`), never the path or query: paths
//! carry reset, invitation and unsubscribe tokens, and none may reach a log.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::metrics::{CacheUse, Metrics};
use crate::web::page_cache;

pub const REQUEST_ID: &str = "x-request-id";

pub async fn log(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
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
    let took = started.elapsed();
    let cache = match response.headers().get(page_cache::STATUS_HEADER) {
        Some(v) if v == "hit" => Some(CacheUse::Hit),
        Some(v) if v == "miss" => Some(CacheUse::Miss),
        _ => None,
    };
    metrics.request(&method, &route, response.status(), took, cache);
    let _entered = span.enter();
    tracing::info!(
        target: "commonplace::request",
        %method,
        route,
        status = response.status().as_u16(),
        ms = took.as_secs_f64() * 1000.0,
    );
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}
