//! The access-control matrix: every moderation and admin route, tried by a visitor, a member,
//! a member of another domain, a facilitator of another domain, the domain's facilitator, a
//! banned member, a suspended user and an admin. Forbidden attempts must change nothing.

use crate::helpers::{TestApp, PASSWORD};
use reqwest::StatusCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Allowed,
    Forbidden,
    NotFound,
    Login,
}
use Expect::*;

const ROLES: [&str; 8] = [
    "visitor",
    "member",
    "other-member",
    "other-facilitator",
    "facilitator",
    "banned",
    "suspended",
    "admin",
];

/// What each role gets on a moderation route of a *public* domain, and on an admin route.
fn moderation(role: &str) -> Expect {
    match role {
        "visitor" | "suspended" => Login,
        "facilitator" | "admin" => Allowed,
        _ => Forbidden,
    }
}

fn admin_only(role: &str) -> Expect {
    match role {
        "visitor" | "suspended" => Login,
        "admin" => Allowed,
        _ => Forbidden,
    }
}

struct World {
    app: TestApp,
    thread: i64,
    post: i64,
    browsers: Vec<(&'static str, TestApp)>,
}

async fn world(visibility: &str) -> World {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", visibility).await;
    let kitchens = app.create_domain("kitchens", "public").await;
    let orchards = app.create_domain("orchards", "public").await;
    app.create_domain("old-domain", "public").await;
    let people = [
        ("member", gardens, "member"),
        ("other-member", kitchens, "member"),
        ("other-facilitator", kitchens, "facilitator"),
        ("facilitator", gardens, "facilitator"),
        ("banned", gardens, "member"),
        ("suspended", gardens, "member"),
        ("admin", kitchens, "member"),
        ("target", gardens, "member"),
    ];
    let mut ids = std::collections::HashMap::new();
    for (name, domain, role) in people {
        let id = app.create_user(name).await;
        app.add_member(domain, id, role).await;
        ids.insert(name, id);
    }
    app.add_member(orchards, ids["facilitator"], "facilitator")
        .await;
    sqlx::query("UPDATE users SET site_role = 'admin' WHERE id = $1")
        .bind(ids["admin"])
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE memberships SET banned_until = '9999-12-31' WHERE user_id = $1")
        .bind(ids["banned"])
        .execute(&app.db)
        .await
        .unwrap();
    let thread = app
        .insert_thread(gardens, ids["target"], "Under moderation", 1)
        .await;
    let post: i64 = sqlx::query_scalar("SELECT max(id) FROM posts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let mut browsers = Vec::new();
    for role in ROLES {
        let browser = app.other_browser();
        if role != "visitor" {
            assert_eq!(
                browser.login(role, PASSWORD).await.status,
                StatusCode::SEE_OTHER,
                "{role} logs in"
            );
        }
        browsers.push((role, browser));
    }
    // Suspended after logging in: the open session must stop working.
    sqlx::query("UPDATE users SET suspended_until = '9999-12-31' WHERE username = 'suspended'")
        .execute(&app.db)
        .await
        .unwrap();
    World {
        app,
        thread,
        post,
        browsers,
    }
}

/// Everything a moderation or admin act could change, as one comparable value.
async fn snapshot(app: &TestApp) -> String {
    sqlx::query_scalar(
        "SELECT concat_ws(' | ',
            (SELECT string_agg(concat_ws(',', id, domain_id, title, pinned, locked, hidden), ';' ORDER BY id) FROM threads),
            (SELECT string_agg(concat_ws(',', id, hidden, hidden_reason), ';' ORDER BY id) FROM posts),
            (SELECT string_agg(concat_ws(',', domain_id, user_id, role, banned_until), ';' ORDER BY domain_id, user_id) FROM memberships),
            (SELECT string_agg(concat_ws(',', id, resolved_at), ';' ORDER BY id) FROM flags),
            (SELECT string_agg(concat_ws(',', id, name, visibility, archived_at), ';' ORDER BY id) FROM domains),
            (SELECT string_agg(concat_ws(',', id, suspended_until, site_role), ';' ORDER BY id) FROM users),
            (SELECT count(*) FROM password_resets),
            (SELECT count(*) FROM audit_log))",
    )
    .fetch_one(&app.db)
    .await
    .unwrap()
}

struct Route {
    name: &'static str,
    method: &'static str,
    path: String,
    fields: Vec<(&'static str, &'static str)>,
    /// SQL run before an allowed attempt, to give it something to act on.
    prepare: &'static str,
    admin: bool,
}

fn outcome(page: &crate::helpers::Page) -> Expect {
    match page.status {
        StatusCode::FORBIDDEN => Forbidden,
        StatusCode::NOT_FOUND => NotFound,
        StatusCode::SEE_OTHER
            if page
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with("/login")) =>
        {
            Login
        }
        status if status.is_success() || status.is_redirection() => Allowed,
        status => panic!(
            "unexpected {status}: {}",
            &page.body[..page.body.len().min(400)]
        ),
    }
}

async fn attempt(browser: &TestApp, route: &Route) -> crate::helpers::Page {
    if route.method == "GET" {
        return browser.get(&route.path).await;
    }
    // A token from the browser's own session; visitors and ended sessions get a fresh one.
    let token = match browser.get("/").await.body.find("name=\"csrf\" value=\"") {
        Some(_) => browser.get("/").await.csrf(),
        None => browser.get("/login").await.csrf(),
    };
    let mut fields = vec![("csrf", token.as_str())];
    fields.extend(route.fields.iter().copied());
    browser.post(&route.path, &fields).await
}

async fn check(world: &World, route: &Route, expect: fn(&str) -> Expect) {
    let app = &world.app;
    // Forbidden roles first: none of them may change anything.
    for (role, browser) in &world.browsers {
        let expected = expect(role);
        if expected == Allowed {
            continue;
        }
        let before = snapshot(app).await;
        let page = attempt(browser, route).await;
        assert_eq!(outcome(&page), expected, "{} by {role}", route.name);
        assert_eq!(
            snapshot(app).await,
            before,
            "{} by {role} changed something",
            route.name
        );
    }
    for (role, browser) in &world.browsers {
        if expect(role) != Allowed {
            continue;
        }
        if !route.prepare.is_empty() {
            sqlx::query(route.prepare).execute(&app.db).await.unwrap();
        }
        let page = attempt(browser, route).await;
        assert_eq!(
            outcome(&page),
            Allowed,
            "{} by {role}: {}",
            route.name,
            &page.body[..page.body.len().min(300)]
        );
    }
}

fn routes(thread: i64, post: i64) -> Vec<Route> {
    let route = |name,
                 method,
                 path: String,
                 fields: Vec<(&'static str, &'static str)>,
                 prepare,
                 kind: fn(&str) -> Expect| {
        let admin = kind("member") == Forbidden && kind("facilitator") == Forbidden;
        Route {
            name,
            method,
            path,
            fields,
            prepare,
            admin,
        }
    };
    let flag = "INSERT INTO flags (post_id, flagger_id, reason) SELECT max(p.id), (SELECT id FROM users WHERE username = 'member'), 'spam' FROM posts p ON CONFLICT DO NOTHING";
    let unban = "UPDATE memberships SET banned_until = NULL WHERE user_id = (SELECT id FROM users WHERE username = 'target')";
    let rejoin = "INSERT INTO memberships (domain_id, user_id) SELECT d.id, u.id FROM domains d, users u WHERE d.slug = 'gardens' AND u.username = 'target' ON CONFLICT DO NOTHING";
    vec![
        route(
            "lock thread",
            "POST",
            format!("/t/{thread}/moderate"),
            vec![("action", "lock")],
            "",
            moderation,
        ),
        route(
            "pin thread",
            "POST",
            format!("/t/{thread}/moderate"),
            vec![("action", "pin")],
            "",
            moderation,
        ),
        route(
            "hide thread",
            "POST",
            format!("/t/{thread}/moderate"),
            vec![("action", "hide"), ("reason", "off-topic")],
            "",
            moderation,
        ),
        route(
            "retitle thread",
            "POST",
            format!("/t/{thread}/title"),
            vec![("title", "A better title")],
            "",
            moderation,
        ),
        route(
            "spotlight post form (before the post is hidden)",
            "GET",
            format!("/p/{post}/spotlight"),
            vec![],
            "",
            moderation,
        ),
        route(
            "hide post",
            "POST",
            format!("/p/{post}/moderate"),
            vec![("action", "hide"), ("reason", "rude")],
            "",
            moderation,
        ),
        route(
            "hide post form",
            "GET",
            format!("/p/{post}/hide"),
            vec![],
            "",
            moderation,
        ),
        route(
            "flag queue",
            "GET",
            "/d/gardens/flags".into(),
            vec![],
            "",
            moderation,
        ),
        route(
            "agree with flags",
            "POST",
            format!("/p/{post}/flags/agree"),
            vec![],
            flag,
            moderation,
        ),
        route(
            "member list",
            "GET",
            "/d/gardens/members".into(),
            vec![],
            "",
            moderation,
        ),
        route(
            "ban member",
            "POST",
            "/d/gardens/members/target/ban".into(),
            vec![("days", "7"), ("reason", "spam")],
            unban,
            moderation,
        ),
        route(
            "remove member",
            "POST",
            "/d/gardens/members/target/remove".into(),
            vec![],
            rejoin,
            moderation,
        ),
        route(
            "domain log",
            "GET",
            "/d/gardens/log".into(),
            vec![],
            "",
            moderation,
        ),
        route(
            "edit charter",
            "POST",
            "/d/gardens/charter".into(),
            vec![("charter", "New charter")],
            "",
            moderation,
        ),
        route(
            "health",
            "GET",
            "/d/gardens/health".into(),
            vec![],
            "",
            moderation,
        ),
        // Last of the thread's routes: afterwards the thread lives in another domain.
        route(
            "move thread",
            "POST",
            format!("/t/{thread}/move"),
            vec![("domain", "orchards")],
            "UPDATE threads SET domain_id = (SELECT id FROM domains WHERE slug = 'gardens')",
            moderation,
        ),
        route("admin home", "GET", "/admin".into(), vec![], "", admin_only),
        route(
            "create domain",
            "POST",
            "/admin/domains/new".into(),
            vec![
                ("name", "New"),
                ("slug", "new-domain"),
                ("charter", "c"),
                ("visibility", "public"),
            ],
            "DELETE FROM domains WHERE slug = 'new-domain'",
            admin_only,
        ),
        route(
            "appoint facilitator",
            "POST",
            "/admin/domains/gardens/facilitators".into(),
            vec![("username", "target")],
            "",
            admin_only,
        ),
        route(
            "archive domain, asked first",
            "GET",
            "/admin/domains/old-domain/archive".into(),
            vec![],
            "",
            admin_only,
        ),
        route(
            "archive domain",
            "POST",
            "/admin/domains/old-domain/archive".into(),
            vec![],
            "",
            admin_only,
        ),
        route(
            "restore domain",
            "POST",
            "/admin/domains/old-domain/restore".into(),
            vec![],
            "UPDATE domains SET archived_at = now() WHERE slug = 'old-domain'",
            admin_only,
        ),
        route(
            "find users",
            "GET",
            "/admin/users?q=ta".into(),
            vec![],
            "",
            admin_only,
        ),
        route(
            "suspend user",
            "POST",
            "/admin/users/target/suspend".into(),
            vec![("days", "7")],
            "",
            admin_only,
        ),
        route(
            "reset link",
            "POST",
            "/admin/users/target/reset-link".into(),
            vec![],
            "",
            admin_only,
        ),
        route(
            "site log",
            "GET",
            "/admin/log".into(),
            vec![],
            "",
            admin_only,
        ),
        route(
            "seed form",
            "GET",
            "/admin/seed".into(),
            vec![],
            "",
            admin_only,
        ),
    ]
}

#[tokio::test]
async fn moderation_routes_answer_each_role_as_expected() {
    let world = world("public").await;
    for route in routes(world.thread, world.post).iter().filter(|r| !r.admin) {
        check(&world, route, moderation).await;
    }
}

#[tokio::test]
async fn admin_routes_answer_each_role_as_expected() {
    let world = world("public").await;
    for route in routes(world.thread, world.post).iter().filter(|r| r.admin) {
        check(&world, route, admin_only).await;
    }
}

/// In a private domain, people outside it are told nothing exists.
fn private_moderation(role: &str) -> Expect {
    match role {
        "other-member" | "other-facilitator" => NotFound,
        other => moderation(other),
    }
}

#[tokio::test]
async fn in_a_private_domain_outsiders_get_404() {
    let world = world("private").await;
    for route in routes(world.thread, world.post).iter().filter(|r| !r.admin) {
        check(&world, route, private_moderation).await;
    }
}
