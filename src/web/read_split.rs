//! With a read replica, which requests it serves (`database::replica` says why each rule is
//! there): a GET or HEAD is served by the same routes reading from the replica, unless
//! - it may write (`WRITES_ON_GET`), reports on this server or is a live stream
//!   (`PRIMARY_ONLY`);
//! - the replica is down or too far behind;
//! - the browser's `WROTE_COOKIE` names a write the replica has not replayed yet;
//! - it is a page the cache would keep, and the replica lacks a write the cache has heard of.
//!
//! Every other request is served from the primary, and a request that may have written gives
//! the browser the primary's position, so the member's next pages show what they just did.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceExt;

use crate::database::replica::{self, Lsn, ReadReplica};
use crate::metrics::Metrics;
use crate::web::page_cache::PageCache;

/// Holds the primary's log position after this browser's latest write.
pub const WROTE_COOKIE: &str = "commonplace_wrote";
/// Longer than a usable replica can be behind (`replica::MAX_LAG`), so a member's write is
/// always either replayed or the replica is not read.
const WROTE_COOKIE_SECONDS: u64 = replica::MAX_LAG.as_secs() * 6;

/// GET routes that change something: a confirmation link logs the member in, opening a
/// notification marks it read.
const WRITES_ON_GET: [&str; 2] = ["/confirm/", "/notifications/"];
/// Answers about this server and its primary (for a load balancer or a scraper), and live
/// streams, which load each new post as it is announced: a replica may not have it yet.
const PRIMARY_ONLY: [&str; 4] = [
    "/healthz",
    "/readyz",
    crate::metrics::routes::PATH,
    crate::live::routes::PATH,
];

pub struct ReadSplit {
    /// Every route, reading from and writing to the primary.
    pub writing: Router,
    /// Every route again, reading from the replica.
    pub reading: Router,
    pub replica: Arc<ReadReplica>,
    pub primary: sqlx::PgPool,
    pub pages: Arc<PageCache>,
    pub metrics: Arc<Metrics>,
    pub secure_cookies: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Served {
    /// By the replica; `caught_up` when it has replayed the browser's last write, so the
    /// cookie that named it can go.
    Replica { caught_up: bool },
    /// By the primary, though it only reads.
    Primary(Because),
    /// By the primary, and it may write.
    PrimaryWriting,
}

impl Served {
    fn database(self) -> &'static str {
        match self {
            Served::Replica { .. } => "replica",
            Served::Primary(_) | Served::PrimaryWriting => "primary",
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Served::Replica { .. } => "reads",
            Served::Primary(because) => because.label(),
            Served::PrimaryWriting => "may_write",
        }
    }
}

/// Why a request that only reads was not served by the replica (a label on the metric, so an
/// operator sees whether the replica is behind or members' own writes hold them to the primary).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Because {
    /// A report on this server or a live stream.
    PrimaryOnly,
    /// The replica does not answer, or is further behind than `replica::MAX_LAG`.
    ReplicaBehind,
    /// The browser's latest write is not replayed yet.
    OwnWrite,
    /// A page the cache would keep, and the replica lacks a write the cache has heard of.
    CacheAhead,
}

impl Because {
    fn label(self) -> &'static str {
        match self {
            Because::PrimaryOnly => "primary_only",
            Because::ReplicaBehind => "replica_behind",
            Because::OwnWrite => "own_write",
            Because::CacheAhead => "cache_ahead",
        }
    }
}

/// Both copies of the routes behind one router. The choice is made before either routes the
/// request (a layer on a router would run after routing, with the path's parameters taken).
pub fn router(split: ReadSplit) -> Router {
    let split = Arc::new(split);
    Router::new().fallback_service(tower::service_fn(move |request: Request| {
        let split = split.clone();
        async move { Ok::<_, std::convert::Infallible>(split.serve(request).await) }
    }))
}

impl ReadSplit {
    async fn serve(&self, request: Request) -> Response {
        let served = self.choose(&request);
        self.metrics.read_routed(served.database(), served.reason());
        match served {
            Served::Replica { caught_up } => {
                let mut response = self.reading.clone().oneshot(request).await.into_response();
                if caught_up {
                    self.set_cookie(response.headers_mut(), "", 0);
                }
                response
            }
            Served::Primary(_) => self.writing.clone().oneshot(request).await.into_response(),
            Served::PrimaryWriting => {
                let mut response = self.writing.clone().oneshot(request).await.into_response();
                // A refused request changed nothing a page shows.
                let status = response.status();
                if status.is_client_error() || status.is_server_error() {
                    return response;
                }
                match replica::written_up_to(&self.primary).await {
                    Ok(position) => self.set_cookie(
                        response.headers_mut(),
                        &position.to_string(),
                        WROTE_COOKIE_SECONDS,
                    ),
                    // The member may see the replica's older page once; nothing is lost.
                    Err(err) => tracing::warn!(%err, "could not read the primary's log position"),
                }
                response
            }
        }
    }

    fn choose(&self, request: &Request) -> Served {
        let path = request.uri().path();
        let reads = matches!(*request.method(), Method::GET | Method::HEAD);
        if !reads || WRITES_ON_GET.iter().any(|prefix| path.starts_with(prefix)) {
            return Served::PrimaryWriting;
        }
        if PRIMARY_ONLY.contains(&path) {
            return Served::Primary(Because::PrimaryOnly);
        }
        let progress = self.replica.progress();
        if !progress.usable() {
            return Served::Primary(Because::ReplicaBehind);
        }
        let wrote = wrote(request.headers());
        if wrote.is_some_and(|wrote| !progress.replayed.has_reached(wrote)) {
            return Served::Primary(Because::OwnWrite);
        }
        if self.pages.would_keep(request) && progress.caught_up_generation < self.pages.generation()
        {
            return Served::Primary(Because::CacheAhead);
        }
        Served::Replica {
            caught_up: wrote.is_some(),
        }
    }

    fn set_cookie(&self, headers: &mut HeaderMap, value: &str, max_age: u64) {
        let secure = if self.secure_cookies { "; Secure" } else { "" };
        let cookie = format!(
            "{WROTE_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
        );
        if let Ok(cookie) = HeaderValue::from_str(&cookie) {
            headers.append(header::SET_COOKIE, cookie);
        }
    }
}

/// The position in the browser's `WROTE_COOKIE`; a value that does not parse is ignored.
fn wrote(headers: &HeaderMap) -> Option<Lsn> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == WROTE_COOKIE)
        .and_then(|(_, value)| value.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_position_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("commonplace_session=abc; commonplace_wrote=4242; theme=dark"),
        );
        assert_eq!(wrote(&headers), Some("4242".parse().unwrap()));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("commonplace_wrote=-1"),
        );
        assert_eq!(wrote(&headers), None);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("not_commonplace_wrote=7"),
        );
        assert_eq!(wrote(&headers), None);
    }
}
