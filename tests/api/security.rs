//! Held under attack: each test here is one finding of the first-day attack (issue 11), and
//! failed before its fix.

use std::time::{Duration, Instant};

use crate::helpers::{all_at_once, TestApp, PASSWORD};
use commonplace::database::{self, Durability, EmbeddedPostgres};
use commonplace::Config;
use reqwest::StatusCode;

/// A member of a public domain with a thread to reply to.
async fn member_with_thread(app: &TestApp) -> i64 {
    let domain = app.create_domain("soil", "public").await;
    let ana = app.create_user("ana").await;
    app.add_member(domain, ana, "member").await;
    app.login("ana", PASSWORD).await;
    app.insert_thread(domain, ana, "Compost", 0).await
}

async fn preview(app: &TestApp, thread: i64, body: &str) -> crate::helpers::Page {
    app.submit(
        &format!("/t/{thread}/reply"),
        &format!("/t/{thread}/reply"),
        &[("body", body), ("action", "preview")],
    )
    .await
}

#[tokio::test]
async fn deeply_nested_markdown_cannot_stall_the_server() {
    let app = TestApp::spawn().await;
    let thread = member_with_thread(&app).await;
    // 40 KB of quotes in lists, and 100 000 nested quotes: tens of seconds and minutes before.
    let hostile = ["> - ".repeat(10_000), ">".repeat(100_000)];
    let started = Instant::now();
    let previews = hostile.iter().map(|body| {
        let app = app.same_browser();
        let body = body.clone();
        async move { preview(&app, thread, &body).await }
    });
    let health = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let asked = Instant::now();
        let page = app.other_browser().get("/readyz").await;
        (page.status, asked.elapsed())
    };
    let (pages, (health_status, health_time)) =
        tokio::join!(all_at_once(previews.collect()), health);
    for page in pages {
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.contains("Preview"), "the preview is shown");
    }
    assert_eq!(health_status, StatusCode::OK);
    assert!(
        health_time < Duration::from_millis(500),
        "the server answered others while rendering: {health_time:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "both previews answered in {:?}",
        started.elapsed()
    );
    // The same body posted is stored flattened, its text kept.
    let page = app
        .reply(thread, &format!("{}deep", "> ".repeat(5_000)))
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let html: String = sqlx::query_scalar(
        "SELECT body_html FROM posts WHERE thread_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(thread)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(html.matches("<blockquote>").count() <= 16, "{html}");
    assert!(html.contains("deep"));
}

/// Runs every future at once, each as its own task, and returns their outputs in order.
/// Sends every request at once; returns each answer's status and Retry-After header.
async fn send_all(requests: Vec<reqwest::RequestBuilder>) -> Vec<(StatusCode, bool)> {
    let sends = requests.into_iter().map(|request| async move {
        let response = request.send().await.expect("answered");
        let retry_after = response.headers().contains_key("retry-after");
        (response.status(), retry_after)
    });
    all_at_once(sends.collect()).await
}

#[tokio::test]
async fn previews_are_counted_and_the_text_is_kept_past_the_allowance() {
    // Allowance at rate_limit 1: 12 previews per window.
    let app = TestApp::spawn_with(Config {
        rate_limit: 1,
        page_cache: false,
        ..Config::defaults()
    })
    .await;
    let thread = member_with_thread(&app).await;
    for _ in 0..12 {
        let page = preview(&app, thread, "Turn the heap **weekly**.").await;
        assert!(page.contains("<strong>weekly</strong>"));
    }
    let page = preview(&app, thread, "Turn the heap **weekly**.").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("many previews"), "the reason is named");
    assert!(
        page.contains("Turn the heap **weekly**."),
        "the text is kept"
    );
    assert!(
        !page.contains("<strong>weekly</strong>"),
        "no thirteenth render"
    );
}

#[tokio::test]
async fn parallel_wrong_logins_for_one_account_are_held_to_the_limit() {
    let app = TestApp::spawn().await;
    app.create_user("ana").await;
    let mut tries = Vec::new();
    for _ in 0..60 {
        tries.push(app.login_request(None, "ana", "wrong password!").await);
    }
    let answers = send_all(tries).await;
    let evaluated = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    let refused = answers
        .iter()
        .filter(|(status, _)| {
            [
                StatusCode::TOO_MANY_REQUESTS,
                StatusCode::SERVICE_UNAVAILABLE,
            ]
            .contains(status)
        })
        .count();
    assert!(evaluated <= 10, "{evaluated} of 60 were checked (limit 10)");
    assert_eq!(evaluated + refused, 60, "every other try was refused");
}

#[tokio::test]
async fn an_absurdly_long_login_is_a_failed_login_not_an_error() {
    let app = TestApp::spawn().await;
    // Hard to compress, so PostgreSQL cannot squeeze it into an index entry.
    let long: String = (0..3_000u32)
        .map(|i| (i * 7919 % 9000 + 0x4e00).to_string())
        .collect();
    let page = app.login(&long, "wrong password!").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn parallel_registrations_from_one_address_are_held_to_the_limit() {
    let app = TestApp::spawn().await;
    let attempts = (0..40).map(|i| {
        let browser = app.other_browser();
        async move { browser.register(&format!("newcomer{i}")).await.status }
    });
    let statuses = all_at_once(attempts.collect()).await;
    let created = app.count("SELECT count(*) FROM users").await;
    assert!(
        created <= 10,
        "{created} accounts from one address (limit 10)"
    );
    assert!(statuses.iter().all(|s| [
        StatusCode::SEE_OTHER,
        StatusCode::TOO_MANY_REQUESTS,
        StatusCode::SERVICE_UNAVAILABLE
    ]
    .contains(s)));
}

#[tokio::test]
async fn a_burst_of_logins_is_checked_or_told_to_come_back_never_failed() {
    let app = TestApp::spawn_with(Config {
        trusted_proxy: Some("127.0.0.1".parse().unwrap()),
        page_cache: false,
        ..Config::defaults()
    })
    .await;
    // 150 logins at once from 150 addresses, for 150 accounts: no rate limit applies.
    let mut tries = Vec::new();
    for i in 0..150 {
        let address = format!("10.0.{}.{}", i / 200, i % 200);
        let login = format!("member{i}");
        tries.push(
            app.login_request(Some(&address), &login, "wrong password!")
                .await,
        );
    }
    let answers = send_all(tries).await;
    let busy: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(
        answers.iter().all(|(status, _)| {
            [
                StatusCode::UNPROCESSABLE_ENTITY,
                StatusCode::SERVICE_UNAVAILABLE,
            ]
            .contains(status)
        }),
        "every try was checked or told to come back: {answers:?}"
    );
    assert!(busy.iter().all(|(_, retry_after)| *retry_after));
}

#[tokio::test]
async fn next_after_login_stays_on_this_site() {
    let app = TestApp::spawn().await;
    app.create_user("ana").await;
    let hostile = [
        "/\t/evil.example",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example",
        "/\r\nSet-Cookie: x=1",
        "/\u{7f}",
        "/caf\u{e9}",
        "",
    ];
    for next in hostile {
        let page = app
            .submit(
                "/login",
                "/login",
                &[("login", "ana"), ("password", PASSWORD), ("next", next)],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(page.location.as_deref(), Some("/"), "{next:?}");
        app.logout().await;
        let encoded = serde_urlencoded::to_string([("next", next)]).unwrap();
        let form = app.get(&format!("/login?{encoded}")).await;
        assert_eq!(form.status, StatusCode::OK, "{next:?}");
    }
    let page = app
        .submit(
            "/login",
            "/login",
            &[
                ("login", "ana"),
                ("password", PASSWORD),
                ("next", "/d/soil?page=2#top"),
            ],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/d/soil?page=2#top"));
}

fn short_timeouts(max_connections: usize) -> Config {
    Config {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        max_connections,
        page_cache: false,
        ..Config::defaults()
    }
}

/// Reads until the server closes the connection; returns what it sent and when it closed.
async fn until_closed(socket: &mut tokio::net::TcpStream) -> (String, Duration) {
    use tokio::io::AsyncReadExt;
    let started = Instant::now();
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut received));
    let _ = read.await;
    (
        String::from_utf8_lossy(&received).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test]
async fn slow_clients_are_cut_off() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn_with(short_timeouts(512)).await;
    // Slowloris: a request head, a header line every 300 ms, never finished.
    let mut slow_heads = Vec::new();
    for _ in 0..50 {
        let mut socket = tokio::net::TcpStream::connect(app.address).await.unwrap();
        socket
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow_heads.push(tokio::spawn(async move {
            let started = Instant::now();
            for i in 0..30 {
                tokio::time::sleep(Duration::from_millis(300)).await;
                if socket
                    .write_all(format!("X-{i}: y\r\n").as_bytes())
                    .await
                    .is_err()
                {
                    break;
                }
            }
            let (_, _) = until_closed(&mut socket).await;
            started.elapsed()
        }));
    }
    // A connection that never sends a byte, and a body that stops halfway.
    let mut idle = tokio::net::TcpStream::connect(app.address).await.unwrap();
    let mut half_body = tokio::net::TcpStream::connect(app.address).await.unwrap();
    half_body
        .write_all(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nlogin=ana")
        .await
        .unwrap();
    let (_, idle_for) = until_closed(&mut idle).await;
    let (answer, half_for) = until_closed(&mut half_body).await;
    assert!(
        idle_for < Duration::from_secs(3),
        "idle connection held {idle_for:?}"
    );
    assert!(
        half_for < Duration::from_secs(3),
        "half a body held {half_for:?}"
    );
    assert!(!answer.contains(" 500 "), "{answer}");
    for slow in slow_heads {
        let held = slow.await.unwrap();
        assert!(held < Duration::from_secs(4), "a slow head held {held:?}");
    }
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn connections_past_the_limit_wait_for_a_free_one() {
    let app = TestApp::spawn_with(short_timeouts(4)).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(tokio::net::TcpStream::connect(app.address).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let page = app.other_browser().get("/healthz").await;
    assert_eq!(page.status, StatusCode::OK);
    let waited = started.elapsed();
    assert!(
        waited > Duration::from_millis(500),
        "the fifth connection was served only once an idle one was cut: {waited:?}"
    );
}

#[tokio::test]
async fn a_member_changes_their_password_and_other_sessions_end() {
    let app = TestApp::spawn().await;
    app.create_user("ana").await;
    app.login("ana", PASSWORD).await;
    let laptop = app.other_browser();
    laptop.login("ana", PASSWORD).await;

    let wrong = app
        .submit(
            "/me/password",
            "/me/password",
            &[("current", "not my password"), ("password", "short")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.contains("That is not your current password."));
    assert!(wrong.contains("Use at least 10 characters."));
    assert!(
        !wrong.contains("not my password"),
        "passwords are never sent back"
    );
    assert_eq!(laptop.signed_in_as().await.as_deref(), Some("ana"));

    let changed = app
        .submit(
            "/me/password",
            "/me/password",
            &[
                ("current", PASSWORD),
                ("password", "a much better password"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.signed_in_as().await.as_deref(),
        Some("ana"),
        "this session stays"
    );
    assert_eq!(laptop.signed_in_as().await, None, "the other one ends");
    let fresh = app.other_browser();
    assert_eq!(
        fresh.login("ana", PASSWORD).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        fresh.login("ana", "a much better password").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.other_browser().get("/me/password").await.status,
        StatusCode::SEE_OTHER,
        "visitors are sent to log in"
    );
}

#[tokio::test]
async fn a_ban_makes_the_domain_read_only_and_survives_removal() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("soil", "public").await;
    let ana = app.create_user("ana").await;
    app.add_member(domain, ana, "member").await;
    let fay = app.create_user("fay").await;
    app.add_member(domain, fay, "facilitator").await;
    let bo = app.other_browser();
    let bo_id = bo.create_user("bob").await;
    app.add_member(domain, bo_id, "member").await;
    bo.login("bob", PASSWORD).await;
    app.login("ana", PASSWORD).await;

    let question = app.ask("soil", "Heavy clay?", "What breaks it up?").await;
    let opening: i64 = sqlx::query_scalar("SELECT min(id) FROM posts WHERE thread_id = $1")
        .bind(question)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let answer = bo.answer(question, "Gypsum and patience.").await;
    let entry = app.insert_entry(domain, "Gypsum for clay").await;
    app.report(entry, "worked").await;
    let report: i64 = app.count("SELECT max(id) FROM practice_reports").await;
    app.ban(domain, ana).await;

    let edit = app.get(&format!("/p/{opening}/edit")).await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
    assert!(edit.contains("banned from this domain"));
    let tries = [
        app.act(
            &format!("/p/{opening}/edit"),
            &[
                ("title", "Retitled"),
                ("body", "Changed"),
                ("action", "post"),
            ],
        )
        .await,
        app.act(&format!("/p/{opening}/delete"), &[]).await,
        app.act(
            &format!("/reports/{report}/edit"),
            &[
                ("context", "x"),
                ("tried", "y"),
                ("outcome", "did_not_work"),
                ("reflection", ""),
            ],
        )
        .await,
        app.accept(question, answer).await,
        app.flag(answer, "spam").await,
    ];
    for page in &tries {
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    }
    let unchanged = app
        .count(&format!(
            "SELECT count(*) FROM posts p JOIN threads t ON t.id = p.thread_id
              WHERE p.id = {opening} AND p.body_md = 'What breaks it up?' AND p.deleted_at IS NULL
                AND t.title = 'Heavy clay?' AND t.accepted_post_id IS NULL"
        ))
        .await;
    assert_eq!(unchanged, 1, "the post, title and answer are as they were");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM practice_reports WHERE id = {report} AND outcome = 'worked'"
        ))
        .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM flags").await, 0);
    let thread_page = app.get(&format!("/t/{question}")).await;
    assert!(
        !thread_page.contains(&format!("/p/{opening}/edit")),
        "no edit link offered"
    );

    // Removing a banned member keeps the ban: rejoining does not let them post.
    let facilitator = app.other_browser();
    facilitator.login("fay", PASSWORD).await;
    let removed = facilitator
        .act("/d/soil/members/ana/remove", &[("reason", "")])
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    app.join("soil").await;
    let reply = app.reply(question, "I am back").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT count(*) FROM posts WHERE body_md = 'I am back'")
            .await,
        0
    );
}

#[tokio::test]
async fn forms_and_links_the_server_cannot_read_get_the_html_error_page() {
    let app = TestApp::spawn().await;
    let thread = member_with_thread(&app).await;
    let post: i64 = sqlx::query_scalar("SELECT min(id) FROM posts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let token = app.get(&format!("/p/{post}/edit")).await.csrf();
    let html_error = |page: &crate::helpers::Page| {
        page.status == StatusCode::BAD_REQUEST
            && page
                .headers
                .get("content-type")
                .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/html"))
            && page.contains("That request did not make sense")
    };

    // A field of the wrong shape: axum answered 422 in plain text.
    let wrong_shape = app
        .post(
            &format!("/p/{post}/edit"),
            &[("csrf", &token), ("version", "seven"), ("body", "Text")],
        )
        .await;
    assert!(html_error(&wrong_shape), "{}", wrong_shape.body);

    // A form sent as JSON with the token in the header: axum answered 415 in plain text.
    let as_json = app
        .send(
            reqwest::Client::new()
                .post(app.url(&format!("/t/{thread}/reply")))
                .header("cookie", app.session_cookie().unwrap())
                .header("x-csrf-token", &token)
                .header("content-type", "application/json")
                .body(r#"{"body":"Hello"}"#),
        )
        .await;
    assert!(html_error(&as_json), "{}", as_json.body);

    // A query string that does not fit (a field given twice): axum answered 400 in plain text.
    let damaged = app.get("/search?q=a&q=b").await;
    assert!(html_error(&damaged), "{}", damaged.body);
}

#[tokio::test]
async fn a_thread_moved_into_a_private_domain_is_no_longer_named_by_entries_or_the_spotlight() {
    let app = TestApp::spawn().await;
    let soil = app.create_domain("soil", "public").await;
    let council = app.create_domain("council", "private").await;
    let ana = app.create_user("ana").await;
    app.add_member(soil, ana, "member").await;
    app.add_member(council, ana, "member").await;
    let thread = app
        .insert_thread(soil, ana, "Buying the east field", 0)
        .await;
    let post: i64 = sqlx::query_scalar("SELECT id FROM posts WHERE thread_id = $1")
        .bind(thread)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let entry = app
        .insert_entry_from(soil, "story", "Pooling money", "How we did it", post)
        .await;
    sqlx::query("INSERT INTO spotlights (domain_id, post_id, reason) VALUES ($1, $2, 'Brave')")
        .bind(soil)
        .bind(post)
        .execute(&app.db)
        .await
        .unwrap();
    assert!(app
        .get(&format!("/r/{entry}"))
        .await
        .contains("Buying the east field"));
    assert!(app.get("/d/soil").await.contains("Buying the east field"));

    sqlx::query("UPDATE threads SET domain_id = $2 WHERE id = $1")
        .bind(thread)
        .bind(council)
        .execute(&app.db)
        .await
        .unwrap();
    let entry_page = app.get(&format!("/r/{entry}")).await;
    assert_eq!(entry_page.status, StatusCode::OK);
    assert!(!entry_page.contains("Buying the east field"), "a visitor");
    assert!(!entry_page.contains(&format!("/p/{post}")));
    assert!(!app.get("/d/soil").await.contains("Buying the east field"));

    // A member of the private domain still sees where the entry came from.
    app.login("ana", PASSWORD).await;
    assert!(app
        .get(&format!("/r/{entry}"))
        .await
        .contains("Buying the east field"));
}

/// A server on a PostgreSQL cluster of its own, which the test stops and starts again.
async fn app_on_own_cluster(dir: &std::path::Path) -> (TestApp, EmbeddedPostgres) {
    let cluster = EmbeddedPostgres::start(dir, Durability::Throwaway)
        .await
        .expect("a private cluster starts");
    database::create_database_if_missing(&cluster, "outage")
        .await
        .unwrap();
    let pool = database::pool(cluster.connect_options("outage"))
        .await
        .unwrap();
    database::migrate(&pool).await.unwrap();
    let config = Config {
        page_cache: false,
        ..Config::defaults()
    };
    (TestApp::spawn_on(pool, config).await, cluster)
}

#[tokio::test]
async fn while_the_database_is_away_pages_say_so_within_a_second_and_recover() {
    let dir = std::env::temp_dir().join(format!("commonplace-test-{}-outage", std::process::id()));
    let (app, cluster) = app_on_own_cluster(&dir).await;
    let thread = member_with_thread(&app).await;
    assert_eq!(
        app.get(&format!("/t/{thread}")).await.status,
        StatusCode::OK
    );
    cluster.stop();

    for path in ["/", &format!("/t/{thread}"), "/d/soil", "/search?q=compost"] {
        let started = Instant::now();
        let page = app.get(path).await;
        let took = started.elapsed();
        assert_eq!(
            page.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{path}: {}",
            page.body
        );
        assert!(page.headers.contains_key("retry-after"), "{path}");
        assert!(
            page.contains("cannot reach its database"),
            "{path}: {}",
            page.body
        );
        assert!(took < Duration::from_secs(1), "{path} took {took:?}");
    }

    // PostgreSQL comes back; the server reconnects by itself, the member still signed in.
    let cluster = EmbeddedPostgres::start(&dir, Durability::Throwaway)
        .await
        .expect("the cluster starts again");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let page = app.get(&format!("/t/{thread}")).await;
        if page.status == StatusCode::OK {
            assert!(page.contains("Compost") && page.contains("Log out"));
            break;
        }
        assert!(Instant::now() < deadline, "not recovered: {}", page.status);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    cluster.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
