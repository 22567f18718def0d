//! Encourage: reactions, the spotlight, profiles.

use crate::helpers::{Page, TestApp, PASSWORD};
use reqwest::StatusCode;

async fn post_by_ana() -> (TestApp, i64, i64, i64) {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    app.add_member(domain, ana, "member").await;
    let thread = app.insert_thread(domain, ana, "Mulch", 0).await;
    let post: i64 = sqlx::query_scalar("SELECT id FROM posts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    (app, domain, thread, post)
}

async fn counts(app: &TestApp, post: i64) -> (i32, i32, i32) {
    sqlx::query_as("SELECT helpful_count, thanks_count, insightful_count FROM posts WHERE id = $1")
        .bind(post)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn reactions_toggle_and_are_counted() {
    let (app, domain, thread, post) = post_by_ana().await;
    app.member("bea", domain, "member").await;
    let react = |kind: &'static str| {
        let app = &app;
        async move {
            app.submit(
                &format!("/t/{thread}"),
                &format!("/p/{post}/react"),
                &[("kind", kind)],
            )
            .await
        }
    };
    assert_eq!(react("helpful").await.status, StatusCode::SEE_OTHER);
    react("thanks").await;
    assert_eq!(counts(&app, post).await, (1, 1, 0));
    let page = app.get(&format!("/t/{thread}")).await;
    assert!(page.contains(
        "class=\"reaction active\" aria-pressed=\"true\">Helpful <span class=\"count\">1</span>"
    ));
    react("helpful").await;
    assert_eq!(
        counts(&app, post).await,
        (0, 1, 0),
        "a second press takes it back"
    );
    // A count of nobody is not shown as "0".
    let page = app.get(&format!("/t/{thread}")).await;
    assert!(page.contains("aria-pressed=\"false\">Helpful <span class=\"count\"></span>"));
    assert!(!page.contains("<span class=\"count\">0</span>"));
    let cal = app.other_browser();
    cal.member("cal", domain, "member").await;
    cal.submit(
        &format!("/t/{thread}"),
        &format!("/p/{post}/react"),
        &[("kind", "thanks")],
    )
    .await;
    assert_eq!(counts(&app, post).await, (0, 2, 0));
    assert!(
        app.other_browser()
            .get(&format!("/t/{thread}"))
            .await
            .contains("Thanks <span class=\"count\">2</span>"),
        "visitors see counts"
    );
}

/// Presses "Insightful" as the page's script does, which is answered with JSON.
async fn react_by_script(member: &TestApp, thread: i64, post: i64) -> Page {
    let token = member.get(&format!("/t/{thread}")).await.csrf();
    let request = reqwest::Client::new()
        .post(member.url(&format!("/p/{post}/react")))
        .header("x-requested-with", "fetch")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", member.session_cookie().unwrap())
        .body(format!("csrf={token}&kind=insightful"));
    member.send(request).await
}

#[tokio::test]
async fn reactions_answer_json_to_scripts() {
    let (app, domain, thread, post) = post_by_ana().await;
    app.member("bea", domain, "member").await;
    let page = react_by_script(&app, thread, post).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body, "{\"active\":true,\"count\":1}");
    // The count includes everyone's reactions, and a second press takes this one back.
    let cal = app.other_browser();
    cal.member("cal", domain, "member").await;
    assert_eq!(
        react_by_script(&cal, thread, post).await.body,
        "{\"active\":true,\"count\":2}"
    );
    assert_eq!(
        react_by_script(&app, thread, post).await.body,
        "{\"active\":false,\"count\":1}"
    );
    assert_eq!(counts(&app, post).await, (0, 0, 1));
}

#[tokio::test]
async fn bad_reactions_are_refused() {
    let (app, domain, thread, post) = post_by_ana().await;
    app.login("ana", PASSWORD).await;
    let own = app
        .submit(
            &format!("/t/{thread}"),
            &format!("/p/{post}/react"),
            &[("kind", "helpful")],
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "not on your own post");
    let outsider = app.other_browser();
    outsider.create_user("zed").await;
    outsider.login("zed", PASSWORD).await;
    let refused = outsider
        .submit(
            &format!("/t/{thread}"),
            &format!("/p/{post}/react"),
            &[("kind", "helpful")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "members of the domain only"
    );
    let member = app.other_browser();
    member.member("bea", domain, "member").await;
    let odd = member
        .submit(
            &format!("/t/{thread}"),
            &format!("/p/{post}/react"),
            &[("kind", "love")],
        )
        .await;
    assert_eq!(odd.status, StatusCode::BAD_REQUEST);
    assert_eq!(counts(&app, post).await, (0, 0, 0));
}

#[tokio::test]
async fn facilitators_feature_posts_and_entries_in_their_domain_spotlight() {
    let (app, domain, thread, post) = post_by_ana().await;
    app.member("fay", domain, "facilitator").await;
    let thread_page = app.get(&format!("/t/{thread}")).await;
    assert!(thread_page
        .post_markup(post)
        .contains(&format!("<a href=\"/p/{post}/spotlight\">Spotlight</a>")));
    let asked = app.get(&format!("/p/{post}/spotlight")).await;
    assert!(
        asked.contains("Why feature it?")
            && asked.contains("<title>Feature in the spotlight · Mulch")
    );
    let featured = app
        .submit(
            &format!("/p/{post}/spotlight"),
            "/spotlight",
            &[("post", &post.to_string()), ("reason", "A model answer")],
        )
        .await;
    assert_eq!(featured.location.as_deref(), Some("/d/gardens"));
    let page = app.get("/d/gardens").await;
    assert!(
        page.contains("Spotlight")
            && page.contains(&format!(
                "<a href=\"/p/{post}\">Mulch</a> — <em>A model answer</em>"
            ))
    );

    let kitchens = app.create_domain("kitchens", "public").await;
    let other = app.other_browser();
    other.member("kit", kitchens, "facilitator").await;
    let refused = other
        .submit(
            "/",
            "/spotlight",
            &[("post", &post.to_string()), ("reason", "Mine now")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "a facilitator of another domain"
    );
    let member = app.other_browser();
    member.member("bea", domain, "member").await;
    let refused = member
        .submit(
            "/",
            "/spotlight",
            &[("post", &post.to_string()), ("reason", "Me too")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let empty = app
        .submit(
            &format!("/p/{post}/spotlight"),
            "/spotlight",
            &[("post", &post.to_string()), ("reason", " ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.contains("id=\"reason-error\""));
    assert_eq!(
        other.get(&format!("/p/{post}/spotlight")).await.status,
        StatusCode::FORBIDDEN,
        "the page is refused where the spotlight is"
    );
    assert_eq!(app.count("SELECT count(*) FROM spotlights").await, 1);

    // A repertoire entry, the same way.
    let entry: i64 = sqlx::query_scalar(
        "INSERT INTO repertoire_entries (domain_id, kind, title, summary)
         VALUES ($1, 'tool', 'Leaf mould bins', 'Two bins, a year apart') RETURNING id",
    )
    .bind(domain)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(app.get(&format!("/r/{entry}")).await.contains(&format!(
        "<a href=\"/r/{entry}/spotlight\">Feature in the spotlight</a>"
    )));
    assert!(!member
        .get(&format!("/r/{entry}"))
        .await
        .contains("/spotlight\""));
    let asked = app.get(&format!("/r/{entry}/spotlight")).await;
    assert!(asked.contains("<h1>Feature “Leaf mould bins” in the spotlight</h1>"));
    assert!(asked.contains("Two bins, a year apart"));
    for (who, browser) in [
        ("a member", &member),
        ("another domain's facilitator", &other),
    ] {
        assert_eq!(
            browser.get(&format!("/r/{entry}/spotlight")).await.status,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    let long = "y".repeat(501);
    let too_long = app
        .submit(
            &format!("/r/{entry}/spotlight"),
            "/spotlight",
            &[("entry", &entry.to_string()), ("reason", &long)],
        )
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_long.contains(&format!("value=\"{long}\"")),
        "the reason is kept"
    );
    let featured = app
        .submit(
            &format!("/r/{entry}/spotlight"),
            "/spotlight",
            &[
                ("entry", &entry.to_string()),
                ("reason", "Cheap and it works"),
            ],
        )
        .await;
    assert_eq!(featured.location.as_deref(), Some("/d/gardens"));
    assert!(app.get("/d/gardens").await.contains(&format!(
        "<a href=\"/r/{entry}\">Leaf mould bins</a> — <em>Cheap and it works</em>"
    )));
    assert_eq!(
        app.get("/r/999999/spotlight").await.status,
        StatusCode::NOT_FOUND
    );

    // Taking something out of the spotlight is for the same facilitators.
    let spotlit: i64 = sqlx::query_scalar("SELECT id FROM spotlights WHERE entry_id = $1")
        .bind(entry)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let remove = format!("/spotlight/{spotlit}/remove");
    assert_eq!(other.act(&remove, &[]).await.status, StatusCode::FORBIDDEN);
    let removed = app.act(&remove, &[]).await;
    assert_eq!(removed.location.as_deref(), Some("/d/gardens"));
    assert!(!app
        .get("/d/gardens")
        .await
        .contains("<em>Cheap and it works</em>"));
    assert_eq!(app.count("SELECT count(*) FROM spotlights").await, 1);
}

#[tokio::test]
async fn a_profile_shows_a_members_contribution_at_a_glance() {
    let (app, domain, thread, post) = post_by_ana().await;
    sqlx::query("UPDATE threads SET kind = 'question' WHERE id = $1")
        .bind(thread)
        .execute(&app.db)
        .await
        .unwrap();
    let bea = app.member("bea", domain, "member").await;
    let reply = app.reply(thread, "Use straw").await.location.unwrap();
    let reply_id: i64 = reply.trim_start_matches("/p/").parse().unwrap();
    sqlx::query("UPDATE threads SET accepted_post_id = $1 WHERE id = $2")
        .bind(reply_id)
        .bind(thread)
        .execute(&app.db)
        .await
        .unwrap();
    app.submit(
        &format!("/t/{thread}"),
        &format!("/p/{post}/react"),
        &[("kind", "helpful")],
    )
    .await;
    sqlx::query("INSERT INTO repertoire_entries (domain_id, kind, title, curated_by) VALUES ($1, 'tool', 'Straw', $2)").bind(domain).bind(bea).execute(&app.db).await.unwrap();
    let profile = app.get("/u/bea").await;
    assert!(
        profile.contains("<strong>1</strong> reply<")
            && profile.contains("<strong>1</strong> accepted answer<")
    );
    assert!(profile.contains("<strong>1</strong> repertoire entry<"));
    let ana = app.get("/u/ana").await;
    assert!(
        ana.contains("<strong>1</strong> thread<")
            && ana.contains("<strong>1</strong> reaction received")
    );
    assert_eq!(app.get("/u/nobody").await.status, StatusCode::NOT_FOUND);
}

/// Every (member, domain) counter equals a direct count of what `listed_posts` shows.
async fn assert_counters_match_rows(app: &TestApp, after: &str) {
    let mismatches: Vec<(i64, i64)> = sqlx::query_as(
        "WITH direct AS (
             SELECT p.author_id AS user_id, t.domain_id,
                    count(*) FILTER (WHERE p.id = f.first) AS threads,
                    count(*) FILTER (WHERE p.id <> f.first) AS replies,
                    sum(p.helpful_count + p.thanks_count + p.insightful_count) AS reactions,
                    count(*) FILTER (WHERE t.accepted_post_id = p.id) AS accepted
               FROM posts p JOIN threads t ON t.id = p.thread_id
               JOIN (SELECT thread_id, min(id) AS first FROM posts GROUP BY thread_id) f ON f.thread_id = p.thread_id
              WHERE p.deleted_at IS NULL AND NOT p.hidden AND NOT t.hidden
              GROUP BY 1, 2)
         SELECT coalesce(d.user_id, s.user_id), coalesce(d.domain_id, s.domain_id)
           FROM direct d FULL JOIN (SELECT * FROM member_stats
                                     WHERE threads <> 0 OR replies <> 0 OR reactions_received <> 0 OR accepted_answers <> 0) s
             ON s.user_id = d.user_id AND s.domain_id = d.domain_id
          WHERE (d.threads, d.replies, d.reactions, d.accepted)
                IS DISTINCT FROM (s.threads, s.replies, s.reactions_received, s.accepted_answers)",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(
        mismatches.is_empty(),
        "after {after}: {mismatches:?} differ"
    );
    let report_mismatches: Vec<(i64, i64)> = sqlx::query_as(
        "WITH direct AS (
             SELECT r.author_id AS user_id, coalesce(e.domain_id, t.domain_id) AS domain_id, count(*) AS n
               FROM practice_reports r
               LEFT JOIN repertoire_entries e ON e.id = r.entry_id LEFT JOIN threads t ON t.id = r.thread_id
              GROUP BY 1, 2)
         SELECT coalesce(d.user_id, s.user_id), coalesce(d.domain_id, s.domain_id)
           FROM direct d FULL JOIN (SELECT * FROM member_stats WHERE practice_reports <> 0) s
             ON s.user_id = d.user_id AND s.domain_id = d.domain_id
          WHERE d.n IS DISTINCT FROM s.practice_reports::bigint",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(
        report_mismatches.is_empty(),
        "after {after}: practice reports of {report_mismatches:?} differ"
    );
}

#[tokio::test]
async fn profile_counters_follow_every_change_to_what_is_listed() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let circle = app.create_domain("circle", "private").await;
    let ana = app.other_browser();
    let ana_id = ana.member("ana", gardens, "facilitator").await;
    app.add_member(circle, ana_id, "facilitator").await;
    let bea = app.other_browser();
    bea.member("bea", gardens, "member").await;
    let thread = ana.ask("gardens", "Cold compost?", "Why is it cold?").await;
    let answer = bea.answer(thread, "Turn it.").await;
    let extra = bea.answer(thread, "And add greens.").await;
    assert_counters_match_rows(&app, "posting").await;
    assert!(ana.react(answer, "helpful").await.done());
    assert_counters_match_rows(&app, "a reaction").await;
    assert!(ana.accept(thread, answer).await.done());
    assert_counters_match_rows(&app, "accepting").await;
    let on_thread = bea
        .act(
            &format!("/t/{thread}/report"),
            &[
                ("context", "My plot"),
                ("tried", "Turning it"),
                ("outcome", "worked"),
                ("reflection", "Warm again"),
            ],
        )
        .await;
    assert!(on_thread.done(), "{}", on_thread.body);
    let entry: i64 = sqlx::query_scalar("INSERT INTO repertoire_entries (domain_id, kind, title) VALUES ($1, 'tool', 'Fork') RETURNING id")
        .bind(gardens)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(bea.report(entry, "partly").await.done());
    assert_counters_match_rows(&app, "two practice reports").await;
    assert!(app
        .get("/u/bea")
        .await
        .contains("<strong>2</strong> practice reports"));
    app.hide_post(extra).await;
    app.delete_post(answer).await;
    assert_counters_match_rows(&app, "hiding and deleting").await;
    sqlx::query("UPDATE posts SET deleted_at = NULL WHERE id = $1")
        .bind(answer)
        .execute(&app.db)
        .await
        .unwrap();
    let moved = ana
        .act(&format!("/t/{thread}/move"), &[("domain", "circle")])
        .await;
    assert!(moved.done(), "{}", moved.body);
    assert_counters_match_rows(&app, "moving to a private domain").await;
    // Bea's one listed reply is now in a private domain: its member Ana counts it, a visitor
    // does not.
    assert!(ana
        .get("/u/bea")
        .await
        .contains("<strong>1</strong> reply<"));
    let visitor = app.other_browser();
    let seen_by_visitor = visitor.get("/u/bea").await;
    assert!(seen_by_visitor.contains("<strong>0</strong> replies"));
    assert!(
        seen_by_visitor.contains("<strong>1</strong> practice report<"),
        "the report on the moved thread went with it"
    );
    let hidden = ana
        .act(
            &format!("/t/{thread}/moderate"),
            &[("action", "hide"), ("reason", "Off topic")],
        )
        .await;
    assert!(hidden.done());
    assert_counters_match_rows(&app, "hiding the thread").await;
    assert!(ana
        .get("/u/bea")
        .await
        .contains("<strong>0</strong> replies"));
}

#[tokio::test]
async fn a_long_thread_page_carries_the_csrf_token_once_not_once_per_button() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(domain, ana, "Mulch", 49).await;
    let bea = app.member("bea", domain, "member").await;
    sqlx::query("UPDATE posts SET author_id = $1 WHERE thread_id = $2")
        .bind(bea)
        .bind(thread)
        .execute(&app.db)
        .await
        .unwrap();
    // Bea's own 50 posts: bookmark buttons on each, no flag forms (nobody flags their own).
    let page = app.get(&format!("/t/{thread}")).await;
    let token = page.csrf();
    assert_eq!(
        page.body.matches("formaction=").count(),
        50,
        "one bookmark button per post"
    );
    let copies = page.body.matches(&token).count();
    assert!(copies <= 4, "the token appears {copies} times");
    assert!(page.contains("<form id=\"page-actions\""));

    // A button posts the page's form to its own formaction: what a browser sends without script.
    let first: i64 = sqlx::query_scalar("SELECT min(id) FROM posts WHERE thread_id = $1")
        .bind(thread)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let done = app
        .post(&format!("/p/{first}/bookmark"), &[("csrf", token.as_str())])
        .await;
    assert!(done.done());
    assert_eq!(
        app.count("SELECT count(*) FROM bookmarks").await,
        1,
        "the bookmark was kept"
    );
}
