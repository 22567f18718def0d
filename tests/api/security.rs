//! Held under attack: each test here is one finding of the first-day attack (issue 11), and
//! failed before its fix.

use std::time::{Duration, Instant};

use crate::helpers::{TestApp, PASSWORD};
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
        let page = app.other_browser().get("/healthz").await;
        (page.status, asked.elapsed())
    };
    let (pages, (health_status, health_time)) =
        tokio::join!(futures_join_all(previews.collect()), health);
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
async fn futures_join_all<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        outputs.push(handle.await.expect("the task ran"));
    }
    outputs
}

/// Sends every request at once; returns each answer's status and Retry-After header.
async fn send_all(requests: Vec<reqwest::RequestBuilder>) -> Vec<(StatusCode, bool)> {
    let sends = requests.into_iter().map(|request| async move {
        let response = request.send().await.expect("answered");
        let retry_after = response.headers().contains_key("retry-after");
        (response.status(), retry_after)
    });
    futures_join_all(sends.collect()).await
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
    let token = app.get("/login").await.csrf();
    let cookie = app.session_cookie().unwrap();
    let tries = (0..60).map(|_| {
        let body = serde_urlencoded::to_string([
            ("csrf", token.as_str()),
            ("login", "ana"),
            ("password", "wrong password!"),
        ])
        .unwrap();
        reqwest::Client::new()
            .post(app.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", cookie.clone())
            .body(body)
    });
    let answers = send_all(tries.collect()).await;
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
async fn parallel_registrations_from_one_address_are_held_to_the_limit() {
    let app = TestApp::spawn().await;
    let attempts = (0..40).map(|i| {
        let browser = app.other_browser();
        async move { browser.register(&format!("newcomer{i}")).await.status }
    });
    let statuses = futures_join_all(attempts.collect()).await;
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
    let token = app.get("/login").await.csrf();
    let cookie = app.session_cookie().unwrap();
    // 150 logins at once from 150 addresses, for 150 accounts: no rate limit applies.
    let tries = (0..150).map(|i| {
        let body = serde_urlencoded::to_string([
            ("csrf", token.as_str()),
            ("login", &format!("member{i}")),
            ("password", "wrong password!"),
        ])
        .unwrap();
        reqwest::Client::new()
            .post(app.url("/login"))
            .header("x-forwarded-for", format!("10.0.{}.{}", i / 200, i % 200))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", cookie.clone())
            .body(body)
    });
    let answers = send_all(tries.collect()).await;
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
