//! Live pages: `/live` streams, read as a browser's EventSource reads them. New replies reach an
//! open thread page, a member's notification count follows their notifications, private threads
//! stream to nobody who may not read them, a dropped stream resumes from `Last-Event-ID`, and
//! streams are bounded and beat. The same across two processes is in `command_line`.

use std::time::{Duration, Instant};

use commonplace::Config;
use reqwest::StatusCode;

use crate::helpers::TestApp;

/// One event as the browser receives it.
#[derive(Debug)]
pub struct LiveEvent {
    pub event: String,
    pub id: Option<String>,
    pub data: String,
}

/// An open `/live` stream.
pub struct LiveStream {
    response: reqwest::Response,
    buffer: String,
    /// Comment lines received so far (the server's heartbeat).
    pub heartbeats: usize,
}

/// Long enough for a busy two-core machine; an event that is on time arrives in milliseconds.
const PATIENCE: Duration = Duration::from_secs(5);

impl LiveStream {
    /// Opens `path` as `browser`, resuming after `last_event_id` if given.
    pub async fn open(browser: &TestApp, path: &str, last_event_id: Option<&str>) -> LiveStream {
        let headers: Vec<(&str, &str)> = last_event_id
            .map(|id| ("last-event-id", id))
            .into_iter()
            .collect();
        LiveStream::from_response(browser.open(path, &headers).await)
    }

    pub fn from_response(response: reqwest::Response) -> LiveStream {
        assert_eq!(response.status(), StatusCode::OK, "the stream opens");
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        LiveStream {
            response,
            buffer: String::new(),
            heartbeats: 0,
        }
    }

    /// The next event (heartbeats counted and skipped); `None` when the stream ended or nothing
    /// came within `wait`.
    pub async fn next(&mut self, wait: Duration) -> Option<LiveEvent> {
        let deadline = Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(event) = self.read_block(&block) {
                    return Some(event);
                }
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                // Ended, failed, or nothing in time.
                _ => return None,
            }
        }
    }

    /// The next event named `kind`, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> LiveEvent {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Some(event) if event.event == kind => return event,
                Some(_) => continue,
                None => panic!("a {kind} event within {PATIENCE:?}"),
            }
        }
    }

    /// Whether the server ends the stream within `wait` (events before the end are dropped).
    pub async fn ends_within(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        loop {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            match tokio::time::timeout(left, self.response.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(Ok(None)) | Ok(Err(_)) => return true,
                Err(_) => return false,
            }
        }
    }

    fn read_block(&mut self, block: &str) -> Option<LiveEvent> {
        let mut event = LiveEvent {
            event: "message".into(),
            id: None,
            data: String::new(),
        };
        let mut fields = 0;
        for line in block.lines() {
            if line.starts_with(':') {
                self.heartbeats += 1;
            } else if let Some((name, value)) = line.split_once(':') {
                let value = value.strip_prefix(' ').unwrap_or(value).to_string();
                match name {
                    "event" => event.event = value,
                    "id" => event.id = Some(value),
                    "data" => event.data = value,
                    _ => {}
                }
                fields += 1;
            }
        }
        (fields > 0).then_some(event)
    }
}

async fn first_post(app: &TestApp, thread: i64) -> i64 {
    app.count(&format!(
        "SELECT min(id) FROM posts WHERE thread_id = {thread}"
    ))
    .await
}

#[tokio::test]
async fn an_open_thread_hears_each_new_reply_and_a_member_their_notification_count() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.other_browser();
    let ana_id = ana.member("ana", gardens, "member").await;
    let thread = ana.start_thread("gardens", "Frost cloth", "When?").await;
    let opening = first_post(&app, thread).await;

    // The thread's last page names its stream; a signed-in member's other pages name theirs.
    let page = app.get(&format!("/t/{thread}")).await;
    let stream = format!("/live?thread={thread}&amp;after={opening}");
    assert!(
        page.contains(&format!("content=\"{stream}\"")),
        "{}",
        page.body
    );
    assert!(ana.get("/d").await.contains("content=\"/live\""));
    assert!(!app.get("/d").await.contains("commonplace-live"));

    let mut visitor = LiveStream::open(
        &app,
        &format!("/live?thread={thread}&after={opening}"),
        None,
    )
    .await;
    let mut ana_stream = LiveStream::open(&ana, "/live", None).await;
    assert_eq!(ana_stream.next_of("notifications").await.data, "0");

    let bea = app.other_browser();
    bea.member("bea", gardens, "member").await;
    let reply = bea.answer(thread, "Before the first frost.").await;
    let heard = visitor.next_of("reply").await;
    assert_eq!(heard.id.as_deref(), Some(reply.to_string().as_str()));
    assert_eq!(heard.data, reply.to_string());
    assert_eq!(ana_stream.next_of("notifications").await.data, "1");

    // Reading the notification elsewhere lowers the count on the open page.
    let notification = app
        .count(&format!(
            "SELECT id FROM notifications WHERE user_id = {ana_id}"
        ))
        .await;
    ana.get(&format!("/notifications/{notification}")).await;
    assert_eq!(ana_stream.next_of("notifications").await.data, "0");

    // A second reply is announced once, and only that one.
    let second = bea.answer(thread, "Or a fleece.").await;
    let heard = visitor.next_of("reply").await;
    assert_eq!(heard.data, second.to_string());

    // A visitor with no thread open has nothing to follow; a damaged thread id names nothing.
    assert_eq!(app.get("/live").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/live?thread=abc&after=1").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/live?thread={thread}&after=-4"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_member_back_after_a_long_time_away_sees_99_plus_unread_in_the_header_and_the_stream() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.other_browser();
    let ana_id = ana.member("ana", gardens, "member").await;
    let badge = |label: &str| {
        format!("<span class=\"badge\">{label}<span class=\"visually-hidden\"> unread</span>")
    };
    let away = |count: i64| {
        sqlx::query(
            "INSERT INTO notifications (user_id, kind, message)
             SELECT $1, 'mentor_paired', 'While you were away' FROM generate_series(1, $2)",
        )
        .bind(ana_id)
        .bind(count)
    };
    away(99).execute(&app.db).await.unwrap();
    assert!(ana.get("/d").await.contains(&badge("99")));
    away(21).execute(&app.db).await.unwrap();
    assert!(ana.get("/d").await.contains(&badge("99+")));
    let mut stream = LiveStream::open(&ana, "/live", None).await;
    assert_eq!(stream.next_of("notifications").await.data, "99+");

    ana.submit("/notifications", "/notifications/read", &[])
        .await;
    assert_eq!(stream.next_of("notifications").await.data, "0");
    assert!(!ana.get("/d").await.contains("class=\"badge\""));
}

#[tokio::test]
async fn a_private_thread_streams_to_nobody_who_may_not_read_it() {
    let app = TestApp::spawn().await;
    let council = app.create_domain("council", "private").await;
    let fay = app.other_browser();
    fay.member("fay", council, "facilitator").await;
    let dan = app.other_browser();
    dan.member("dan", council, "member").await;
    let thread = fay.start_thread("council", "Budget", "Figures.").await;
    let opening = first_post(&app, thread).await;
    let path = format!("/live?thread={thread}&after={opening}");

    // The same rule as the page: a visitor and an outsider find no such stream.
    assert_eq!(app.get(&path).await.status, StatusCode::NOT_FOUND);
    let outsider = app.other_browser();
    outsider.outsider("olga").await;
    assert_eq!(outsider.get(&path).await.status, StatusCode::NOT_FOUND);

    let mut member = LiveStream::open(&dan, &path, None).await;
    let first = fay.answer(thread, "Seeds: 40.").await;
    assert_eq!(member.next_of("reply").await.data, first.to_string());

    // Hidden while the page is open: the next reply is not announced, and the stream ends.
    sqlx::query("UPDATE threads SET hidden = true WHERE id = $1")
        .bind(thread)
        .execute(&app.db)
        .await
        .unwrap();
    let secret = fay.answer(thread, "Tools: 15.").await;
    let next = member.next(PATIENCE).await.expect("an event");
    assert_eq!(next.event, "gone", "not {next:?} (reply {secret})");
    assert!(member.ends_within(PATIENCE).await);
}

#[tokio::test]
async fn a_dropped_stream_resumes_after_the_last_reply_it_was_sent() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.other_browser();
    ana.member("ana", gardens, "member").await;
    let thread = ana
        .start_thread("gardens", "Seed swap", "Who brings what?")
        .await;
    let opening = first_post(&app, thread).await;
    let seen = ana.answer(thread, "Beans.").await;
    let missed = [
        ana.answer(thread, "Peas.").await,
        ana.answer(thread, "Kale.").await,
    ];

    // The browser reconnects with the id of the last event it had.
    let mut resumed = LiveStream::open(
        &app,
        &format!("/live?thread={thread}&after={opening}"),
        Some(&seen.to_string()),
    )
    .await;
    for id in missed {
        assert_eq!(resumed.next_of("reply").await.data, id.to_string());
    }
    assert!(
        resumed.next(Duration::from_millis(300)).await.is_none(),
        "nothing sent twice"
    );
    // Without `after` or `Last-Event-ID`, a stream starts from now.
    let mut fresh = LiveStream::open(&app, &format!("/live?thread={thread}"), None).await;
    assert!(fresh.next(Duration::from_millis(300)).await.is_none());
}

#[tokio::test]
async fn streams_are_bounded_beat_and_free_their_place_when_the_page_goes() {
    // With the page cache on: a stream must pass it by, never wait to be kept whole.
    let app = TestApp::spawn_with(Config {
        live_streams: 1,
        live_heartbeat: Duration::from_millis(100),
        ..Config::defaults()
    })
    .await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.other_browser();
    ana.member("ana", gardens, "member").await;
    let thread = ana.start_thread("gardens", "Mulch", "Which?").await;
    let path = format!("/live?thread={thread}");

    let mut first = LiveStream::open(&app, &path, None).await;
    let refused = app.get(&path).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.contains("Too many pages are following live updates"));
    assert!(first.next(Duration::from_millis(500)).await.is_none());
    assert!(first.heartbeats >= 2, "{} heartbeats", first.heartbeats);

    drop(first);
    let deadline = Instant::now() + PATIENCE;
    loop {
        let response = app.open(&path, &[]).await;
        if response.status() == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "the place is freed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
