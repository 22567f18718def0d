//! A thread page's posts kept in the process for every viewer (`pages::cached_posts`): a page
//! viewed again reads only the viewer's marks, and any change to what its posts show, made
//! through any process or straight in the database, shows on the very next view.

use commonplace::Config;
use reqwest::StatusCode;

use crate::helpers::{Page, TestApp};

/// How the server found a thread page's posts, so far: (kept and current, kept but changed,
/// not kept).
async fn posts_found(app: &TestApp) -> (i64, i64, i64) {
    let result = |r| async move {
        app.metric("commonplace_thread_posts_requests_total", &[("result", r)])
            .await
            .map_or(0, |n| n as i64)
    };
    (
        result("hit").await,
        result("stale").await,
        result("miss").await,
    )
}

/// Views `path` and says how its posts were found: "hit", "stale" or "miss".
async fn view(app: &TestApp, path: &str) -> (Page, &'static str) {
    let before = posts_found(app).await;
    let page = app.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}");
    let after = posts_found(app).await;
    let found = match (after.0 - before.0, after.1 - before.1, after.2 - before.2) {
        (1, 0, 0) => "hit",
        (0, 1, 0) => "stale",
        (0, 0, 1) => "miss",
        other => panic!("one thread page counted as {other:?}"),
    };
    (page, found)
}

async fn sql(app: &TestApp, statement: &str, id: i64) {
    sqlx::query(statement)
        .bind(id)
        .execute(&app.db)
        .await
        .expect(statement);
}

#[tokio::test]
async fn kept_posts_are_read_again_after_every_change_to_what_they_show() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana_browser = app.member_browser("ana", domain, "member").await;
    let bea = app.member_browser("bea", domain, "member").await;
    let ana: i64 = app
        .count("SELECT id FROM users WHERE username = 'ana'")
        .await;
    let thread = app.insert_thread(domain, ana, "Mulch depth", 2).await;
    let other = app.insert_thread(domain, ana, "Seed saving", 1).await;
    let path = format!("/t/{thread}");
    let posts = app.post_ids(thread).await;
    let first_reply = posts[1];

    let (page, found) = view(&bea, &path).await;
    assert_eq!(found, "miss");
    assert!(page.contains("Post number 2"));
    let (page, found) = view(&bea, &path).await;
    assert_eq!(found, "hit", "a second view reads only the marks");
    assert!(page.contains("Post number 2"));
    // A visitor is shown the same posts from the same kept page.
    let (_, found) = view(&app, &path).await;
    assert_eq!(found, "hit");

    // Writes that show nowhere on this page leave it kept: another thread's post, and what a
    // post does not show of its author.
    sql(
        &app,
        "UPDATE posts SET body_html = '<p>Elsewhere</p>' WHERE thread_id = $1",
        other,
    )
    .await;
    sql(
        &app,
        "UPDATE users SET bio_md = 'Grows beans' WHERE id = $1",
        ana,
    )
    .await;
    assert_eq!(view(&bea, &path).await.1, "hit");

    // Each change below is made where another process (or an operator) would make it, and
    // the very next view, with no wait, shows it.
    let changes: [(&str, &str, i64, &str); 5] = [
        (
            "a post's text",
            "UPDATE posts SET body_html = '<p>Deeper mulch, edited</p>' WHERE id = $1",
            first_reply,
            "Deeper mulch, edited",
        ),
        (
            "a post hidden",
            "UPDATE posts SET hidden = true, hidden_reason = 'spam' WHERE id = $1",
            first_reply,
            "This post was hidden by a facilitator.",
        ),
        (
            "the author's name",
            "UPDATE users SET display_name = 'Ana the Gardener' WHERE id = $1",
            ana,
            "Ana the Gardener",
        ),
        (
            "the author's role in the domain",
            "UPDATE memberships SET role = 'facilitator' WHERE user_id = $1",
            ana,
            "<span class=\"tag role\">facilitator</span>",
        ),
        (
            "the author made an admin",
            "UPDATE users SET site_role = 'admin' WHERE id = $1",
            ana,
            "role-admin",
        ),
    ];
    for (change, statement, id, shown) in changes {
        assert!(!view(&bea, &path).await.0.contains(shown), "{change}");
        sql(&app, statement, id).await;
        let (page, found) = view(&bea, &path).await;
        assert_eq!(found, "stale", "{change}");
        assert!(page.contains(shown), "{change} shows at once");
        assert_eq!(view(&bea, &path).await.1, "hit", "{change}: kept again");
    }

    // Through the forms: a reaction's count and a reply show on the page the member is sent
    // back to.
    let second_reply = posts[2];
    let reacted = bea.react(second_reply, "helpful").await;
    assert!(reacted.done(), "{}", reacted.body);
    let (page, found) = view(&bea, &path).await;
    assert_eq!(found, "stale");
    assert!(page
        .post_markup(second_reply)
        .contains("<span class=\"count\">1</span>"));
    let replied = ana_browser.reply(thread, "Straw works too").await;
    assert!(replied.done(), "{}", replied.body);
    let (page, found) = view(&bea, &path).await;
    assert_eq!(found, "stale");
    assert!(page.contains("Straw works too"));
}

#[tokio::test]
async fn a_reply_through_another_process_shows_at_once_on_a_kept_page() {
    let first = TestApp::spawn().await;
    let domain = first.create_domain("gardens", "public").await;
    let ana = first.member("ana", domain, "member").await;
    let thread = first.insert_thread(domain, ana, "Mulch depth", 1).await;
    let second = TestApp::spawn_on(first.db.clone(), Config::defaults()).await;
    let writer = second.member_browser("bea", domain, "member").await;
    let path = format!("/t/{thread}");
    view(&first, &path).await;
    assert_eq!(view(&first, &path).await.1, "hit");

    let replied = writer.reply(thread, "Bark chips last longer").await;
    assert!(replied.done(), "{}", replied.body);
    let (page, found) = view(&first, &path).await;
    assert_eq!(found, "stale");
    assert!(page.contains("Bark chips last longer"));
}

#[tokio::test]
async fn a_kept_page_still_shows_each_viewer_their_own_marks_and_rights() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.member("ana", domain, "member").await;
    let bea = app.member_browser("bea", domain, "member").await;
    let thread = app.insert_thread(domain, ana, "Mulch depth", 1).await;
    let reply = app.post_ids(thread).await[1];
    let path = format!("/t/{thread}");
    view(&app, &path).await;
    bea.react(reply, "thanks").await;

    // Both read the page bea's reaction left; each sees their own.
    let (for_bea, _) = view(&bea, &path).await;
    let (for_ana, found) = view(&app, &path).await;
    assert_eq!(found, "hit");
    assert!(for_bea.post_markup(reply).contains("aria-pressed=\"true\""));
    assert!(!for_ana.post_markup(reply).contains("aria-pressed=\"true\""));
    // Ana wrote the post: she may edit it, and bea may not.
    let edit = format!("/p/{reply}/edit");
    assert!(for_ana.post_markup(reply).contains(&edit));
    assert!(!for_bea.post_markup(reply).contains(&edit));
}
