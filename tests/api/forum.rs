//! Domains, membership, threads and replies as members use them.

use crate::helpers::{TestApp, PASSWORD};
use reqwest::StatusCode;

#[tokio::test]
async fn a_visitor_joins_a_domain_starts_a_question_and_gets_a_reply() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.create_user("ana").await;
    app.login("ana", PASSWORD).await;

    let before = app.get("/d/gardens").await;
    assert!(before.contains("Join this domain"));
    assert!(!before.contains("Start a thread"));
    let joined = app.join("gardens").await;
    assert_eq!(joined.location.as_deref(), Some("/d/gardens"));
    let after = app.get("/d/gardens").await;
    assert!(
        after.contains("Welcome to Gardens!"),
        "joining shows a welcome"
    );
    assert!(after.contains("Start a thread"));

    let created = app
        .submit(
            "/d/gardens/new",
            "/d/gardens/new",
            &[
                ("title", "  Why is my compost cold?  "),
                ("kind", "question"),
                ("body", "It is *one* cubic metre."),
                ("action", "post"),
            ],
        )
        .await;
    let thread = created.location.expect("redirect to the thread");
    let page = app.get(&thread).await;
    assert!(
        page.contains("<h1>Why is my compost cold?</h1>"),
        "the title is trimmed"
    );
    assert!(
        page.contains("It is <em>one</em> cubic metre."),
        "Markdown is rendered"
    );
    assert!(page.contains("<span class=\"tag unsolved\">unsolved question</span>"));

    let helper = app.member_browser("bea", domain, "member").await;
    let thread_id: i64 = thread.trim_start_matches("/t/").parse().unwrap();
    let replied = helper.reply(thread_id, "Turn it more often.").await;
    let permalink = replied.location.expect("redirect to the reply");
    assert!(permalink.starts_with("/p/"));
    let landed = helper.get(&permalink).await;
    let post_id = permalink.trim_start_matches("/p/");
    assert_eq!(landed.location, Some(format!("/t/{thread_id}#p{post_id}")));
    let page = app.get(&thread).await;
    assert!(page.contains("Turn it more often."));
    assert!(page.contains("1 reply"));

    let list = app.get("/d/gardens").await;
    assert!(
        list.contains("<strong>1</strong> reply"),
        "the reply count is kept on write"
    );
    assert!(
        list.contains("<span class=\"visually-hidden\">Last post by </span>bea<br>"),
        "the list names who posted last: {}",
        list.body
    );
    assert!(list.contains("1 thread"));
}

#[tokio::test]
async fn a_thread_url_with_a_slug_is_accepted() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(domain, ana, "Cold compost", 0).await;
    let page = app.get(&format!("/t/{thread}/cold-compost")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("Cold compost"));
}

#[tokio::test]
async fn members_leave_but_the_last_facilitator_cannot() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.member("ana", domain, "facilitator").await;
    let refused = app.submit("/d/gardens", "/d/gardens/leave", &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.contains("only facilitator"));

    let bea = app.member_browser("bea", domain, "member").await;
    let left = bea.submit("/d/gardens", "/d/gardens/leave", &[]).await;
    assert_eq!(left.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("SELECT count(*) FROM memberships").await, 1);
    assert_eq!(
        app.count("SELECT member_count::bigint FROM domains").await,
        1
    );
}

#[tokio::test]
async fn posting_in_a_domain_you_have_not_joined_is_refused() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(domain, ana, "Hello", 0).await;
    app.create_user("bea").await;
    app.login("bea", PASSWORD).await;

    assert_eq!(
        app.get("/d/gardens/new").await.status,
        StatusCode::FORBIDDEN
    );
    let token = app.get("/d/gardens").await.csrf();
    let page = app
        .post(
            "/d/gardens/new",
            &[
                ("csrf", &token),
                ("title", "Mine"),
                ("body", "Hi"),
                ("action", "post"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.contains("Join this domain to post in it."));
    let reply = app
        .post(
            &format!("/t/{thread}/reply"),
            &[("csrf", &token), ("body", "Hi"), ("action", "post")],
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT count(*) FROM threads").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM posts").await, 1);
    let thread_page = app.get(&format!("/t/{thread}")).await;
    assert!(thread_page.contains("Join Gardens to reply"));
}

#[tokio::test]
async fn visitors_are_sent_to_log_in_before_posting() {
    let app = TestApp::spawn().await;
    app.create_domain("gardens", "public").await;
    let page = app.get("/d/gardens/new").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some("/login?next=%2Fd%2Fgardens%2Fnew")
    );
}

/// A visitor whose session carries a form token but no member (signed out while writing) is
/// sent to log in and come back to the reply, for a private domain's thread as for a public
/// one; nothing is posted.
#[tokio::test]
async fn a_reply_sent_signed_out_is_sent_to_log_in() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let circle = app.create_domain("circle", "private").await;
    let ana = app.member("ana", gardens, "member").await;
    let open = app.insert_thread(gardens, ana, "Open", 0).await;
    let closed = app.insert_thread(circle, ana, "Closed circle", 0).await;
    let visitor = app.other_browser();
    let token = visitor.get("/login").await.csrf();
    for thread in [open, closed] {
        let sent = visitor
            .post(
                &format!("/t/{thread}/reply"),
                &[("csrf", &token), ("body", "Hello"), ("action", "post")],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER);
        let to_login = format!("/login?next=%2Ft%2F{thread}%2Freply");
        assert_eq!(sent.location.as_deref(), Some(to_login.as_str()));
    }
    assert_eq!(app.count("SELECT count(*) FROM posts").await, 2);
}

#[tokio::test]
async fn bad_titles_and_bodies_come_back_with_the_text_kept() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.member("ana", domain, "member").await;
    let long_title = "t".repeat(201);
    let long_body = "b".repeat(100_001);
    let cases: [(&str, &str, &str, &str); 4] = [
        (
            "   ",
            "A body worth keeping",
            "title-error",
            "Give your thread a title.",
        ),
        (
            "A title worth keeping",
            " \n\t ",
            "body-error",
            "Write something first.",
        ),
        (
            &long_title,
            "A body worth keeping",
            "title-error",
            "200 characters or fewer",
        ),
        (
            "A title worth keeping",
            &long_body,
            "body-error",
            "longer than 100 000 characters",
        ),
    ];
    for (title, body, field, message) in cases {
        let page = app
            .submit(
                "/d/gardens/new",
                "/d/gardens/new",
                &[("title", title), ("body", body), ("action", "post")],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(page.contains(&format!("id=\"{field}\"")), "{field}");
        assert!(page.contains(message), "{message}");
        if title.trim().len() > 1 && title.len() <= 200 {
            assert!(
                page.contains(&format!("value=\"{title}\"")),
                "the title is kept"
            );
        }
        if body.trim().len() > 1 && body.len() <= 100_000 {
            assert!(page.contains(body), "the body is kept");
        }
    }
    assert_eq!(app.count("SELECT count(*) FROM threads").await, 0);
}

#[tokio::test]
async fn an_empty_reply_is_refused_with_the_form_shown_again() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.member("ana", domain, "member").await;
    let thread = app.insert_thread(domain, ana, "Hello", 0).await;
    let page = app.reply(thread, "   ").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"body-error\">Write something first."));
    assert_eq!(app.count("SELECT count(*) FROM posts").await, 1);
}

#[tokio::test]
async fn unknown_and_malformed_ids_get_the_404_page() {
    let app = TestApp::spawn().await;
    for path in [
        "/t/abc",
        "/t/99999999999999999999",
        "/t/0",
        "/t/-5",
        "/t/123456",
        "/p/abc",
        "/p/99999999999999999999",
        "/p/42/revisions",
        "/d/nowhere/feed.atom",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.contains("Page not found"), "{path}");
    }
}

#[tokio::test]
async fn a_damaged_thread_page_link_is_a_400() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(domain, ana, "Hello", 3).await;
    assert_eq!(
        app.get(&format!("/t/{thread}?from=abc")).await.status,
        StatusCode::BAD_REQUEST
    );
    // A post id from another thread is not a page of this one.
    let other = app.insert_thread(domain, ana, "Other", 0).await;
    let foreign: i64 = sqlx::query_scalar("SELECT max(id) FROM posts WHERE thread_id = $1")
        .bind(other)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        app.get(&format!("/t/{thread}?from={foreign}")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_locked_thread_takes_no_replies() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.member("ana", domain, "member").await;
    let thread = app.insert_thread(domain, ana, "Closed", 0).await;
    let token = app.get(&format!("/t/{thread}")).await.csrf();
    sqlx::query("UPDATE threads SET locked = true WHERE id = $1")
        .bind(thread)
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.get(&format!("/t/{thread}")).await;
    assert!(page.contains("This thread is locked"));
    assert!(!page.contains("Post reply"));
    let refused = app
        .post(
            &format!("/t/{thread}/reply"),
            &[("csrf", &token), ("body", "Late reply"), ("action", "post")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT count(*) FROM posts").await, 1);
}

/// The thread is checked when the reply arrives, and again under the thread's row lock as the
/// reply is written: a lock that lands in between wins, and nothing of the reply is kept.
#[tokio::test]
async fn a_lock_that_lands_while_a_reply_waits_for_the_thread_wins() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.member("ana", domain, "member").await;
    let thread = app.insert_thread(domain, ana, "Closing soon", 0).await;
    let bea = app.other_browser();
    bea.member("bea", domain, "member").await;
    let token = bea.get(&format!("/t/{thread}")).await.csrf();
    // A facilitator's lock, not yet committed, holds the thread's row.
    let mut locking = app.db.begin().await.expect("a transaction");
    sqlx::query("UPDATE threads SET locked = true WHERE id = $1")
        .bind(thread)
        .execute(&mut *locking)
        .await
        .expect("lock the thread");
    let replying = tokio::spawn({
        let bea = bea.same_browser();
        async move {
            let fields = [
                ("csrf", token.as_str()),
                ("body", "My late reply"),
                ("action", "post"),
            ];
            bea.post(&format!("/t/{thread}/reply"), &fields).await
        }
    });
    assert_eq!(
        app.lock_waits_of(&replying).await,
        1,
        "the reply waits for the thread's row"
    );
    locking.commit().await.expect("commit the lock");
    let refused = replying.await.expect("the reply's request");
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.contains("This thread was locked while you wrote"));
    assert!(refused.contains("My late reply"), "the text comes back");
    assert_eq!(app.count("SELECT count(*) FROM posts").await, 1);
    assert_eq!(app.count("SELECT count(*) FROM notifications").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM submissions").await, 0);
}

#[tokio::test]
async fn editing_keeps_every_earlier_version_for_readers() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.member("ana", domain, "member").await;
    let thread = app
        .start_thread("gardens", "First title", "First words")
        .await;
    let post: i64 = sqlx::query_scalar("SELECT id FROM posts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let edit = format!("/p/{post}/edit");
    let form = app.get(&edit).await;
    assert!(form.contains("First words") && form.contains("value=\"First title\""));
    let saved = app
        .submit(
            &edit,
            &edit,
            &[
                ("title", "Better title"),
                ("body", "Second words"),
                ("action", "post"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    app.submit(
        &edit,
        &edit,
        &[
            ("title", "Better title"),
            ("body", "Third words"),
            ("action", "post"),
        ],
    )
    .await;

    let page = app.get(&format!("/t/{thread}")).await;
    assert!(page.contains("Third words") && page.contains("<h1>Better title</h1>"));
    assert!(page.contains(&format!("href=\"/p/{post}/revisions\">edited")));
    let visitor = app.other_browser();
    let history = visitor.get(&format!("/p/{post}/revisions")).await;
    assert_eq!(history.status, StatusCode::OK);
    let (third, second, first) = (
        history.body.find("Third words").unwrap(),
        history.body.find("Second words").unwrap(),
        history.body.find("First words").unwrap(),
    );
    assert!(third < second && second < first, "newest first");
    assert_eq!(app.count("SELECT count(*) FROM post_revisions").await, 2);
}

#[tokio::test]
async fn editing_or_deleting_someone_elses_post_is_forbidden() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(domain, ana, "Ana's", 0).await;
    let post: i64 = sqlx::query_scalar("SELECT id FROM posts WHERE thread_id = $1")
        .bind(thread)
        .fetch_one(&app.db)
        .await
        .unwrap();
    app.member("bea", domain, "facilitator").await;
    assert_eq!(
        app.get(&format!("/p/{post}/edit")).await.status,
        StatusCode::FORBIDDEN
    );
    let token = app.get("/").await.csrf();
    let edit = app
        .post(
            &format!("/p/{post}/edit"),
            &[("csrf", &token), ("body", "Vandalised"), ("action", "post")],
        )
        .await;
    assert_eq!(edit.status, StatusCode::FORBIDDEN);
    assert!(edit.contains("Only its author can change a post."));
    let delete = app
        .post(&format!("/p/{post}/delete"), &[("csrf", &token)])
        .await;
    assert_eq!(delete.status, StatusCode::FORBIDDEN);
    let body: String = sqlx::query_scalar("SELECT body_md FROM posts WHERE id = $1")
        .bind(post)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(body, "Post number 0");
    assert_eq!(
        app.count("SELECT count(*) FROM posts WHERE deleted_at IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn deleting_asks_first_and_leaves_a_placeholder() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.member("ana", domain, "member").await;
    let thread = app.start_thread("gardens", "Hello", "Opening").await;
    let reply = app
        .reply(thread, "Regrettable words")
        .await
        .location
        .unwrap();
    app.other_browser().member("bea", domain, "member").await;
    let post = reply.trim_start_matches("/p/");
    let confirm = app.get(&format!("/p/{post}/delete")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(confirm.contains("Delete your post?") && confirm.contains("Regrettable words"));
    let done = app
        .submit(
            &format!("/p/{post}/delete"),
            &format!("/p/{post}/delete"),
            &[],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = app.other_browser().get(&format!("/t/{thread}")).await;
    assert!(page.contains("This post was deleted by its author."));
    assert!(!page.contains("Regrettable words"));
    assert!(page.contains("1 reply"), "the placeholder keeps its place");
    assert_eq!(
        app.get(&format!("/p/{post}/revisions")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn quoting_prefills_the_reply_with_the_quoted_post() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.member("ana", domain, "member").await;
    let thread = app
        .start_thread("gardens", "Hello", "Line one\nLine two")
        .await;
    let post: i64 = sqlx::query_scalar("SELECT id FROM posts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let page = app.get(&format!("/t/{thread}/reply?quote={post}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.contains(&format!(
            "[@ana wrote](/p/{post}):\n&#62; Line one\n&#62; Line two"
        )),
        "{}",
        page.body
    );
    // A post of another thread cannot be quoted here.
    let other = app.start_thread("gardens", "Other", "Elsewhere").await;
    let foreign: i64 = sqlx::query_scalar("SELECT max(id) FROM posts WHERE thread_id = $1")
        .bind(other)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        app.get(&format!("/t/{thread}/reply?quote={foreign}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn preview_renders_without_posting_and_keeps_the_text() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.member("ana", domain, "member").await;
    let page = app
        .submit(
            "/d/gardens/new",
            "/d/gardens/new",
            &[
                ("title", "Draft"),
                ("body", "Some **bold** idea"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("<h2 id=\"preview-heading\">Preview</h2>"));
    assert!(page.contains("<strong>bold</strong>"));
    assert!(page.contains("Some **bold** idea</textarea>"));
    assert_eq!(app.count("SELECT count(*) FROM threads").await, 0);
}

#[tokio::test]
async fn long_threads_are_paged_and_permalinks_land_on_the_right_page() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(domain, ana, "Long", 119).await; // 120 posts
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM posts ORDER BY id")
        .fetch_all(&app.db)
        .await
        .unwrap();

    let first = app.get(&format!("/t/{thread}")).await;
    assert_eq!(first.body.matches("class=\"post\"").count(), 50);
    assert!(first.contains("page 1 of 3"));
    assert!(first.contains(&format!(
        "href=\"/t/{thread}?from={}\" rel=\"next\"",
        ids[50]
    )));
    assert!(first.contains("Post number 49<") && !first.contains("Post number 50<"));

    let landed = app.get(&format!("/p/{}", ids[74])).await;
    assert_eq!(
        landed.location,
        Some(format!("/t/{thread}?from={}#p{}", ids[50], ids[74]))
    );
    let second = app.get(&format!("/t/{thread}?from={}", ids[50])).await;
    assert!(second.contains(&format!("id=\"p{}\"", ids[74])));
    assert!(second.contains("page 2 of 3"));
    assert!(second.contains(&format!(
        "href=\"/t/{thread}?from={}\" rel=\"prev\"",
        ids[0]
    )));

    let third = app.get(&format!("/t/{thread}?from={}", ids[100])).await;
    assert_eq!(third.body.matches("class=\"post\"").count(), 20);
    assert!(!third.contains("rel=\"next\""));
    // A hand-made link into the middle of a page shows that whole page.
    let middle = app.get(&format!("/t/{thread}?from={}", ids[110])).await;
    assert!(middle.contains(&format!("id=\"p{}\"", ids[100])));
}

#[tokio::test]
async fn domain_threads_are_paged_by_keyset_without_overlap() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    for i in 0..35 {
        app.insert_thread(domain, ana, &format!("Topic {i:02}"), 0)
            .await;
    }
    let first = app.get("/d/gardens").await;
    assert_eq!(first.body.matches("class=\"thread-row\"").count(), 30);
    let start = first.body.find("?before=").expect("an older link");
    let end = first.body[start..].find('"').unwrap() + start;
    let older = app
        .get(&format!("/d/gardens{}", &first.body[start..end]))
        .await;
    assert_eq!(older.body.matches("class=\"thread-row\"").count(), 5);
    for i in 0..35 {
        let title = format!("Topic {i:02}<");
        assert!(
            first.contains(&title) != older.contains(&title),
            "{title} on exactly one page"
        );
    }
}

#[tokio::test]
async fn a_private_domain_and_its_threads_are_404_to_outsiders() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("circle", "private").await;
    let ana = app.create_user("ana").await;
    app.add_member(domain, ana, "facilitator").await;
    let thread = app.insert_thread(domain, ana, "Secret plans", 1).await;
    let post: i64 = sqlx::query_scalar("SELECT max(id) FROM posts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    // Visitors are asked to log in before any composer, whether or not the domain exists.
    assert_eq!(
        app.get("/d/circle/new").await.location.as_deref(),
        Some("/login?next=%2Fd%2Fcircle%2Fnew")
    );
    let paths = [
        "/d/circle".to_string(),
        "/d/circle/feed.atom".to_string(),
        format!("/t/{thread}"),
        format!("/p/{post}"),
        format!("/p/{post}/revisions"),
    ];
    let outsider = app.other_browser();
    outsider.create_user("bea").await;
    outsider.login("bea", PASSWORD).await;
    for path in &paths {
        assert_eq!(
            app.get(path).await.status,
            StatusCode::NOT_FOUND,
            "visitor: {path}"
        );
        assert_eq!(
            outsider.get(path).await.status,
            StatusCode::NOT_FOUND,
            "outsider: {path}"
        );
    }
    assert_eq!(
        outsider.get("/d/circle/new").await.status,
        StatusCode::NOT_FOUND
    );
    let join = outsider.submit("/", "/d/circle/join", &[]).await;
    assert_eq!(
        join.status,
        StatusCode::NOT_FOUND,
        "outsiders cannot join a private domain"
    );
    assert!(!outsider.get("/d").await.contains("Circle"));

    app.login("ana", PASSWORD).await;
    for path in &paths[..3] {
        assert_eq!(app.get(path).await.status, StatusCode::OK, "member: {path}");
    }
}

#[tokio::test]
async fn hidden_posts_and_threads_show_only_to_facilitators() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    app.add_member(domain, ana, "member").await;
    let thread = app.insert_thread(domain, ana, "Visible thread", 1).await;
    sqlx::query("UPDATE posts SET hidden = true, hidden_reason = 'off-topic' WHERE id = (SELECT max(id) FROM posts)")
        .execute(&app.db)
        .await
        .unwrap();
    let hidden_thread = app.insert_thread(domain, ana, "Hidden thread", 0).await;
    sqlx::query("UPDATE threads SET hidden = true WHERE id = $1")
        .bind(hidden_thread)
        .execute(&app.db)
        .await
        .unwrap();

    let visitor = app.get(&format!("/t/{thread}")).await;
    assert!(visitor.contains("This post was hidden by a facilitator."));
    assert!(!visitor.contains("Post number 1<"));
    assert_eq!(
        app.get(&format!("/t/{hidden_thread}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!app.get("/d/gardens").await.contains("Hidden thread"));

    let author = app.other_browser();
    author.login("ana", PASSWORD).await;
    let own = author.get(&format!("/t/{thread}")).await;
    assert!(own.contains("Hidden by a facilitator: off-topic") && own.contains("Post number 1<"));

    let facilitator = app.member_browser("fay", domain, "facilitator").await;
    let page = facilitator.get(&format!("/t/{thread}")).await;
    assert!(page.contains("Hidden by a facilitator: off-topic") && page.contains("Post number 1<"));
    assert_eq!(
        facilitator.get(&format!("/t/{hidden_thread}")).await.status,
        StatusCode::OK
    );
    assert!(facilitator
        .get("/d/gardens")
        .await
        .contains("Hidden thread"));
}

#[tokio::test]
async fn malformed_ids_and_slugs_answer_the_not_found_page() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.member("ana", domain, "member").await;
    for path in [
        "/t/abc",
        "/t/0/some-title",
        "/p/-1",
        "/r/99999999999999999999",
        "/e/1e3",
        "/notifications/x",
        "/d/Not%20A%20Slug",
        "/d/--/repertoire",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.contains("<title>"), "{path}: the HTML error page");
    }
    for action in [
        "/p/abc/react",
        "/t/x/accept",
        "/p/1.5/flag",
        "/spotlight/no/remove",
    ] {
        let page = app.act(action, &[("kind", "thanks")]).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{action}");
        assert!(page.contains("<title>"), "{action}");
    }
}

#[tokio::test]
async fn a_domains_last_activity_moves_at_most_once_a_minute() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(domain, ana, "Busy thread", 0).await;
    let activity = || async {
        sqlx::query_scalar::<_, time::OffsetDateTime>(
            "SELECT last_activity_at FROM domains WHERE id = $1",
        )
        .bind(domain)
        .fetch_one(&app.db)
        .await
        .unwrap()
    };
    let reply_at = |at: &'static str| {
        sqlx::query(
            "INSERT INTO posts (thread_id, author_id, body_md, body_html, created_at)
             VALUES ($1, $2, 'x', '<p>x</p>', $3::timestamptz)",
        )
        .bind(thread)
        .bind(ana)
        .bind(at)
        .execute(&app.db)
    };
    reply_at("2030-01-01 10:00:00Z").await.unwrap();
    let first = activity().await;
    assert_eq!(first, time::macros::datetime!(2030-01-01 10:00 UTC));
    // Thirty seconds later: the domain row is left alone (no lock, no write).
    reply_at("2030-01-01 10:00:30Z").await.unwrap();
    assert_eq!(activity().await, first);
    // Two minutes later it moves; the thread itself always records its latest post.
    reply_at("2030-01-01 10:02:00Z").await.unwrap();
    assert_eq!(
        activity().await,
        time::macros::datetime!(2030-01-01 10:02 UTC)
    );
    let replies: i32 = sqlx::query_scalar("SELECT reply_count FROM threads WHERE id = $1")
        .bind(thread)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(replies, 3);
}

/// Saves `body` through the edit form, as the post's author does.
async fn edit_body(app: &TestApp, post: i64, body: &str) {
    let edit = format!("/p/{post}/edit");
    let saved = app
        .submit(&edit, &edit, &[("body", body), ("action", "post")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
}

#[tokio::test]
async fn a_posts_history_shows_each_change_word_by_word_and_a_facilitator_can_revert_it() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let orchards = app.create_domain("orchards", "public").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let thread = ana.start_thread("gardens", "Frost", "Intro").await;
    let post = ana.reply(thread, "Cover at two degrees.").await.post_id();
    edit_body(&ana, post, "Cover at four degrees.").await;
    edit_body(
        &ana,
        post,
        "Cover at four degrees. <script>alert(1)</script>",
    )
    .await;

    let history = app
        .other_browser()
        .get(&format!("/p/{post}/revisions"))
        .await;
    assert_eq!(history.status, StatusCode::OK);
    assert!(history.contains("Version 3 (current)") && history.contains("Version 1"));
    assert!(
        history.contains(
            "Cover at <del class=\"diff-removed\">two</del><ins class=\"diff-added\">four</ins> degrees."
        ),
        "{}",
        history.body
    );
    assert!(history.contains("Edited by <a href=\"/u/ana\">ana</a>"));
    // The diff is of the text as written, escaped like any other text.
    assert!(history.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!history.contains("<script>alert"));
    assert!(
        !history.contains("Revert to version"),
        "a visitor reverts nothing"
    );
    let revisions: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM post_revisions WHERE post_id = $1 ORDER BY id")
            .bind(post)
            .fetch_all(&app.db)
            .await
            .unwrap();
    let first = revisions[0].to_string();

    // Neither the author, nor another domain's facilitator, may revert; a visitor logs in first.
    assert!(!ana
        .get(&format!("/p/{post}/revisions"))
        .await
        .contains("Revert to version"));
    let revert = format!("/p/{post}/revert");
    let fields = [("revision", first.as_str()), ("version", "3")];
    assert_eq!(
        ana.act(&revert, &fields).await.status,
        StatusCode::FORBIDDEN
    );
    let olga = app.member_browser("olga", orchards, "facilitator").await;
    assert_eq!(
        olga.act(&revert, &fields).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(!app.other_browser().act(&revert, &fields).await.done());

    let tomas = app.member_browser("tomas", gardens, "facilitator").await;
    assert!(tomas
        .get(&format!("/p/{post}/revisions"))
        .await
        .contains("Revert to version 1"));
    // A revision of another post is not one of this post's versions.
    let elsewhere = ana.reply(thread, "Another post").await.post_id();
    edit_body(&ana, elsewhere, "Another post, edited").await;
    let foreign: i64 = app
        .count(&format!(
            "SELECT max(id) FROM post_revisions WHERE post_id = {elsewhere}"
        ))
        .await;
    let wrong = tomas
        .act(
            &revert,
            &[("revision", &foreign.to_string()), ("version", "3")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);

    let reverted = tomas.act(&revert, &fields).await;
    assert_eq!(
        reverted.location.as_deref(),
        Some(format!("/p/{post}/revisions").as_str())
    );
    let body: String = sqlx::query_scalar("SELECT body_md FROM posts WHERE id = $1")
        .bind(post)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(body, "Cover at two degrees.");
    let after = tomas.get(&format!("/p/{post}/revisions")).await;
    assert!(after.contains("The post is back to version 1"));
    assert!(after.contains("Version 4 (current)"));
    assert!(after.contains("Edited by <a href=\"/u/tomas\">tomas</a>"));
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'revert post'")
            .await,
        1
    );
    // The same form again names a version that is no longer current: nothing changes.
    let stale = tomas.act(&revert, &fields).await;
    assert!(stale.done());
    assert!(tomas
        .get(&format!("/p/{post}/revisions"))
        .await
        .contains("changed while you were reading its history"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM post_revisions WHERE post_id = {post}"
        ))
        .await,
        3
    );
}

/// A page reads the viewer's reactions and bookmarks over the range of its posts' ids, which
/// can hold another thread's posts: marks on those stay on their own thread's page.
#[tokio::test]
async fn marks_on_another_threads_posts_inside_a_pages_range_stay_on_their_thread() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.member("ana", domain, "member").await;
    let here = app.insert_thread(domain, ana, "Here", 1).await;
    let there = app.insert_thread(domain, ana, "There", 1).await;
    sqlx::query(
        "INSERT INTO posts (thread_id, author_id, body_md, body_html)
         VALUES ($1, $2, 'Later', '<p>Later</p>')",
    )
    .bind(here)
    .bind(ana)
    .execute(&app.db)
    .await
    .expect("a later reply");
    let (here_posts, there_posts) = (app.post_ids(here).await, app.post_ids(there).await);
    let inside = there_posts[1];
    assert!(
        here_posts[0] < inside && inside < here_posts[2],
        "{here_posts:?} {inside}"
    );
    let bea = app.member_browser("bea", domain, "member").await;
    assert!(bea.act(&format!("/p/{inside}/bookmark"), &[]).await.done());
    assert!(bea.react(inside, "helpful").await.done());

    let page = bea.get(&format!("/t/{here}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.contains("Remove bookmark"), "{}", page.body);
    assert!(!page.contains("aria-pressed=\"true\""), "{}", page.body);
    let there_page = bea.get(&format!("/t/{there}")).await;
    let theirs = there_page.post_markup(inside);
    assert!(theirs.contains("Remove bookmark"), "{theirs}");
    assert!(theirs.contains("class=\"reaction active\" aria-pressed=\"true\">Helpful"));
}

/// A thread page looks up the viewer's marks for all its posts at once: each mark lands on
/// the post it was made on, on a later page too, and only its maker sees it as theirs.
#[tokio::test]
async fn a_members_marks_land_on_their_own_posts_and_only_they_see_them() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.member("ana", domain, "member").await;
    let thread = app.insert_thread(domain, ana, "A long thread", 60).await;
    let posts = app.post_ids(thread).await;
    let bea = app.member_browser("bea", domain, "member").await;
    let (bookmarked, flagged, reacted) = (posts[1], posts[2], posts[54]);
    assert!(bea
        .act(&format!("/p/{bookmarked}/bookmark"), &[])
        .await
        .done());
    assert!(bea.flag(flagged, "spam").await.done());
    assert!(bea.react(reacted, "helpful").await.done());

    let first = bea.get(&format!("/t/{thread}")).await;
    let second = bea.get(&format!("/t/{thread}?from={}", posts[50])).await;
    assert!(first.post_markup(bookmarked).contains("Remove bookmark"));
    assert!(first.post_markup(flagged).contains("You flagged this post"));
    for post in [posts[0], posts[3], posts[49]] {
        let markup = first.post_markup(post);
        assert!(
            markup.contains(">Bookmark</button>"),
            "post {post}: {markup}"
        );
        assert!(!markup.contains("You flagged") && !markup.contains("aria-pressed=\"true\""));
    }
    let marked = second.post_markup(reacted);
    assert!(marked.contains("class=\"reaction active\" aria-pressed=\"true\">Helpful"));
    assert!(!second
        .post_markup(posts[53])
        .contains("aria-pressed=\"true\""));

    // Ana sees the count bea's reaction added, and none of bea's marks as her own.
    let theirs = app.get(&format!("/t/{thread}?from={}", posts[50])).await;
    let markup = theirs.post_markup(reacted);
    assert!(
        markup.contains("Helpful <span class=\"count\">1</span>"),
        "{markup}"
    );
    assert!(!markup.contains("aria-pressed=\"true\""));
    let first = app.get(&format!("/t/{thread}")).await;
    assert!(!first.contains("Remove bookmark") && !first.contains("You flagged"));
}
