//! The web shell: pages every visitor sees, error pages, static assets, health.

use crate::helpers::{demo_site, TestApp};
use reqwest::StatusCode;

async fn seeded() -> TestApp {
    demo_site().await
}

#[tokio::test]
async fn the_home_page_lists_the_seeded_public_domains_for_visitors() {
    let app = seeded().await;
    let page = app.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("Market Gardening"));
    assert!(page.contains("Incident Response"));
    assert!(page.contains("Classroom Talk"));
    assert!(
        !page.contains("Facilitators&#39; Circle") && !page.contains("Facilitators' Circle"),
        "a private domain is invisible to visitors"
    );
    assert!(page.contains("<title>Home · Commonplace</title>"));
}

#[tokio::test]
async fn members_see_their_domains_and_recent_threads_including_private_ones() {
    let app = seeded().await;
    app.login("kofi", "demo-password-1").await;
    let page = app.get("/").await;
    assert!(page.contains("Welcome back, Kofi Mensah"));
    assert!(
        page.contains("How do you welcome new members who never post?"),
        "a thread in their private domain"
    );
    assert!(page.contains("No-hands-up questioning with a shy class"));
    let directory = app.get("/d").await;
    assert!(directory.contains("href=\"/d/facilitators-circle\""));
}

#[tokio::test]
async fn a_private_domain_is_a_404_for_visitors_and_outsiders() {
    let app = seeded().await;
    assert_eq!(
        app.get("/d/facilitators-circle").await.status,
        StatusCode::NOT_FOUND
    );
    app.login("ingrid", "demo-password-1").await;
    assert_eq!(
        app.get("/d/facilitators-circle").await.status,
        StatusCode::NOT_FOUND
    );
    let member = app.other_browser();
    member.login("tomas", "demo-password-1").await;
    assert_eq!(
        member.get("/d/facilitators-circle").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_domain_page_shows_its_charter_and_threads_pinned_first() {
    let app = seeded().await;
    let page = app.get("/d/market-gardening").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("Small-scale growers sharing what works"));
    let pinned = page.body.find("Welcome: introduce yourself").unwrap();
    let latest = page.body.find("Keeping a compost heap hot").unwrap();
    assert!(pinned < latest, "the pinned thread comes first");
    assert!(
        page.contains("6 members"),
        "counters are maintained on write"
    );
}

#[tokio::test]
async fn an_unknown_url_gets_the_404_page() {
    let app = TestApp::spawn().await;
    for path in ["/no/such/page", "/d/no-such-domain", "/static/nothing.css"] {
        let page = app.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.contains("<h1>Page not found</h1>"), "{path}");
        assert!(page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
}

#[tokio::test]
async fn error_pages_keep_a_signed_in_members_header() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    app.member("ana", gardens, "member").await;
    // A visitor's error page offers to log in.
    let visitor = app.other_browser().get("/no/such/page").await;
    assert!(visitor.contains("href=\"/login") && !visitor.contains("Log out"));
    for (path, status, heading) in [
        ("/no/such/page", StatusCode::NOT_FOUND, "Page not found"),
        ("/t/999999", StatusCode::NOT_FOUND, "Page not found"),
        ("/admin", StatusCode::FORBIDDEN, "Not allowed"),
        (
            "/d/gardens/unanswered?after=junk",
            StatusCode::BAD_REQUEST,
            "That request did not make sense",
        ),
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, status, "{path}");
        assert!(page.contains(heading), "{path}");
        assert!(
            page.contains("href=\"/u/ana\"") && page.contains("Log out"),
            "{path}: the member still looks signed in"
        );
        // The header's log-out form works from the error page.
        assert!(!page.csrf().is_empty(), "{path}");
    }
    let out = app
        .post("/logout", &[("csrf", &app.get("/admin").await.csrf())])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(app.signed_in_as().await, None);
}

#[tokio::test]
async fn a_damaged_page_link_is_a_400_not_a_500() {
    let app = seeded().await;
    for cursor in ["garbage", "1_x", "999999999999999999999999999_1", ""] {
        let page = app
            .get(&format!("/d/market-gardening?before={cursor}"))
            .await;
        assert!(
            page.status == StatusCode::BAD_REQUEST || page.status == StatusCode::OK,
            "{cursor}: {}",
            page.status
        );
    }
    assert_eq!(
        app.get("/d/market-gardening?before=garbage").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn static_assets_are_served_with_long_caching() {
    let app = TestApp::spawn().await;
    let home = app.get("/").await;
    let start = home
        .body
        .find("/static/style.css?v=")
        .expect("the layout links the stylesheet");
    let end = home.body[start..].find('"').unwrap() + start;
    let css = app.get(&home.body[start..end]).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert_eq!(
        css.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
}

#[tokio::test]
async fn responses_are_compressed_when_the_browser_asks() {
    let app = TestApp::spawn().await;
    let request = reqwest::Client::new()
        .get(app.url("/static/style.css"))
        .header("accept-encoding", "gzip");
    let page = app.send(request).await;
    assert_eq!(page.headers["content-encoding"], "gzip");
}

/// Pages are compressed at zlib's fastest level, for the server's CPU: what arrives must still
/// be the page itself, byte for byte.
#[tokio::test]
async fn a_page_sent_compressed_is_the_page_sent_plain() {
    use std::io::Read;
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let plain = client.get(app.url("/d")).send().await.unwrap();
    assert!(!plain.headers().contains_key("content-encoding"));
    let plain = plain.bytes().await.unwrap();
    let compressed = client
        .get(app.url("/d"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "gzip");
    let compressed = compressed.bytes().await.unwrap();
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut unpacked)
        .expect("a valid gzip stream");
    assert_eq!(unpacked, plain);
    assert!(compressed.len() < plain.len());
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let app = TestApp::spawn().await;
    let page = app.get("/").await;
    assert!(page.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert!(page.headers["permissions-policy"]
        .to_str()
        .unwrap()
        .contains("camera=()"));
    assert_eq!(page.headers["cache-control"], "private, no-cache");
    assert!(
        !page.headers.contains_key("strict-transport-security"),
        "plain http base URL"
    );
    app.register("ana").await;
    let signed_in = app.get("/").await;
    assert_eq!(
        signed_in.headers["cache-control"], "no-store",
        "a member's page is never stored"
    );
    let css = app.get(&commonplace::web::asset_url("style.css")).await;
    assert_ne!(
        css.headers["cache-control"], "no-store",
        "assets keep their own policy"
    );

    let https = TestApp::spawn_with(commonplace::Config {
        base_url: "https://forum.example.org".into(),
        ..commonplace::Config::defaults()
    })
    .await;
    let page = https.get("/").await;
    assert_eq!(
        page.headers["strict-transport-security"],
        "max-age=31536000"
    );
}

#[tokio::test]
async fn the_process_is_live_and_ready_only_with_its_whole_schema() {
    let app = TestApp::spawn().await;
    let live = app.get("/healthz").await;
    assert_eq!((live.status, live.body.as_str()), (StatusCode::OK, "ok\n"));
    let ready = app.get("/readyz").await;
    assert_eq!(
        (ready.status, ready.body.as_str()),
        (StatusCode::OK, "ready\n")
    );

    // A database a migration behind this build (an upgrade not yet run): not ready, still live.
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let behind = app.get("/readyz").await;
    assert_eq!(behind.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(behind.body, "migrations not applied: 1\n");
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_nul_character_anywhere_is_a_400_not_a_500() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    for path in [
        "/d/gardens/repertoire?tag=a%00b",
        "/search?q=%00",
        "/d/gardens%00",
    ] {
        assert_eq!(
            app.get(path).await.status,
            StatusCode::BAD_REQUEST,
            "{path}"
        );
    }
    let login = app.login("ana\u{0}", "a password here").await;
    assert_eq!(login.status, StatusCode::BAD_REQUEST);
    assert!(login.contains("NUL character"));
    app.member("ana", domain, "member").await;
    let thread = app
        .submit(
            "/d/gardens/new",
            "/d/gardens/new",
            &[
                ("title", "Nul\u{0}title"),
                ("body", "x"),
                ("action", "post"),
            ],
        )
        .await;
    assert_eq!(thread.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.count("SELECT count(*) FROM threads").await, 0);
}
