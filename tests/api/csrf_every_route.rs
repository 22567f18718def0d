//! Every state-changing route, read from the router's source, refuses every kind of forged
//! request (issue 11, "keep proving what holds"). The sender is an admin who facilitates the
//! domain and owns the content, so the token is the only thing standing in the way; nothing in
//! the database may change.

use std::collections::BTreeMap;

use crate::helpers::{TestApp, PASSWORD};
use reqwest::StatusCode;

/// Every `(path, has POST)` declared with `.route(…)` in `src/` (the server binary only; the
/// benchmark's floor server is not the product).
fn declared_routes() -> Vec<String> {
    let mut posts = Vec::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable").flatten() {
            let path = entry.path();
            if path.is_dir() && path != root.join("bin") {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).expect("a readable source file");
                posts.extend(post_routes_in(&source));
            }
        }
    }
    posts.sort();
    posts.dedup();
    posts
}

/// The paths of `.route("…", …)` calls whose method router includes `post(`.
fn post_routes_in(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find(".route(") {
        let call = &rest[start + ".route(".len()..];
        let mut depth = 1;
        let end = call
            .char_indices()
            .find(|&(_, c)| {
                depth += match c {
                    '(' => 1,
                    ')' => -1,
                    _ => 0,
                };
                depth == 0
            })
            .map_or(call.len(), |(i, _)| i);
        let arguments = &call[..end];
        let path = arguments.split('"').nth(1).unwrap_or_default();
        if arguments.contains("post(") && path.starts_with('/') {
            found.push(path.to_string());
        }
        rest = &call[end..];
    }
    found
}

struct World {
    admin: TestApp,
    /// A second signed-in browser, whose valid token is "another session's".
    other: TestApp,
    params: BTreeMap<&'static str, String>,
}

async fn world() -> World {
    let admin = TestApp::spawn().await;
    let soil = admin.create_domain("soil", "public").await;
    let root = admin.create_user("root").await;
    sqlx::query("UPDATE users SET site_role = 'admin' WHERE id = $1")
        .bind(root)
        .execute(&admin.db)
        .await
        .unwrap();
    admin.add_member(soil, root, "facilitator").await;
    let ana = admin.create_user("ana").await;
    admin.add_member(soil, ana, "member").await;
    admin.login("root", PASSWORD).await;
    let thread = admin.ask("soil", "Heavy clay?", "What breaks it up?").await;
    let post = admin.answer(thread, "Gypsum").await;
    let entry = admin.insert_entry(soil, "Sheet mulching").await;
    let id = |sql: &str| {
        let (db, sql) = (admin.db.clone(), sql.to_string());
        async move {
            sqlx::query_scalar::<_, i64>(&sql)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    let event = id(&format!(
        "INSERT INTO events (domain_id, created_by, title, starts_at, ends_at, time_zone)
         VALUES ({soil}, {root}, 'Swap', now() + interval '1 day', now() + interval '2 days', 'UTC')
         RETURNING id"
    ))
    .await;
    let report = id(&format!(
        "INSERT INTO practice_reports (entry_id, author_id, context, tried, outcome)
         VALUES ({entry}, {root}, 'Plot', 'Cardboard', 'worked') RETURNING id"
    ))
    .await;
    let spotlight = id(&format!(
        "INSERT INTO spotlights (domain_id, entry_id, reason) VALUES ({soil}, {entry}, 'Good')
         RETURNING id"
    ))
    .await;
    let other = admin.other_browser();
    other.login("ana", PASSWORD).await;
    let params = BTreeMap::from([
        ("slug", "soil".to_string()),
        ("username", "ana".to_string()),
        ("action", "ban".to_string()),
        ("verdict", "agree".to_string()),
        ("token", "0".repeat(64)),
        ("thread", thread.to_string()),
        ("post", post.to_string()),
        ("entry", entry.to_string()),
        ("event", event.to_string()),
        ("report", report.to_string()),
        ("spotlight", spotlight.to_string()),
        ("tag", "compost".to_string()),
    ]);
    World {
        admin,
        other,
        params,
    }
}

/// The route with its parameters filled in from the world; `{id}` by what the path names.
fn fill(route: &str, params: &BTreeMap<&'static str, String>) -> String {
    let id_of = match route.split('/').nth(1) {
        Some("t") => "thread",
        Some("p") => "post",
        Some("r") => "entry",
        Some("e") => "event",
        Some("reports") => "report",
        Some("spotlight") => "spotlight",
        _ => "post",
    };
    let mut filled = route.replace("{id}", &params[id_of]);
    for (name, value) in params {
        filled = filled.replace(&format!("{{{name}}}"), value);
    }
    assert!(!filled.contains('{'), "no value for a parameter of {route}");
    filled
}

/// A fingerprint of every table in the site's schema: any write changes it.
async fn fingerprint(app: &TestApp) -> BTreeMap<String, String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'
            AND tablename NOT LIKE '_sqlx%' ORDER BY 1",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let mut prints = BTreeMap::new();
    for table in tables {
        let print: String = sqlx::query_scalar(&format!(
            "SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {table} t"
        ))
        .fetch_one(&app.db)
        .await
        .unwrap();
        prints.insert(table, print);
    }
    prints
}

/// Routes whose secret link is the credential, posted by mail clients with no session or token
/// (RFC 8058 one-click unsubscribe); `mail.rs` tests them with and without the secret.
const LINK_IS_THE_CREDENTIAL: [&str; 1] = ["/unsubscribe/{token}/{what}"];

#[tokio::test]
async fn every_state_changing_route_refuses_every_forged_request() {
    let mut routes = declared_routes();
    for exempt in LINK_IS_THE_CREDENTIAL {
        assert!(routes.iter().any(|r| r == exempt), "{exempt} is found");
    }
    routes.retain(|r| !LINK_IS_THE_CREDENTIAL.contains(&r.as_str()));
    for known in [
        "/logout",
        "/t/{id}/reply",
        "/admin/seed",
        "/p/{id}/flags/{verdict}",
    ] {
        assert!(routes.iter().any(|r| r == known), "{known} is found");
    }
    assert!(routes.len() >= 40, "{routes:?}");

    let world = world().await;
    let app = &world.admin;
    let valid = app.get("/").await.csrf();
    let others = world.other.get("/").await.csrf();
    assert_ne!(valid, others);
    let cookie = app.session_cookie().expect("signed in");
    let before = fingerprint(app).await;

    let forged = |name: &'static str, path: &str| {
        let request = reqwest::Client::new()
            .post(app.url(path))
            .header("cookie", cookie.clone());
        let form = "application/x-www-form-urlencoded";
        let request = match name {
            "no token" => request.header("content-type", form).body("reason=x"),
            "a wrong token" => request
                .header("content-type", form)
                .body(format!("csrf={}&reason=x", "a".repeat(64))),
            "another session's token" => request
                .header("content-type", form)
                .body(format!("csrf={others}&reason=x")),
            "a cross-site form" => request
                .header("content-type", form)
                .header("origin", "https://evil.example")
                .header("sec-fetch-site", "cross-site")
                .body("reason=x"),
            "the token in the query string" => {
                let url = app.url(&format!("{path}?csrf={valid}"));
                reqwest::Client::new()
                    .post(url)
                    .header("cookie", cookie.clone())
                    .header("content-type", form)
                    .body("reason=x")
            }
            "a text/plain form" => request
                .header("content-type", "text/plain")
                .body(format!("csrf={valid}&reason=x")),
            "JSON" => request
                .header("content-type", "application/json")
                .body(format!(r#"{{"csrf":"{valid}","reason":"x"}}"#)),
            "multipart with a wrong token" => request.multipart(
                reqwest::multipart::Form::new()
                    .text("csrf", "b".repeat(64))
                    .text("reason", "x"),
            ),
            _ => unreachable!("{name}"),
        };
        request
    };
    let attacks = [
        "no token",
        "a wrong token",
        "another session's token",
        "a cross-site form",
        "the token in the query string",
        "a text/plain form",
        "JSON",
        "multipart with a wrong token",
    ];
    let mut tried = 0;
    for route in &routes {
        let path = fill(route, &world.params);
        for attack in attacks {
            let answer = app.send(forged(attack, &path)).await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{attack} on POST {route} was not refused"
            );
            assert!(answer.contains("did not come from this site"), "{route}");
            tried += 1;
        }
    }
    let after = fingerprint(app).await;
    let changed: Vec<&String> = before
        .keys()
        .filter(|table| before.get(*table) != after.get(*table))
        .collect();
    assert!(changed.is_empty(), "forged requests changed {changed:?}");
    assert!(app.signed_in_as().await.is_some(), "not even logged out");
    assert_eq!(tried, routes.len() * attacks.len());

    // The same harness with the right token does act: the refusals above are the token's doing.
    let watch = format!("/t/{}/watch", world.params["thread"]);
    let watched = app
        .post(&watch, &[("csrf", valid.as_str()), ("level", "watching")])
        .await;
    assert_eq!(watched.status, StatusCode::SEE_OTHER, "{}", watched.body);
    println!(
        "{} state-changing routes × {} forgeries refused",
        routes.len(),
        attacks.len()
    );
}
