//! `GET /metrics`: the Prometheus scrape endpoint. With `COMMONPLACE_METRICS_TOKEN` set it
//! answers whoever sends that token as a bearer token; without it, only a scraper on this
//! machine talking to the server directly (never through a proxy, whose requests all come from
//! loopback too).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics::{describe_gauge, gauge, Unit};
use sha2::{Digest, Sha256};

use super::Metrics;
use crate::{AppState, Config};

pub const PATH: &str = "/metrics";

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, get(scrape))
}

/// Who may read the metrics.
#[derive(Debug, PartialEq, Eq)]
enum Access {
    Allowed,
    /// A token is configured and this request did not send it.
    NeedsToken,
    /// No token is configured and this request is not a direct one from this machine.
    NotLocal,
}

fn access(config: &Config, peer: Option<SocketAddr>, headers: &HeaderMap) -> Access {
    if let Some(expected) = &config.metrics_token {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        // Comparing digests takes the same time however much of a wrong token matches.
        let matches = sent.is_some_and(|sent| {
            Sha256::digest(sent.trim().as_bytes()) == Sha256::digest(expected.as_bytes())
        });
        return if matches {
            Access::Allowed
        } else {
            Access::NeedsToken
        };
    }
    let proxied =
        headers.contains_key("x-forwarded-for") || headers.contains_key(header::FORWARDED);
    let loopback = peer.is_some_and(|peer| peer.ip().is_loopback());
    let through_trusted_proxy = peer.is_some_and(|peer| Some(peer.ip()) == config.trusted_proxy);
    if loopback && !proxied && !through_trusted_proxy {
        Access::Allowed
    } else {
        Access::NotLocal
    }
}

async fn scrape(State(state): State<AppState>, request: Request) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| *peer);
    match access(&state.config, peer, request.headers()) {
        Access::Allowed => {}
        Access::NeedsToken => {
            let mut refused =
                (StatusCode::UNAUTHORIZED, "a bearer token is needed\n").into_response();
            refused
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return refused;
        }
        Access::NotLocal => {
            return (
                StatusCode::FORBIDDEN,
                "metrics are served to this machine only; set COMMONPLACE_METRICS_TOKEN to scrape from elsewhere\n",
            )
                .into_response();
        }
    }
    read_gauges(&state).await;
    let mut response = state.metrics.render().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(super) fn describe_gauges(metrics: &Metrics) {
    metrics.record(|| {
        describe_gauge!(
            "commonplace_db_pool_connections",
            "Database connections open, by pool and state (idle or in use)."
        );
        describe_gauge!(
            "commonplace_db_pool_max_connections",
            "The most connections each pool opens."
        );
        describe_gauge!(
            "commonplace_replica_up",
            "With a read replica: 1 when it answered the last check (every 100 ms)."
        );
        describe_gauge!(
            "commonplace_replica_lag_seconds",
            Unit::Seconds,
            "How long ago the primary wrote the oldest change the replica has not replayed; \
             past 10 s it serves nothing."
        );
        describe_gauge!(
            "commonplace_requests_running",
            "Requests being worked on (admission control)."
        );
        describe_gauge!(
            "commonplace_requests_waiting",
            "Requests waiting for a turn; past 256 the server answers \"busy\"."
        );
        describe_gauge!("commonplace_live_streams", "Live update streams open.");
        describe_gauge!(
            "commonplace_live_streams_max",
            "Live update streams allowed at once."
        );
        describe_gauge!(
            "commonplace_page_cache_pages",
            "Anonymous pages kept in this process's cache."
        );
        describe_gauge!(
            "commonplace_page_cache_bytes",
            Unit::Bytes,
            "Bytes of pages kept in the cache."
        );
        describe_gauge!(
            "commonplace_thread_posts_pages",
            "Pages of thread posts kept in this process for every viewer (pages::cached_posts)."
        );
        describe_gauge!(
            "commonplace_thread_posts_bytes",
            Unit::Bytes,
            "Bytes of thread posts kept."
        );
        describe_gauge!(
            "commonplace_mail_queue_depth",
            "Messages waiting to be sent (for the whole site, not only this process)."
        );
        describe_gauge!(
            "commonplace_mail_queue_oldest_seconds",
            Unit::Seconds,
            "How long the oldest waiting message has waited."
        );
    });
}

/// The figures that are states rather than events, read now.
async fn read_gauges(state: &AppState) {
    // Read before the recorder is entered: the closure cannot wait.
    let queue = crate::mail::queries::queue_depth(&state.primary).await;
    let (running, waiting) = state.admission.load();
    let (pages, page_bytes) = state.pages.size();
    let (post_pages, post_bytes) = state.posts.size();
    state.metrics.record(|| {
        let replica = state.replica.as_deref();
        let replica_pools = replica.map(|r| {
            [
                ("replica", &r.db),
                ("replica_search", &r.search_db),
                ("replica_generic", &r.generic_db),
            ]
        });
        let pools = [
            ("main", &state.primary),
            ("search", &state.search_db),
            ("generic", &state.generic_db),
        ];
        for (name, pool) in pools.into_iter().chain(replica_pools.into_iter().flatten()) {
            let idle = pool.num_idle() as f64;
            let open = f64::from(pool.size());
            gauge!("commonplace_db_pool_connections", "pool" => name, "state" => "idle").set(idle);
            gauge!("commonplace_db_pool_connections", "pool" => name, "state" => "in_use")
                .set(open - idle);
            gauge!("commonplace_db_pool_max_connections", "pool" => name)
                .set(f64::from(pool.options().get_max_connections()));
        }
        if let Some(replica) = replica {
            let progress = replica.progress();
            gauge!("commonplace_replica_up").set(if progress.up { 1.0 } else { 0.0 });
            gauge!("commonplace_replica_lag_seconds").set(progress.lag.as_secs_f64());
        }
        gauge!("commonplace_requests_running").set(running as f64);
        gauge!("commonplace_requests_waiting").set(waiting as f64);
        let (open, max) = state.live.streams();
        gauge!("commonplace_live_streams").set(open as f64);
        gauge!("commonplace_live_streams_max").set(max as f64);
        gauge!("commonplace_page_cache_pages").set(pages as f64);
        gauge!("commonplace_page_cache_bytes").set(page_bytes as f64);
        gauge!("commonplace_thread_posts_pages").set(post_pages as f64);
        gauge!("commonplace_thread_posts_bytes").set(post_bytes as f64);
        match &queue {
            Ok(queue) => {
                gauge!("commonplace_mail_queue_depth").set(queue.waiting as f64);
                gauge!("commonplace_mail_queue_oldest_seconds").set(queue.oldest_seconds);
            }
            Err(err) => tracing::warn!(%err, "could not read the mail queue for /metrics"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(token: Option<&str>) -> Config {
        Config {
            metrics_token: token.map(str::to_owned),
            trusted_proxy: Some("127.0.0.1".parse().unwrap()),
            ..Config::defaults()
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn without_a_token_only_a_direct_local_request_reads_the_metrics() {
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let local_v6: SocketAddr = "[::1]:5000".parse().unwrap();
        let remote: SocketAddr = "203.0.113.9:5000".parse().unwrap();
        let open = Config::defaults();
        assert_eq!(access(&open, Some(local), &headers(&[])), Access::Allowed);
        assert_eq!(
            access(&open, Some(local_v6), &headers(&[])),
            Access::Allowed
        );
        assert_eq!(access(&open, Some(remote), &headers(&[])), Access::NotLocal);
        assert_eq!(access(&open, None, &headers(&[])), Access::NotLocal);
        let via_proxy = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(access(&open, Some(local), &via_proxy), Access::NotLocal);
        let forwarded = headers(&[("forwarded", "for=203.0.113.9")]);
        assert_eq!(access(&open, Some(local), &forwarded), Access::NotLocal);
        // A proxy on this machine that forgot the header is still a proxy.
        let behind_local_proxy = config(None);
        assert_eq!(
            access(&behind_local_proxy, Some(local), &headers(&[])),
            Access::NotLocal
        );
    }

    #[test]
    fn with_a_token_only_the_token_reads_the_metrics() {
        let remote: SocketAddr = "203.0.113.9:5000".parse().unwrap();
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let guarded = config(Some("s3cret-scrape"));
        let right = headers(&[("authorization", "Bearer s3cret-scrape")]);
        assert_eq!(access(&guarded, Some(remote), &right), Access::Allowed);
        let wrong = headers(&[("authorization", "Bearer s3cret-scrapE")]);
        assert_eq!(access(&guarded, Some(remote), &wrong), Access::NeedsToken);
        let basic = headers(&[("authorization", "Basic s3cret-scrape")]);
        assert_eq!(access(&guarded, Some(remote), &basic), Access::NeedsToken);
        assert_eq!(
            access(&guarded, Some(local), &headers(&[])),
            Access::NeedsToken,
            "loopback needs it too"
        );
    }
}
