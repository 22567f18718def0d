//! How many times a page waits for the database in turn. The server reaches PostgreSQL through
//! a slow link that holds every answer back for `DELAY`; a page then takes one `DELAY` per
//! round trip it waits for, however many statements run side by side, so the fastest of a few
//! loads, divided by `DELAY`, counts its sequential round trips. The pool saves a round trip by
//! not checking a connection used in the last ten seconds; one idle for longer is checked, so
//! a page never gets a connection that died while it waited.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use commonplace::Config;
use sqlx::postgres::PgConnectOptions;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixListener, UnixStream};
use tokio::sync::mpsc;

use crate::helpers::{fresh_database, TestApp};

/// Far longer than a page's own work in a debug build, even with the rest of the suite running
/// on two cores, so the quotient is the round trips.
const DELAY: Duration = Duration::from_millis(120);

static NEXT_LINK: AtomicUsize = AtomicUsize::new(0);

/// Where the link forwards to: the cluster's socket, or a server named by `DATABASE_URL`.
#[derive(Clone)]
enum Upstream {
    Socket(PathBuf),
    Tcp(String),
}

impl Upstream {
    fn of(options: &PgConnectOptions) -> Upstream {
        match options.get_socket() {
            Some(dir) => Upstream::Socket(dir.join(format!(".s.PGSQL.{}", options.get_port()))),
            None => Upstream::Tcp(format!("{}:{}", options.get_host(), options.get_port())),
        }
    }

    async fn connect(&self) -> std::io::Result<Box<dyn Stream>> {
        Ok(match self {
            Upstream::Socket(path) => Box::new(UnixStream::connect(path).await?),
            Upstream::Tcp(address) => {
                let stream = TcpStream::connect(address).await?;
                stream.set_nodelay(true)?;
                Box::new(stream)
            }
        })
    }
}

trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// Options reaching the same database through a new slow link (a Unix socket in a directory of
/// this run's, which the harness removes once the run has ended).
fn slow_link(options: &PgConnectOptions) -> PgConnectOptions {
    let dir = std::env::temp_dir().join(format!(
        "commonplace-test-{}-link-{}",
        std::process::id(),
        NEXT_LINK.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("a directory for the link's socket");
    let listener = UnixListener::bind(dir.join(format!(".s.PGSQL.{}", options.get_port())))
        .expect("the link listens");
    let upstream = Upstream::of(options);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(relay(client, upstream.clone()));
        }
    });
    options.clone().socket(&dir)
}

/// Passes the client's messages on at once and the server's after `DELAY`, each chunk
/// `DELAY` after it arrived: an answer sent in several pieces is late once, not once a piece.
async fn relay(client: UnixStream, upstream: Upstream) {
    let Ok(server) = upstream.connect().await else {
        return;
    };
    let (mut client_reads, mut client_writes) = tokio::io::split(client);
    let (mut server_reads, mut server_writes) = tokio::io::split(server);
    let requests = async {
        let _ = tokio::io::copy(&mut client_reads, &mut server_writes).await;
        let _ = server_writes.shutdown().await;
    };
    let (held, mut due) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let answers = async move {
        let mut buffer = vec![0; 64 * 1024];
        while let Ok(read @ 1..) = server_reads.read(&mut buffer).await {
            if held
                .send((Instant::now() + DELAY, buffer[..read].to_vec()))
                .is_err()
            {
                break;
            }
        }
    };
    let deliveries = async {
        while let Some((at, bytes)) = due.recv().await {
            tokio::time::sleep_until(at.into()).await;
            if client_writes.write_all(&bytes).await.is_err() {
                break;
            }
        }
    };
    tokio::join!(requests, answers, deliveries);
}

/// A server reaching its database through a slow link; the test's own set-up goes direct.
async fn site_behind_slow_link() -> TestApp {
    let db = fresh_database().await;
    let slow = commonplace::database::pool(slow_link(&db.connect_options()))
        .await
        .expect("connect through the slow link");
    let config = Config {
        page_cache: false,
        ..Config::defaults()
    };
    TestApp::spawn_serving(slow, db, config).await
}

/// The page's sequential round trips (`fastest_of`), after loads that give the pool's
/// connections their first meetings with the page's statements.
async fn round_trips(browser: &TestApp, path: &str, expected: u128) -> u128 {
    // The pool hands connections out oldest-idle first, and statements read side by side take
    // whichever come first, so which connection meets which statement is down to timing: the
    // profile's seven statements over eight connections leave a few pairs unmet after twenty
    // loads ((7/8)^20 each). A fixed count of timed loads once counted 3 for a visitor's profile.
    for _ in 0..WARM_UP_LOADS {
        browser.get(path).await;
    }
    let load = move || async move {
        assert_eq!(browser.get(path).await.status, 200, "{path}");
    };
    fastest_of(expected, load).await.0
}

/// Sequential round trips: the fastest of up to `TIMED_LOADS` sends, in whole `DELAY`s,
/// stopping at the first as fast as `expected` allows. A send is never faster than its round
/// trips allow, so stopping early cannot pass one that waits more often; a send can be slower,
/// when a connection meets one of its statements for the first time and prepares it (a round
/// trip more). Returns the count and how many were sent.
async fn fastest_of<F, Fut>(expected: u128, mut send: F) -> (u128, usize)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut fastest = Duration::MAX;
    let mut sent = 0;
    loop {
        let started = Instant::now();
        send().await;
        sent += 1;
        fastest = fastest.min(started.elapsed());
        let counted = fastest.as_millis() / DELAY.as_millis();
        if counted <= expected || sent == TIMED_LOADS {
            return (counted, sent);
        }
    }
}

const WARM_UP_LOADS: usize = 10;
const TIMED_LOADS: usize = 40;

#[tokio::test]
async fn pages_wait_for_the_database_at_most_twice_for_a_visitor_and_three_times_for_a_member() {
    let app = site_behind_slow_link().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    app.add_member(domain, ana, "member").await;
    let thread = app.insert_thread(domain, ana, "Mulch", 60).await;
    let later: i64 = sqlx::query_scalar(
        "SELECT id FROM posts WHERE thread_id = $1 ORDER BY id OFFSET 50 LIMIT 1",
    )
    .bind(thread)
    .fetch_one(&app.db)
    .await
    .expect("the second page's first post");
    let member = app.other_browser();
    member.member("bea", domain, "member").await;

    // Path, then the round trips for a visitor and for a member.
    let expected = [
        // The thread and its posts side by side; a member's session first, their account
        // checked as it loads.
        (format!("/t/{thread}"), 1, 2),
        // A later page too: its posts, and the page before it, are found by their numbers.
        (format!("/t/{thread}?from={later}"), 1, 2),
        // The domain; then its list, reports and a member's counts side by side.
        ("/d/gardens".to_string(), 2, 3),
        // The home page's lists side by side; a member's session (with their account) first.
        ("/".to_string(), 1, 2),
        // The member; then what the profile shows of them, side by side.
        ("/u/ana".to_string(), 2, 3),
        // The domain; then the entries and counts.
        ("/d/gardens/repertoire".to_string(), 2, 3),
        ("/members?expertise=mulch".to_string(), 1, 2),
        // The domains to narrow to beside the window's edge; then the search.
        ("/search?q=mulch".to_string(), 2, 3),
        ("/d/gardens/feed.atom".to_string(), 2, 3),
    ];
    let mut counted = Vec::new();
    for (path, visitor, member_trips) in &expected {
        counted.push((
            path.clone(),
            round_trips(&app, path, *visitor).await,
            round_trips(&member, path, *member_trips).await,
        ));
    }
    println!("sequential round trips (path, visitor, member): {counted:?}");
    for ((path, visitor, member), (_, counted_visitor, counted_member)) in
        expected.iter().zip(&counted)
    {
        assert_eq!(
            counted_visitor, visitor,
            "a visitor's round trips for {path}"
        );
        assert_eq!(counted_member, member, "a member's round trips for {path}");
    }
}

#[tokio::test]
async fn pages_work_after_the_database_ended_every_idle_connection() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(domain, ana, "Mulch", 3).await;
    let member = app.other_browser();
    member.member("bea", domain, "member").await;
    let pages = [format!("/t/{thread}"), "/d/gardens".into(), "/".into()];
    for path in &pages {
        assert_eq!(member.get(path).await.status, 200, "{path}");
    }
    // As when PostgreSQL restarts: every connection but this statement's own ends.
    let ended: i64 = sqlx::query_scalar(
        "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&app.db)
    .await
    .expect("end the connections");
    assert!(ended >= 3, "the pages' connections ended ({ended})");
    // Longer than the pool trusts a connection without a check (`TRUSTED_AFTER_USE`).
    tokio::time::sleep(Duration::from_secs(11)).await;
    for path in &pages {
        assert_eq!(member.get(path).await.status, 200, "{path} as a member");
        assert_eq!(app.get(path).await.status, 200, "{path} as a visitor");
    }
}

/// The round trips of a form sent again and again (each send a new write), counted as
/// `fastest_of` counts them. Returns the count and how many were sent.
async fn form_round_trips(
    member: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    expected: u128,
) -> (u128, usize) {
    let csrf = member.get("/").await.csrf();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    let all = &all;
    let send = move || async move {
        let page = member.post(path, all).await;
        assert_eq!(page.status, 303, "{path} did what it was asked");
    };
    fastest_of(expected, send).await
}

#[tokio::test]
async fn a_reply_and_a_reaction_each_wait_three_times() {
    let app = site_behind_slow_link().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(domain, ana, "Mulch", 3).await;
    let member = app.other_browser();
    member.member("bea", domain, "member").await;

    // The member's session, their account checked as it loads; the thread; then the reply written
    // with its key, draft, watch, notifications and reading mark in one statement that commits
    // on its own. (Each send without a key is a new reply.)
    let before = app.post_ids(thread).await.len();
    let reply = format!("/t/{thread}/reply");
    let fields = [("body", "Leaf mould worked for us."), ("action", "post")];
    let (counted, sent) = form_round_trips(&member, &reply, &fields, 3).await;
    assert_eq!(counted, 3, "a reply's round trips");
    let after = app.post_ids(thread).await.len();
    assert_eq!(after, before + sent, "each reply was written once");

    // The session with the account; the post and its thread side by side; the reaction given
    // or taken back, with the post's count, in one statement.
    let post = app.post_ids(thread).await[1];
    let react = format!("/p/{post}/react");
    let (counted, sent) = form_round_trips(&member, &react, &[("kind", "thanks")], 3).await;
    assert_eq!(counted, 3, "a reaction's round trips");
    let thanks: i32 = sqlx::query_scalar("SELECT thanks_count FROM posts WHERE id = $1")
        .bind(post)
        .fetch_one(&app.db)
        .await
        .expect("the post's count");
    assert_eq!(
        thanks,
        (sent % 2) as i32,
        "each press gave or took back one thanks"
    );
}
