//! The anonymous page cache: visitors without a session share one rendered page, and a write
//! anywhere (through this process, another process, or straight into the database) reaches
//! every process's cache within a second.

use std::time::{Duration, Instant};

use commonplace::Config;

use crate::helpers::{Page, TestApp};

fn cache_status(page: &Page) -> Option<&str> {
    page.headers
        .get("x-page-cache")
        .and_then(|v| v.to_str().ok())
}

async fn cached_app() -> TestApp {
    TestApp::spawn_with(Config::defaults()).await
}

/// Asks for `path` until the cache answers it, which needs the listener to be connected.
async fn until_cached(app: &TestApp, path: &str) -> Page {
    let started = Instant::now();
    loop {
        let page = app.get(path).await;
        if cache_status(&page) == Some("hit") {
            return page;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{path} was never served from the cache"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Asks for `path` until it shows `text`; returns how long that took.
async fn until_shown(app: &TestApp, path: &str, text: &str) -> Duration {
    let started = Instant::now();
    while !app.get(path).await.contains(text) {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path} never showed {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    started.elapsed()
}

#[tokio::test]
async fn an_anonymous_page_is_kept_and_a_write_in_the_database_replaces_it_within_a_second() {
    let app = cached_app().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(domain, ana, "Mulch depth", 2).await;
    let path = format!("/t/{thread}");
    let hit = until_cached(&app, &path).await;
    assert!(hit.contains("Mulch depth"));
    assert!(hit.contains("Post number 2"));

    sqlx::query("UPDATE threads SET title = 'Mulch depth, revisited' WHERE id = $1")
        .bind(thread)
        .execute(&app.db)
        .await
        .unwrap();
    let waited = until_shown(&app, &path, "Mulch depth, revisited").await;
    assert!(waited < Duration::from_secs(1), "stale for {waited:?}");
}

#[tokio::test]
async fn a_reply_posted_through_one_process_shows_on_another_processes_cached_page() {
    let first = cached_app().await;
    let domain = first.create_domain("gardens", "public").await;
    let ana = first.member("ana", domain, "member").await;
    let thread = first.insert_thread(domain, ana, "Mulch depth", 1).await;
    let second = TestApp::spawn_on(first.db.clone(), Config::defaults()).await;
    let path = format!("/t/{thread}");
    until_cached(&second, &path).await;
    until_cached(&second, "/d/gardens").await;

    assert!(first
        .reply(thread, "Five centimetres is plenty.")
        .await
        .done());
    let waited = until_shown(&second, &path, "Five centimetres is plenty.").await;
    assert!(waited < Duration::from_secs(1), "stale for {waited:?}");
    let listed = until_shown(&second, "/d/gardens", "<strong>2</strong> replies").await;
    assert!(listed < Duration::from_secs(1), "list stale for {listed:?}");
}

#[tokio::test]
async fn signed_in_pages_and_pages_that_start_a_session_are_never_kept() {
    let app = cached_app().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.member("ana", domain, "member").await;
    let thread = app.insert_thread(domain, ana, "Mulch depth", 1).await;
    let path = format!("/t/{thread}");
    let visitor = app.other_browser();
    until_cached(&visitor, &path).await;

    // The member's own page: their name, a reply form, and no shared copy either way.
    for _ in 0..3 {
        let page = app.get(&path).await;
        assert_eq!(cache_status(&page), None);
        assert!(page.contains("Log out"));
        assert!(page.contains("name=\"csrf\""));
    }
    // The login form starts a session for its CSRF token: every visitor gets their own.
    let stranger = app.other_browser();
    for _ in 0..3 {
        let page = stranger.get("/login").await;
        assert_eq!(cache_status(&page), None);
    }
    // What the anonymous visitor is served has nothing of the member's.
    let shared = visitor.get(&path).await;
    assert!(!shared.contains("Log out"));
    assert!(!shared.contains("name=\"csrf\""));
}

#[tokio::test]
async fn pages_that_are_not_found_are_not_kept() {
    let app = cached_app().await;
    let private = app.create_domain("council", "private").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(private, ana, "Budget", 1).await;
    until_cached(&app, "/").await;
    for _ in 0..3 {
        let page = app.get(&format!("/t/{thread}")).await;
        assert_eq!(page.status, reqwest::StatusCode::NOT_FOUND);
        assert_eq!(cache_status(&page), None);
    }
}

#[tokio::test]
async fn every_table_that_shows_on_public_pages_announces_its_writes() {
    let app = TestApp::spawn().await;
    // Tables that only ever show on signed-in or staff pages, deliberately left out.
    let private_only = [
        "_sqlx_migrations",
        "rate_counters",
        "password_resets",
        "notifications",
        "bookmarks",
        "thread_watches",
        "domain_watches",
        "tag_watches",
        "drafts",
        "conversations",
        "conversation_members",
        "messages",
        "message_blocks",
        "message_flags",
        "flags",
        "audit_log",
        "submissions",
        "outbox",
        "email_confirmations",
        "jobs",
        "member_presence",
        "thread_reads",
        "mail_preferences",
        "invitations",
        "uploads",
        // Where the recent posts' text index begins: it changes how a search is planned, not
        // what it finds.
        "recent_search_index",
        // Moved with `users` and `memberships`, which announce themselves.
        "post_authors_version",
    ];
    let silent: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = 'public' AND c.relkind = 'r'
            AND NOT EXISTS (SELECT 1 FROM pg_trigger t
                             WHERE t.tgrelid = c.oid AND t.tgname = c.relname || '_notify_pages')
          ORDER BY 1",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let forgotten: Vec<&String> = silent
        .iter()
        .filter(|t| !private_only.contains(&t.as_str()))
        .collect();
    assert!(
        forgotten.is_empty(),
        "these tables change public pages without telling the page cache: {forgotten:?}"
    );
    assert!(silent.len() == private_only.len(), "{silent:?}");
}

#[tokio::test]
async fn a_visitor_who_chose_dark_colours_gets_the_dark_page_and_nobody_else_does() {
    let app = cached_app().await;
    app.create_domain("gardens", "public").await;
    let dark = [("cookie", "commonplace_theme=dark")];
    let started = Instant::now();
    loop {
        let answer = app.open("/d/gardens", &dark).await;
        let hit = answer
            .headers()
            .get("x-page-cache")
            .is_some_and(|v| v == "hit");
        let body = answer.text().await.unwrap();
        assert!(
            body.contains("data-theme=\"dark\""),
            "the chosen colours, cached or not"
        );
        if hit {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "never cached");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let plain = until_cached(&app, "/d/gardens").await;
    assert!(plain.contains("<html lang=\"en\">"), "the device's colours");
}
