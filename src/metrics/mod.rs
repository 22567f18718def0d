//! What operators watch: counters and histograms recorded as the server works, and gauges read
//! when `/metrics` is scraped (`routes`), in the Prometheus text format.
//!
//! Each server (each `AppState`) has its own recorder rather than the process-wide one, so
//! several servers in one process (the tests run dozens) never mix their figures.

pub mod routes;

use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use metrics::{counter, describe_counter, describe_histogram, histogram, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

/// Latency buckets, in seconds: from a cached page (under a millisecond) to a request that
/// hit the 10 s body timeout.
const SECONDS_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// How often samples are folded into the histograms, so memory stays flat between scrapes
/// (or when nothing scrapes at all).
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

/// Whether the anonymous page cache answered a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheUse {
    Hit,
    Miss,
}

impl Metrics {
    /// Must be called inside the Tokio runtime: the upkeep task starts here, and ends when the
    /// last handle to these metrics is dropped.
    pub fn new() -> Arc<Metrics> {
        let builder = PrometheusBuilder::new()
            .set_buckets(&SECONDS_BUCKETS)
            .expect("the bucket list is not empty");
        let recorder = builder.build_recorder();
        let metrics = Arc::new(Metrics {
            handle: recorder.handle(),
            recorder,
        });
        metrics.describe();
        tokio::spawn(upkeep(Arc::downgrade(&metrics)));
        metrics
    }

    fn describe(&self) {
        self.record(|| {
            describe_counter!(
                "commonplace_http_requests_total",
                "Requests answered, by method, route template and status."
            );
            describe_histogram!(
                "commonplace_http_request_duration_seconds",
                Unit::Seconds,
                "Time to answer a request, by method and route template."
            );
            describe_counter!(
                "commonplace_page_cache_requests_total",
                "Anonymous pages answered from the page cache (hit) or rendered and kept (miss)."
            );
            describe_counter!(
                "commonplace_thread_posts_requests_total",
                "Thread pages whose posts were kept and current (hit), kept but changed since \
                 (stale) or not kept (miss); a hit reads only the viewer's marks."
            );
            describe_counter!(
                "commonplace_read_split_requests_total",
                "With a read replica: requests served from it, and from the primary and why (may_write, \
                 primary_only, replica_behind, own_write, cache_ahead)."
            );
            describe_counter!(
                "commonplace_jobs_runs_total",
                "Scheduled job runs in this process, by job and outcome."
            );
            describe_histogram!(
                "commonplace_job_duration_seconds",
                Unit::Seconds,
                "Time a scheduled job took, by job."
            );
            describe_counter!(
                "commonplace_mail_sent_total",
                "Messages handed to the SMTP server by this process."
            );
            describe_counter!(
                "commonplace_mail_failures_total",
                "Messages the SMTP server did not take: retried later, or given up."
            );
        });
        routes::describe_gauges(self);
    }

    /// Runs `record` with this server's recorder behind the `metrics` macros.
    pub fn record<T>(&self, record: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(&self.recorder, record)
    }

    /// One request answered: counted by method, route template (never the path, which may hold
    /// a token) and status, and timed.
    pub fn request(
        &self,
        method: &Method,
        route: &str,
        status: StatusCode,
        took: Duration,
        cache: Option<CacheUse>,
    ) {
        self.record(|| {
            let method = method_label(method).to_owned();
            let route = route.to_owned();
            counter!(
                "commonplace_http_requests_total",
                "method" => method.clone(),
                "route" => route.clone(),
                "status" => status.as_str().to_owned(),
            )
            .increment(1);
            histogram!(
                "commonplace_http_request_duration_seconds",
                "method" => method,
                "route" => route,
            )
            .record(took.as_secs_f64());
            if let Some(cache) = cache {
                let result = match cache {
                    CacheUse::Hit => "hit",
                    CacheUse::Miss => "miss",
                };
                counter!("commonplace_page_cache_requests_total", "result" => result).increment(1);
            }
        });
    }

    /// With a read replica, which server a request was sent to (`web::read_split`).
    pub fn read_routed(&self, database: &'static str, reason: &'static str) {
        self.record(|| {
            counter!("commonplace_read_split_requests_total", "database" => database, "reason" => reason)
                .increment(1);
        });
    }

    /// A scheduled job ran (`jobs`).
    pub fn job(&self, name: &'static str, succeeded: bool, took: Duration) {
        self.record(|| {
            let outcome = if succeeded { "ok" } else { "failed" };
            counter!("commonplace_jobs_runs_total", "job" => name, "outcome" => outcome)
                .increment(1);
            histogram!("commonplace_job_duration_seconds", "job" => name)
                .record(took.as_secs_f64());
        });
    }

    /// What became of one message the sender tried (`mail::worker`).
    pub fn mail(&self, outcome: MailOutcome) {
        self.record(|| match outcome {
            MailOutcome::Sent => counter!("commonplace_mail_sent_total").increment(1),
            MailOutcome::Retrying => {
                counter!("commonplace_mail_failures_total", "then" => "retry").increment(1);
            }
            MailOutcome::GivenUp => {
                counter!("commonplace_mail_failures_total", "then" => "given_up").increment(1);
            }
        });
    }

    fn render(&self) -> String {
        self.handle.render()
    }
}

/// The method as a label. A client may send any token as a method; each would be a new series,
/// so anything unusual is counted as one.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailOutcome {
    Sent,
    Retrying,
    GivenUp,
}

async fn upkeep(metrics: Weak<Metrics>) {
    let mut tick = tokio::time::interval(UPKEEP_EVERY);
    loop {
        tick.tick().await;
        match metrics.upgrade() {
            Some(metrics) => metrics.handle.run_upkeep(),
            None => return,
        }
    }
}
