//! `GET /live`: one server-sent event stream per open page. On a thread's last page it sends a
//! `reply` event (id and data: the post's id) for each new reply the viewer may read; for a
//! signed-in member, a `notifications` event (data: the unread count) whenever it changes; and
//! `gone` when the thread can no longer be read, after which the stream ends. A stream that
//! drops resumes from the `Last-Event-ID` the browser sends back.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{mpsc, OwnedSemaphorePermit};
use tower_sessions::Session;

use super::{queries, Change};
use crate::error::{AppError, Result};
use crate::forum::fields::parse_id;
use crate::forum::lookup::readable_thread;
use crate::web::{take_beyond, CurrentUser};
use crate::AppState;

pub const PATH: &str = "/live";

/// Said to a page whose process already has as many streams open as it allows; the browser
/// tries again by itself.
const TOO_MANY_STREAMS: &str = "Too many pages are following live updates on this server \
    right now. The page still works; reload it later to see new replies.";

pub fn router() -> Router<AppState> {
    Router::new().route(PATH, get(stream))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LiveQuery {
    /// The thread whose last page is open.
    thread: Option<String>,
    /// The last post that page shows (without it, the newest post now).
    after: Option<String>,
}

/// What one stream follows for its viewer.
struct Watch {
    viewer: Option<CurrentUser>,
    /// The thread, and the last of its posts the page has been told about.
    thread: Option<(i64, i64)>,
}

impl Watch {
    fn wants_replies(&self, change: &Change) -> bool {
        match (self.thread, change) {
            (Some((thread, _)), Change::Posts(posts)) => posts.iter().any(|&(_, t)| t == thread),
            (Some(_), Change::Missed) => true,
            _ => false,
        }
    }

    fn wants_count(&self, change: &Change) -> bool {
        match (&self.viewer, change) {
            (Some(viewer), Change::Notified(members)) => members.contains(&viewer.id),
            (Some(_), Change::NotifiedMany | Change::Missed) => true,
            _ => false,
        }
    }
}

/// The browser's `Last-Event-ID` when it resumes a dropped stream: the last reply it was sent.
fn last_event_id(headers: &HeaderMap) -> Option<i64> {
    let raw = headers.get("last-event-id")?.to_str().ok()?;
    parse_id(raw).ok()
}

async fn stream(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<LiveQuery>,
) -> Result<Response> {
    let viewer = crate::auth::session::signed_in(&session, &state.primary).await?;
    let thread = match query.thread.as_deref() {
        Some(raw) => {
            // The same rule as the thread page: a stream for a thread the viewer may not read
            // does not exist.
            let thread = readable_thread(&state.db, parse_id(raw)?, viewer.as_ref()).await?;
            let after = match (last_event_id(&headers), query.after.as_deref()) {
                (Some(id), _) => id,
                (None, Some(raw)) => parse_id(raw)?,
                // Not told where the page ends: from the thread's newest post on.
                (None, None) => queries::last_post(&state.db, thread.id).await?,
            };
            Some((thread.id, after))
        }
        None => None,
    };
    if thread.is_none() && viewer.is_none() {
        // A visitor away from any thread has nothing to follow.
        return Err(AppError::NotFound);
    }
    let slot = Arc::clone(&state.live.slots)
        .try_acquire_owned()
        .map_err(|_| AppError::Busy(TOO_MANY_STREAMS))?;
    let (sender, mut events) = mpsc::channel(64);
    let watch = Watch { viewer, thread };
    tokio::spawn(follow(state.clone(), watch, sender, slot));
    let events = futures_util::stream::poll_fn(move |cx| {
        events
            .poll_recv(cx)
            .map(|event| event.map(Ok::<Event, Infallible>))
    });
    let heartbeat = KeepAlive::new().interval(state.live.heartbeat);
    Ok(Sse::new(events).keep_alive(heartbeat).into_response())
}

/// Why a stream stops: its page went away, the server is stopping, the thread can no longer be
/// read, or the database failed (the browser then reconnects and resumes).
enum Stop {
    Done,
    Failed(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Stop {
    fn from(err: E) -> Stop {
        Stop::Failed(err.into())
    }
}

/// Runs one stream until its page goes away or the server stops, holding its slot meanwhile.
async fn follow(
    state: AppState,
    mut watch: Watch,
    sender: mpsc::Sender<Event>,
    _slot: OwnedSemaphorePermit,
) {
    if let Err(Stop::Failed(err)) = run(&state, &mut watch, &sender).await {
        tracing::debug!(%err, "a live stream stopped");
    }
}

async fn run(
    state: &AppState,
    watch: &mut Watch,
    sender: &mpsc::Sender<Event>,
) -> Result<(), Stop> {
    let mut changes = state.live.changes.subscribe();
    let mut closing = state.live.closing.subscribe();
    // What happened between rendering the page (or the stream dropping) and now.
    send_replies(state, watch, sender).await?;
    send_count(state, watch, sender).await?;
    loop {
        let change = tokio::select! {
            () = sender.closed() => return Err(Stop::Done),
            _ = closing.wait_for(|closing| *closing) => return Err(Stop::Done),
            change = changes.recv() => match change {
                Ok(change) => change,
                // Too slow to keep up: whatever it skipped may have concerned this page.
                Err(RecvError::Lagged(_)) => Arc::new(Change::Missed),
                Err(RecvError::Closed) => return Err(Stop::Done),
            },
        };
        if watch.wants_replies(&change) {
            send_replies(state, watch, sender).await?;
        }
        if watch.wants_count(&change) {
            send_count(state, watch, sender).await?;
        }
    }
}

/// Sends the thread's posts the page has not been told about, after checking again that the
/// viewer may read the thread (it may have been hidden or moved since the page opened).
async fn send_replies(
    state: &AppState,
    watch: &mut Watch,
    sender: &mpsc::Sender<Event>,
) -> Result<(), Stop> {
    let Some((thread, mut after)) = watch.thread else {
        return Ok(());
    };
    loop {
        let (readable, posts) = tokio::join!(
            readable_thread(&state.db, thread, watch.viewer.as_ref()),
            queries::posts_after(&state.db, thread, after),
        );
        match readable {
            Ok(_) => {}
            Err(AppError::NotFound) => {
                let _ = sender.send(Event::default().event("gone").data("")).await;
                return Err(Stop::Done);
            }
            Err(err) => return Err(Stop::Failed(anyhow::anyhow!("{err:?}"))),
        }
        let mut posts = posts?;
        let more = take_beyond(&mut posts, queries::CATCH_UP).is_some();
        for id in posts {
            let event = Event::default()
                .event("reply")
                .id(id.to_string())
                .data(id.to_string());
            sender.send(event).await.map_err(|_| Stop::Done)?;
            after = id;
        }
        watch.thread = Some((thread, after));
        if !more {
            return Ok(());
        }
    }
}

async fn send_count(
    state: &AppState,
    watch: &Watch,
    sender: &mpsc::Sender<Event>,
) -> Result<(), Stop> {
    let Some(viewer) = &watch.viewer else {
        return Ok(());
    };
    let count = queries::unread_count(&state.db, viewer.id).await?;
    let event = Event::default()
        .event("notifications")
        .data(crate::web::page::unread_label(count));
    sender.send(event).await.map_err(|_| Stop::Done)
}
