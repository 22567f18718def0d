//! Admission control: at most `running` requests are worked on at once and at most `waiting`
//! more wait for a turn, each no longer than `patience`. Anything beyond that gets the "busy"
//! page (503, Retry-After) at once. Under twice the load the server can carry, members see
//! either their page or a clear "try again", never a pile of requests timing out together
//! while they hold every database connection.
//!
//! Pages from the anonymous cache are answered before this gate: they need no turn.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::error::{AppError, OVERLOADED};

pub struct Admission {
    running: Semaphore,
    max_running: usize,
    waiting: AtomicUsize,
    max_waiting: usize,
    patience: Duration,
}

impl Admission {
    pub fn new(running: usize, max_waiting: usize, patience: Duration) -> Admission {
        Admission {
            running: Semaphore::new(running),
            max_running: running,
            waiting: AtomicUsize::new(0),
            max_waiting,
            patience,
        }
    }

    /// The defaults for this server: enough requests at once to keep the database's ten
    /// connections and the CPU busy, and a queue about as long again as a second of work.
    pub fn for_server() -> Admission {
        Admission::new(32, 256, Duration::from_secs(2))
    }

    /// Requests being worked on and requests waiting for a turn, now.
    pub fn load(&self) -> (usize, usize) {
        let running = self.max_running - self.running.available_permits();
        (running, self.waiting.load(Ordering::SeqCst))
    }
}

pub async fn admit(State(gate): State<Arc<Admission>>, request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/static/") {
        return next.run(request).await;
    }
    if let Ok(_turn) = gate.running.try_acquire() {
        return next.run(request).await;
    }
    let place = InQueue::join(&gate.waiting);
    if place.ahead >= gate.max_waiting {
        return AppError::Busy(OVERLOADED).into_response();
    }
    let turn = tokio::time::timeout(gate.patience, gate.running.acquire()).await;
    drop(place);
    match turn {
        Ok(Ok(_turn)) => next.run(request).await,
        _ => AppError::Busy(OVERLOADED).into_response(),
    }
}

/// A request's place in the queue, given up when it is dropped: also when the client goes
/// away while waiting and its request is dropped mid-wait, which otherwise left the place
/// counted for ever and, after a burst of impatient clients, the queue full with nobody in it.
struct InQueue<'a> {
    waiting: &'a AtomicUsize,
    /// How many were waiting before this one.
    ahead: usize,
}

impl<'a> InQueue<'a> {
    fn join(waiting: &'a AtomicUsize) -> InQueue<'a> {
        let ahead = waiting.fetch_add(1, Ordering::SeqCst);
        InQueue { waiting, ahead }
    }
}

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    fn slow_site(gate: Arc<Admission>) -> Router {
        Router::new()
            .route(
                "/",
                get(|| async {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    "done"
                }),
            )
            .layer(axum::middleware::from_fn_with_state(gate, admit))
    }

    async fn status_of(site: Router) -> StatusCode {
        let request = Request::get("/").body(Body::empty()).unwrap();
        site.oneshot(request).await.unwrap().status()
    }

    #[tokio::test]
    async fn one_runs_one_waits_and_the_next_is_told_at_once() {
        let site = slow_site(Arc::new(Admission::new(1, 1, Duration::from_secs(5))));
        let first = tokio::spawn(status_of(site.clone()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let second = tokio::spawn(status_of(site.clone()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let started = std::time::Instant::now();
        assert_eq!(status_of(site).await, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            started.elapsed() < Duration::from_millis(100),
            "refused without waiting"
        );
        assert_eq!(first.await.unwrap(), StatusCode::OK);
        assert_eq!(
            second.await.unwrap(),
            StatusCode::OK,
            "the waiting one got its turn"
        );
    }

    #[tokio::test]
    async fn a_client_that_leaves_while_waiting_gives_its_place_back() {
        let gate = Arc::new(Admission::new(1, 1, Duration::from_secs(5)));
        let site = slow_site(gate.clone());
        let first = tokio::spawn(status_of(site.clone()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let leaves = tokio::spawn(status_of(site.clone()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(gate.load(), (1, 1));
        // The client hangs up: its request is dropped while it waits for a turn.
        leaves.abort();
        assert!(leaves.await.unwrap_err().is_cancelled());
        assert_eq!(gate.load(), (1, 0), "the place is given back");
        assert_eq!(
            status_of(site).await,
            StatusCode::OK,
            "the next one may wait in it"
        );
        assert_eq!(first.await.unwrap(), StatusCode::OK);
    }

    #[tokio::test]
    async fn a_wait_longer_than_the_patience_ends_in_the_busy_page() {
        let site = slow_site(Arc::new(Admission::new(1, 10, Duration::from_millis(50))));
        let first = tokio::spawn(status_of(site.clone()));
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(status_of(site).await, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(first.await.unwrap(), StatusCode::OK);
    }
}
