//! A server with a streaming read replica (`COMMONPLACE_READ_DATABASE_URL`), on a primary
//! cluster of the test's own and a hot standby built from it with `pg_basebackup`. Pausing the
//! standby's replay makes its lag as long as the test needs, so what each reader is shown says
//! which server answered.

use std::time::{Duration, Instant};

use commonplace::database::replica::Lsn;
use commonplace::database::{self, Durability, EmbeddedPostgres};
use commonplace::web::read_split::WROTE_COOKIE;
use commonplace::Config;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::helpers::{TestApp, PASSWORD};
use crate::live::LiveStream;

/// A primary cluster and its standby, removed with their directory when the test ends.
struct Replicated {
    primary: Option<EmbeddedPostgres>,
    standby: Option<EmbeddedPostgres>,
    dir: std::path::PathBuf,
}

impl Replicated {
    async fn start() -> Replicated {
        let dir =
            std::env::temp_dir().join(format!("commonplace-test-{}-replica", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let primary = EmbeddedPostgres::start(&dir.join("primary"), Durability::Throwaway)
            .await
            .expect("the primary starts");
        let standby = primary
            .start_standby(&dir.join("standby"), Durability::Throwaway)
            .await
            .expect("pg_basebackup builds a standby, and it starts");
        Replicated {
            primary: Some(primary),
            standby: Some(standby),
            dir,
        }
    }

    fn standby(&self) -> &EmbeddedPostgres {
        self.standby.as_ref().expect("the standby runs")
    }

    /// Waits until the standby has replayed everything the primary has written.
    async fn caught_up(&self, primary: &PgPool, standby: &PgPool) {
        let position = |db: &PgPool, sql: &'static str| {
            let db = db.clone();
            async move {
                let lsn: i64 = sqlx::query_scalar(sql).fetch_one(&db).await.unwrap();
                Lsn::new(lsn as u64)
            }
        };
        let written = position(
            primary,
            "SELECT (pg_current_wal_insert_lsn() - '0/0')::bigint",
        )
        .await;
        let deadline = Instant::now() + Duration::from_secs(20);
        let replay = "SELECT (pg_last_wal_replay_lsn() - '0/0')::bigint";
        while !position(standby, replay).await.has_reached(written) {
            assert!(Instant::now() < deadline, "the standby catches up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Replicated {
    fn drop(&mut self) {
        drop(self.standby.take());
        drop(self.primary.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The read split's series for pages served by the replica.
const REPLICA_READS: &[(&str, &str)] = &[("database", "replica"), ("reason", "reads")];

/// Every read-split series and the replica's lag, to say why a request went where it did.
async fn routing_report(app: &TestApp) -> String {
    let scrape = app.open("/metrics", &[]).await.text().await.unwrap();
    scrape
        .lines()
        .filter(|line| {
            line.starts_with("commonplace_read_split") || line.starts_with("commonplace_replica")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads `page`, which shows `text` wherever it is read from, until the server has seen the
/// replica replay `reader`'s latest write and so drops the cookie that held them to the primary.
async fn read_until_the_replica_has_their_write(reader: &TestApp, page: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while reader.cookie(WROTE_COOKIE).is_some() {
        assert!(
            Instant::now() < deadline,
            "the replica's progress is noticed"
        );
        assert!(reader.get(page).await.contains(text));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `page` of `reader` until it contains `text`.
async fn eventually_shows(reader: &TestApp, page: &str, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !reader.get(page).await.contains(text) {
        assert!(Instant::now() < deadline, "{page} shows {text:?} in time");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn pages_read_from_the_replica_but_a_member_always_sees_their_own_post() {
    let mut clusters = Replicated::start().await;
    let primary_options = clusters
        .primary
        .as_ref()
        .unwrap()
        .connect_options("postgres");
    let mut admin = sqlx::ConnectOptions::connect(&primary_options)
        .await
        .unwrap();
    sqlx::query("CREATE DATABASE commonplace")
        .execute(&mut admin)
        .await
        .unwrap();
    let db = database::pool(primary_options.database("commonplace"))
        .await
        .unwrap();
    database::migrate(&db).await.unwrap();
    let standby_socket = clusters.standby().connect_options("commonplace");
    // The standby replays the new database a moment after the primary made it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let standby = loop {
        match database::pool(standby_socket.clone()).await {
            Ok(pool) => break pool,
            Err(err) if std::time::Instant::now() < deadline => {
                eprintln!("the standby has not replayed the database yet: {err}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(err) => panic!("the standby never had the database: {err}"),
        }
    };
    let read_url = format!(
        "postgres:///commonplace?host={}&user={}",
        standby_socket.get_socket().unwrap().display(),
        standby_socket.get_username()
    );

    let app = TestApp::spawn_on(
        db.clone(),
        Config {
            read_database_url: Some(read_url),
            ..Config::defaults()
        },
    )
    .await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.member("ana", gardens, "member").await;
    let bob_id = app.create_user("bob").await;
    app.add_member(gardens, bob_id, "member").await;
    let thread = app.insert_thread(gardens, ana, "Mulch depth", 2).await;
    let page = format!("/t/{thread}");
    let bob = app.other_browser();
    assert!(bob.login("bob", PASSWORD).await.done());
    clusters.caught_up(&db, &standby).await;
    // The server hears of the standby's progress a moment after the test does; until then,
    // bob's login holds him to the primary.
    read_until_the_replica_has_their_write(&bob, &page, "Mulch depth").await;

    // From here the replica replays nothing: it is as far behind as it will ever be.
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(&standby)
        .await
        .unwrap();
    // The live stream is told of the reply by the listener that also tells the page cache.
    let last = app
        .count(&format!(
            "SELECT max(id) FROM posts WHERE thread_id = {thread}"
        ))
        .await;
    let mut stream =
        LiveStream::open(&bob, &format!("/live?thread={thread}&after={last}"), None).await;
    let reply = app.reply(thread, "Wood chips, five centimetres deep").await;
    assert!(reply.done(), "{} {}", reply.status, reply.body);
    // First, while the replica is less than `MAX_LAG` behind (past it, every page is read from
    // the primary; on a loaded machine the steps below can take that long).
    let routed_before = routing_report(&app).await;
    let other = bob.get(&page).await;
    let routed_after = routing_report(&app).await;
    assert_eq!(other.status, StatusCode::OK);
    assert!(other.contains("Mulch depth"));
    let paused: String = sqlx::query_scalar("SELECT pg_get_wal_replay_pause_state()")
        .fetch_one(&standby)
        .await
        .unwrap();
    assert!(
        !other.contains("Wood chips"),
        "another member is served by the replica, which has not replayed the reply yet \
         (replay {paused}; before:\n{routed_before}\nafter:\n{routed_after})"
    );
    stream.next_of("reply").await;
    for _ in 0..3 {
        let own = app.get(&page).await;
        assert!(
            own.contains("Wood chips, five centimetres deep"),
            "the member who posted sees the post at once"
        );
    }
    // A visitor's page may be kept for every visitor: it is read from the primary while the
    // replica lacks a write the page cache has heard of.
    let visitor = app.other_browser().open(&page, &[]).await;
    assert_eq!(visitor.status(), StatusCode::OK);
    assert!(visitor.text().await.unwrap().contains("Wood chips"));
    assert!(app
        .metric("commonplace_read_split_requests_total", REPLICA_READS)
        .await
        .is_some_and(|served| served >= 1.0));

    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(&standby)
        .await
        .unwrap();
    eventually_shows(&bob, &page, "Wood chips, five centimetres deep").await;
    // Once the replica has the member's write, their pages are read from it again, and the
    // cookie that held them to the primary is gone.
    let before = app
        .metric("commonplace_read_split_requests_total", REPLICA_READS)
        .await
        .unwrap_or_default();
    assert!(
        app.cookie(WROTE_COOKIE).is_some(),
        "the reply gave ana the primary's position"
    );
    read_until_the_replica_has_their_write(&app, &page, "Wood chips").await;
    let after = app
        .metric("commonplace_read_split_requests_total", REPLICA_READS)
        .await
        .unwrap();
    assert!(
        after > before,
        "ana's pages are read from the replica again"
    );
    assert_eq!(app.metric("commonplace_replica_up", &[]).await, Some(1.0));

    // A replica that stops is not read; every page still answers, from the primary.
    drop(standby);
    drop(clusters.standby.take());
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.metric("commonplace_replica_up", &[]).await != Some(0.0) {
        assert!(Instant::now() < deadline, "the stopped replica is noticed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for reader in [&app, &bob] {
        let page = reader.get(&page).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.contains("Wood chips"));
    }
}
