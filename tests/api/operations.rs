//! What operators watch: `/metrics` reports requests by route and status with their times, the
//! page cache, the database pools, the admission queue and live streams, and it answers only
//! this machine's scraper or the holder of the metrics token. (Mail figures are checked in
//! `mail`, scheduled jobs in `command_line`, where a real `commonplace serve` runs them.)

use std::time::{Duration, Instant};

use commonplace::Config;
use reqwest::StatusCode;

use crate::helpers::{metric_in, TestApp};
use crate::live::LiveStream;

#[tokio::test]
async fn metrics_count_each_route_s_requests_by_status_time_them_and_follow_the_cache() {
    let app = TestApp::spawn_with(Config::defaults()).await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(gardens, ana, "Mulch depth", 3).await;
    let path = format!("/t/{thread}");

    // A visitor reads the thread until the page cache answers it, counting what they saw.
    let visitor = app.other_browser();
    let (mut hits, mut misses, mut reads) = (0.0, 0.0, 0.0);
    let started = Instant::now();
    while hits < 2.0 {
        let page = visitor.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        reads += 1.0;
        match page
            .headers
            .get("x-page-cache")
            .map(|v| v.to_str().unwrap())
        {
            Some("hit") => hits += 1.0,
            Some("miss") => misses += 1.0,
            _ => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the cache answers"
        );
    }
    assert_eq!(visitor.get("/t/987654").await.status, StatusCode::NOT_FOUND);
    // Any token is a method to HTTP; made-up ones are counted together, not one series each.
    let client = reqwest::Client::new();
    let mut made_up_statuses = Vec::new();
    for made_up in ["FROB1", "FROB2"] {
        let method = reqwest::Method::from_bytes(made_up.as_bytes()).unwrap();
        let answer = client.request(method, app.url(&path)).send().await.unwrap();
        made_up_statuses.push(answer.status().as_str().to_owned());
    }
    assert_eq!(made_up_statuses[0], made_up_statuses[1]);
    assert!(
        made_up_statuses[0].starts_with('4'),
        "refused: {made_up_statuses:?}"
    );

    let scrape = app.open("/metrics", &[]).await;
    assert_eq!(scrape.status(), StatusCode::OK);
    assert!(scrape.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = scrape.text().await.unwrap();
    let series = |name: &str, labels: &[(&str, &str)]| metric_in(&text, name, labels);

    let thread_route = [("method", "GET"), ("route", "/t/{id}")];
    let ok = [("method", "GET"), ("route", "/t/{id}"), ("status", "200")];
    let missing = [("method", "GET"), ("route", "/t/{id}"), ("status", "404")];
    assert_eq!(series("commonplace_http_requests_total", &ok), Some(reads));
    assert_eq!(
        series("commonplace_http_requests_total", &missing),
        Some(1.0)
    );
    let timed = "commonplace_http_request_duration_seconds_count";
    assert_eq!(series(timed, &thread_route), Some(reads + 1.0));
    let mut every_request = thread_route.to_vec();
    every_request.push(("le", "+Inf"));
    assert_eq!(
        series(
            "commonplace_http_request_duration_seconds_bucket",
            &every_request
        ),
        Some(reads + 1.0)
    );
    let mut fast = thread_route.to_vec();
    fast.push(("le", "10"));
    assert_eq!(
        series("commonplace_http_request_duration_seconds_bucket", &fast),
        Some(reads + 1.0),
        "every read took under 10 s"
    );
    let cache = "commonplace_page_cache_requests_total";
    assert_eq!(series(cache, &[("result", "hit")]), Some(hits));
    assert_eq!(series(cache, &[("result", "miss")]), Some(misses));
    assert!(series("commonplace_page_cache_pages", &[]).unwrap() >= 1.0);
    assert!(series("commonplace_page_cache_bytes", &[]).unwrap() > 1000.0);

    let main_pool = [("pool", "main")];
    assert_eq!(
        series("commonplace_db_pool_max_connections", &main_pool),
        Some(10.0)
    );
    let idle = series(
        "commonplace_db_pool_connections",
        &[("pool", "main"), ("state", "idle")],
    );
    let in_use = series(
        "commonplace_db_pool_connections",
        &[("pool", "main"), ("state", "in_use")],
    );
    assert!(idle.unwrap() + in_use.unwrap() >= 1.0, "{text}");
    for pool in ["search", "generic"] {
        assert!(
            series("commonplace_db_pool_max_connections", &[("pool", pool)]).is_some(),
            "the {pool} pool is reported: {text}"
        );
    }
    assert_eq!(
        series("commonplace_requests_running", &[]),
        Some(1.0),
        "the scrape itself"
    );
    assert_eq!(series("commonplace_requests_waiting", &[]), Some(0.0));
    assert_eq!(series("commonplace_mail_queue_depth", &[]), Some(0.0));

    let made_up = [
        ("method", "other"),
        ("route", "/t/{id}"),
        ("status", made_up_statuses[0].as_str()),
    ];
    assert_eq!(
        series("commonplace_http_requests_total", &made_up),
        Some(2.0)
    );
    assert!(!text.contains("FROB"));

    // Routes are templates: no path, with its ids or tokens, becomes a label.
    assert!(!text.contains(&path), "{text}");
    assert!(!text.contains("987654"));

    // Live streams are counted while they are open.
    assert_eq!(app.metric("commonplace_live_streams", &[]).await, Some(0.0));
    assert_eq!(
        app.metric("commonplace_live_streams_max", &[]).await,
        Some(256.0)
    );
    let opening = app
        .count(&format!(
            "SELECT min(id) FROM posts WHERE thread_id = {thread}"
        ))
        .await;
    let live = format!("/live?thread={thread}&after={opening}");
    let stream = LiveStream::open(&visitor, &live, None).await;
    assert_eq!(app.metric("commonplace_live_streams", &[]).await, Some(1.0));
    drop(stream);
    let started = Instant::now();
    while app.metric("commonplace_live_streams", &[]).await != Some(0.0) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "a closed stream is let go"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn metrics_answer_only_this_machine_s_scraper_or_the_token_holder() {
    let open = TestApp::spawn_with(Config::defaults()).await;
    assert_eq!(open.open("/metrics", &[]).await.status(), StatusCode::OK);
    // Through a proxy every request comes from loopback; the proxy's header gives it away, and
    // the answer just given to this machine is not kept for anyone else.
    let proxied = open
        .open("/metrics", &[("x-forwarded-for", "203.0.113.9")])
        .await;
    assert_eq!(proxied.status(), StatusCode::FORBIDDEN);
    assert!(proxied
        .text()
        .await
        .unwrap()
        .contains("COMMONPLACE_METRICS_TOKEN"));

    let behind_proxy = TestApp::spawn_with(Config {
        trusted_proxy: Some("127.0.0.1".parse().unwrap()),
        ..Config::defaults()
    })
    .await;
    let from_proxy = behind_proxy.open("/metrics", &[]).await;
    assert_eq!(
        from_proxy.status(),
        StatusCode::FORBIDDEN,
        "a proxy that sent no header"
    );

    let guarded = TestApp::spawn_with(Config {
        metrics_token: Some("scrape-secret-7f3a".into()),
        ..Config::defaults()
    })
    .await;
    let without = guarded.open("/metrics", &[]).await;
    assert_eq!(
        without.status(),
        StatusCode::UNAUTHORIZED,
        "loopback needs the token too"
    );
    assert_eq!(without.headers()["www-authenticate"], "Bearer");
    let wrong = guarded
        .open(
            "/metrics",
            &[("authorization", "Bearer scrape-secret-7f3b")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let right = guarded
        .open(
            "/metrics",
            &[("authorization", "Bearer scrape-secret-7f3a")],
        )
        .await;
    assert_eq!(right.status(), StatusCode::OK);
    assert_eq!(right.headers()["cache-control"], "no-store");
    let text = right.text().await.unwrap();
    assert!(text.contains("# TYPE commonplace_http_requests_total counter"));
    assert!(
        !text.contains("scrape-secret"),
        "the token is never reported"
    );
}
