//! Support: accepted answers, the unanswered queue, expertise, mentions and notifications,
//! following and bookmarks.

use crate::helpers::{TestApp, PASSWORD};
use reqwest::StatusCode;

/// A question by ana in "gardens" with a reply by bea; returns (app, domain, thread, reply).
async fn question() -> (TestApp, i64, i64, i64) {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let bea = app.create_user("bea").await;
    app.add_member(domain, ana, "member").await;
    app.add_member(domain, bea, "member").await;
    let thread = app
        .insert_thread(domain, ana, "Why is my compost cold?", 0)
        .await;
    sqlx::query("UPDATE threads SET kind = 'question' WHERE id = $1")
        .bind(thread)
        .execute(&app.db)
        .await
        .unwrap();
    let reply: i64 = sqlx::query_scalar(
        "INSERT INTO posts (thread_id, author_id, body_md, body_html) VALUES ($1, $2, 'Turn it', '<p>Turn it</p>') RETURNING id",
    )
    .bind(thread)
    .bind(bea)
    .fetch_one(&app.db)
    .await
    .unwrap();
    (app, domain, thread, reply)
}

async fn accepted(app: &TestApp, thread: i64) -> Option<i64> {
    sqlx::query_scalar("SELECT accepted_post_id FROM threads WHERE id = $1")
        .bind(thread)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_asker_accepts_an_answer_and_the_thread_shows_solved() {
    let (app, _, thread, reply) = question().await;
    app.login("ana", PASSWORD).await;
    let page = app.accept(thread, reply).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(accepted(&app, thread).await, Some(reply));
    let thread_page = app.get(&format!("/t/{thread}")).await;
    assert!(thread_page.contains(&format!(
        "<a href=\"/p/{reply}\">The accepted answer, by bea</a>"
    )));
    assert!(thread_page.contains("✓ Accepted answer"));
    assert!(
        app.get("/d/gardens")
            .await
            .contains("<span class=\"tag solved\">✓ solved</span>"),
        "lists show solved"
    );

    let bea = app.other_browser();
    bea.login("bea", PASSWORD).await;
    let notes = bea.get("/notifications").await;
    assert!(notes.contains("ana accepted your answer in “Why is my compost cold?”"));
    assert_eq!(
        app.count("SELECT count(*) FROM notifications WHERE kind = 'accepted'")
            .await,
        1
    );

    // Cleared, the question is open again.
    app.submit(
        &format!("/t/{thread}"),
        &format!("/t/{thread}/unaccept"),
        &[],
    )
    .await;
    assert_eq!(accepted(&app, thread).await, None);
}

#[tokio::test]
async fn a_facilitator_may_accept_but_another_member_may_not() {
    let (app, domain, thread, reply) = question().await;
    let other = app.member_browser("cal", domain, "member").await;
    let refused = other.accept(thread, reply).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(accepted(&app, thread).await, None);
    assert!(!other
        .get(&format!("/t/{thread}"))
        .await
        .contains("Accept as answer"));

    let facilitator = app.member_browser("fay", domain, "facilitator").await;
    let page = facilitator.accept(thread, reply).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(accepted(&app, thread).await, Some(reply));
}

#[tokio::test]
async fn an_answer_from_another_thread_or_the_question_itself_is_refused() {
    let (app, domain, thread, _) = question().await;
    let ana: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'ana'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let other_thread = app.insert_thread(domain, ana, "Elsewhere", 1).await;
    let foreign: i64 = sqlx::query_scalar("SELECT max(id) FROM posts WHERE thread_id = $1")
        .bind(other_thread)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let opening: i64 = sqlx::query_scalar("SELECT min(id) FROM posts WHERE thread_id = $1")
        .bind(thread)
        .fetch_one(&app.db)
        .await
        .unwrap();
    app.login("ana", PASSWORD).await;
    for post in [
        foreign.to_string(),
        opening.to_string(),
        "abc".to_string(),
        "999999".to_string(),
    ] {
        let page = app
            .submit(
                &format!("/t/{thread}"),
                &format!("/t/{thread}/accept"),
                &[("post", &post)],
            )
            .await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{post}");
    }
    assert_eq!(accepted(&app, thread).await, None);
    // A discussion has no accepted answer at all.
    let page = app
        .submit(
            &format!("/t/{other_thread}"),
            &format!("/t/{other_thread}/accept"),
            &[("post", &foreign.to_string())],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_unanswered_queue_puts_unreplied_questions_first_oldest_first_and_leaves_out_locked_ones(
) {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let mut ids = Vec::new();
    for (title, replies, days_ago) in [
        ("Replied old", 1, 9),
        ("Unreplied new", 0, 1),
        ("Unreplied old", 0, 5),
        ("Solved one", 1, 7),
        ("Locked old", 0, 8),
    ] {
        let id = app.insert_thread(domain, ana, title, replies).await;
        sqlx::query("UPDATE threads SET kind = 'question', created_at = now() - make_interval(days => $2) WHERE id = $1")
            .bind(id)
            .bind(days_ago)
            .execute(&app.db)
            .await
            .unwrap();
        ids.push(id);
    }
    sqlx::query("UPDATE threads SET accepted_post_id = (SELECT max(id) FROM posts WHERE thread_id = $1) WHERE id = $1")
        .bind(ids[3])
        .execute(&app.db)
        .await
        .unwrap();
    // Nobody can answer a locked question.
    sqlx::query("UPDATE threads SET locked = true WHERE id = $1")
        .bind(ids[4])
        .execute(&app.db)
        .await
        .unwrap();
    app.insert_thread(domain, ana, "A discussion", 0).await;
    let page = app.get("/d/gardens/unanswered").await;
    let position = |title: &str| page.body.find(title);
    assert!(position("Unreplied old").unwrap() < position("Unreplied new").unwrap());
    assert!(position("Unreplied new").unwrap() < position("Replied old").unwrap());
    assert!(position("Solved one").is_none() && position("A discussion").is_none());
    assert!(position("Locked old").is_none());
    assert_eq!(
        app.get("/d/gardens/unanswered?after=junk").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn members_list_expertise_and_are_found_with_their_contributions() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.member("ana", domain, "member").await;
    let saved = app
        .submit(
            "/me/profile",
            "/me/profile",
            &[
                ("display_name", "Ana Ruiz"),
                ("bio", "Grower"),
                ("expertise", " Composting , soil, composting"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    app.insert_thread(domain, ana, "Composting in winter", 0)
        .await;
    app.insert_thread(domain, ana, "Unrelated topic", 0).await;
    let shed = app.insert_thread(domain, ana, "Tool shed", 0).await;
    app.answer(shed, "Old pallets make good composting bays.")
        .await;
    // What she wrote and then deleted says nothing about what she knows.
    let bench = app.insert_thread(domain, ana, "Potting bench", 0).await;
    let deleted = app.answer(bench, "Line it for composting.").await;
    sqlx::query("UPDATE posts SET deleted_at = now() WHERE id = $1")
        .bind(deleted)
        .execute(&app.db)
        .await
        .unwrap();
    let found = app
        .other_browser()
        .get("/members?expertise=composting")
        .await;
    assert!(found.contains("Ana Ruiz"));
    assert!(
        found.contains("Composting in winter") && !found.contains("Unrelated topic"),
        "recent contributions in that area"
    );
    assert!(
        found.contains("Tool shed"),
        "a thread where what she wrote is on the topic: {}",
        found.body
    );
    assert!(
        !found.contains("Potting bench"),
        "not a thread where only a deleted post of hers was"
    );
    assert!(app
        .get("/members?expertise=knitting")
        .await
        .contains("Nobody lists “knitting”"));
    let profile = app.get("/u/ana").await;
    assert!(profile.contains(">composting</a>") && profile.contains(">soil</a>"));
    let directory = app.get("/members").await;
    assert!(directory.contains(">composting (1)</a>") && directory.contains(">soil (1)</a>"));
    let saved = app
        .submit(
            "/me/profile",
            "/me/profile",
            &[
                ("display_name", "Ana Ruiz"),
                ("bio", "Grower"),
                ("expertise", "soil"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let directory = app.get("/members").await;
    assert!(
        !directory.contains(">composting (") && directory.contains(">soil (1)</a>"),
        "an area nobody lists any more leaves the directory"
    );
}

#[tokio::test]
async fn bad_profile_input_is_refused_with_the_text_kept() {
    let app = TestApp::spawn().await;
    app.create_user("ana").await;
    app.login("ana", PASSWORD).await;
    let long = "x".repeat(81);
    let page = app
        .submit(
            "/me/profile",
            "/me/profile",
            &[
                ("display_name", &long),
                ("bio", "My bio"),
                ("expertise", "a"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"display_name-error\"") && page.contains("My bio</textarea>"));
}

#[tokio::test]
async fn the_question_form_suggests_members_with_matching_expertise() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let bea = app.create_user("bea").await;
    app.add_member(domain, bea, "member").await;
    sqlx::query("UPDATE users SET expertise = '{composting}' WHERE id = $1")
        .bind(bea)
        .execute(&app.db)
        .await
        .unwrap();
    app.member("ana", domain, "member").await;
    let page = app
        .submit(
            "/d/gardens/new",
            "/d/gardens/new",
            &[
                ("title", "Help with composting"),
                ("kind", "question"),
                ("body", "It is cold"),
                ("action", "preview"),
            ],
        )
        .await;
    assert!(page.contains("People here who know about this"));
    assert!(page.contains("<a href=\"/u/bea\">bea</a> (composting)"));
}

#[tokio::test]
async fn mentions_link_and_notify_but_unknown_names_stay_text() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.create_user("bea").await;
    app.member("ana", domain, "member").await;
    let thread = app
        .start_thread("gardens", "Hello", "Ask @Bea, @ana or @nobody-here")
        .await;
    let page = app.get(&format!("/t/{thread}")).await;
    assert!(page.contains("<a href=\"/u/bea\" rel=\"nofollow ugc noopener\">@bea</a>"));
    assert!(page.contains("@nobody-here") && !page.contains("/u/nobody-here"));
    let notes: Vec<(String, String)> = sqlx::query_as(
        "SELECT u.username, n.kind FROM notifications n JOIN users u ON u.id = n.user_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        notes,
        vec![("bea".to_string(), "mention".to_string())],
        "no notification to the author herself"
    );

    let bea = app.other_browser();
    bea.login("bea", PASSWORD).await;
    let home = bea.get("/").await;
    assert!(
        home.contains(
            "<span class=\"badge\">1<span class=\"visually-hidden\"> unread</span></span>"
        ),
        "the unread count is in the header, and a screen reader says what it counts \
         (the Nu checker refuses an aria-label on a span)"
    );
    let list = bea.get("/notifications").await;
    assert!(list.contains("ana mentioned you in “Hello”"));
    let id: i64 = sqlx::query_scalar("SELECT id FROM notifications")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let opened = bea.get(&format!("/notifications/{id}")).await;
    assert!(opened.location.unwrap().starts_with("/p/"));
    assert_eq!(
        app.count("SELECT count(*) FROM notifications WHERE read_at IS NULL")
            .await,
        0
    );
    assert!(!bea.get("/").await.contains("> unread</span>"));
}

#[tokio::test]
async fn nobody_is_told_of_a_post_they_cannot_read() {
    let app = TestApp::spawn().await;
    let circle = app.create_domain("circle", "private").await;
    app.create_user("bea").await;
    let cal = app.create_user("cal").await;
    app.add_member(circle, cal, "member").await;
    app.member("ana", circle, "member").await;
    app.start_thread("circle", "Secret", "Hi @bea and @cal")
        .await;
    // Cal belongs to the private domain and hears of the mention; Bea does not.
    let told: Vec<String> = sqlx::query_scalar(
        "SELECT u.username FROM notifications n JOIN users u ON u.id = n.user_id ORDER BY 1",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(told, ["cal"]);
}

#[tokio::test]
async fn replies_notify_the_author_and_watchers_but_never_the_replier() {
    let (app, domain, thread, _) = question().await;
    let cal = app.member_browser("cal", domain, "member").await;
    assert!(cal
        .get(&format!("/t/{thread}"))
        .await
        .contains("<option value=\"tracking\" selected>"));
    cal.submit(
        &format!("/t/{thread}"),
        &format!("/t/{thread}/watch"),
        &[("level", "watching")],
    )
    .await;
    assert!(cal
        .get(&format!("/t/{thread}"))
        .await
        .contains("<option value=\"watching\" selected>"));
    let bea = app.other_browser();
    bea.login("bea", PASSWORD).await;
    bea.reply(thread, "Add greens").await;
    let recipients: Vec<String> = sqlx::query_scalar(
        "SELECT u.username FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.kind = 'reply' ORDER BY u.username",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(recipients, vec!["ana", "cal"]);
    // Back to tracking, they stop.
    cal.submit(
        &format!("/t/{thread}"),
        &format!("/t/{thread}/watch"),
        &[("level", "tracking")],
    )
    .await;
    bea.reply(thread, "And water").await;
    assert_eq!(app.count("SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'cal'").await, 1);
    // Marking all read clears the count.
    app.login("ana", PASSWORD).await;
    app.submit("/notifications", "/notifications/read", &[])
        .await;
    assert_eq!(app.count("SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'ana' AND read_at IS NULL").await, 0);
}

#[tokio::test]
async fn members_bookmark_posts_and_find_them_again() {
    let (app, _, thread, reply) = question().await;
    app.login("ana", PASSWORD).await;
    let path = format!("/p/{reply}/bookmark");
    let page = app.submit(&format!("/t/{thread}"), &path, &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let list = app.get("/me/bookmarks").await;
    assert!(list.contains("Why is my compost cold?") && list.contains("Turn it"));
    assert!(app
        .get(&format!("/t/{thread}"))
        .await
        .contains("Remove bookmark"));
    app.submit(&format!("/t/{thread}"), &path, &[]).await;
    assert!(app.get("/me/bookmarks").await.contains("No bookmarks yet"));
    assert_eq!(app.get("/me/bookmarks").await.status, StatusCode::OK);
    let other = app.other_browser();
    assert_eq!(
        other.get("/me/bookmarks").await.status,
        StatusCode::SEE_OTHER,
        "visitors log in first"
    );
}

#[tokio::test]
async fn a_bookmark_reminder_arrives_as_a_notification_once_it_falls_due() {
    use commonplace::support::reminders::send_due;
    use time::{Duration, OffsetDateTime};

    let (app, domain, thread, reply) = question().await;
    app.login("ana", PASSWORD).await;
    let reminder = format!("/p/{reply}/reminder");
    let form = app.get(&reminder).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.contains("Setting a reminder also bookmarks the post."));

    // Problems come back named next to their field, the choice kept; nothing is saved.
    for (when, at, field, problem) in [
        ("at", "", "at", "Give the date and time"),
        ("at", "next tuesday", "at", "like 2026-12-01T08:00"),
        ("at", "2020-01-01T08:00", "at", "That time has passed"),
        ("soonish", "", "when", "Choose when to be reminded."),
    ] {
        let refused = app
            .submit(&reminder, &reminder, &[("when", when), ("at", at)])
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{when} {at}"
        );
        assert!(
            refused.contains(&format!("id=\"{field}-error\"")),
            "{}",
            refused.body
        );
        assert!(refused.contains(problem), "{problem}: {}", refused.body);
        if !at.is_empty() {
            assert!(
                refused.contains(&format!("value=\"{at}\"")),
                "the time typed is kept"
            );
        }
    }
    assert_eq!(app.count("SELECT count(*) FROM bookmarks").await, 0);

    let set = app
        .submit(&reminder, &reminder, &[("when", "tomorrow"), ("at", "")])
        .await;
    assert_eq!(set.location.as_deref(), Some("/me/bookmarks"));
    let list = app.get("/me/bookmarks").await;
    assert!(list.contains("You will be reminded on"), "{}", list.body);
    assert!(list.contains("reminder on <time") && list.contains("Change the reminder"));
    assert!(app.get(&reminder).await.contains("A reminder is set for"));

    // Not due yet: nothing. A day later: one notification, once, to the post.
    let now = OffsetDateTime::now_utc();
    assert_eq!(send_due(&app.db, now).await.unwrap(), 0);
    let tomorrow = now + Duration::days(1) + Duration::minutes(1);
    assert_eq!(send_due(&app.db, tomorrow).await.unwrap(), 1);
    assert_eq!(send_due(&app.db, tomorrow).await.unwrap(), 0, "sent once");
    let notifications = app.get("/notifications").await;
    assert!(
        notifications.contains("Reminder: the post you bookmarked in “Why is my compost cold?”"),
        "{}",
        notifications.body
    );
    assert!(app.get("/").await.contains("> unread</span>"));
    // The bookmark stays, without its reminder.
    let list = app.get("/me/bookmarks").await;
    assert!(list.contains("Turn it") && list.contains("Remind me…"));

    // A reminder on a post the member can no longer read is cleared without a word.
    app.submit(&reminder, &reminder, &[("when", "two-hours"), ("at", "")])
        .await;
    sqlx::query("UPDATE domains SET visibility = 'private' WHERE id = $1")
        .bind(domain)
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("DELETE FROM memberships WHERE domain_id = $1")
        .bind(domain)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        send_due(&app.db, now + Duration::hours(3)).await.unwrap(),
        0
    );
    assert_eq!(
        app.count("SELECT count(*) FROM bookmarks WHERE remind_at IS NOT NULL")
            .await,
        0
    );
    assert_eq!(app.get(&reminder).await.status, StatusCode::NOT_FOUND);
    let _ = thread;
}

#[tokio::test]
async fn admins_hear_of_mentions_in_private_domains_unless_suspended() {
    let app = TestApp::spawn().await;
    let circle = app.create_domain("circle", "private").await;
    for (name, suspended) in [("root", false), ("gone", true)] {
        let id = app.create_user(name).await;
        sqlx::query(
            "UPDATE users SET site_role = 'admin',
                    suspended_until = CASE WHEN $2 THEN now() + interval '1 day' END WHERE id = $1",
        )
        .bind(id)
        .bind(suspended)
        .execute(&app.db)
        .await
        .unwrap();
    }
    app.member("ana", circle, "member").await;
    app.start_thread("circle", "Secret", "Hi @root and @gone")
        .await;
    let told: Vec<String> = sqlx::query_scalar(
        "SELECT u.username FROM notifications n JOIN users u ON u.id = n.user_id ORDER BY 1",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(told, ["root"]);
}

#[tokio::test]
async fn a_notification_stops_naming_a_thread_its_reader_can_no_longer_see() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let private = app.create_domain("council", "private").await;
    app.create_user("bea").await;
    app.member("ana", domain, "member").await;
    let thread = app
        .start_thread("gardens", "Budget for the plot", "Over to you, @bea")
        .await;
    let bea = app.other_browser();
    bea.login("bea", PASSWORD).await;
    assert!(bea
        .get("/notifications")
        .await
        .contains("ana mentioned you in “Budget for the plot”"));
    sqlx::query("UPDATE threads SET domain_id = $2, title = 'Secret budget' WHERE id = $1")
        .bind(thread)
        .bind(private)
        .execute(&app.db)
        .await
        .unwrap();
    let list = bea.get("/notifications").await;
    assert!(
        list.contains("ana mentioned you in “a thread”"),
        "{}",
        list.body
    );
    assert!(!list.contains("Secret budget") && !list.contains("Budget for the plot"));
}

#[tokio::test]
async fn the_expertise_directory_comes_in_pages() {
    let app = TestApp::spawn().await;
    for i in 0..31 {
        let id = app.create_user(&format!("grower{i:02}")).await;
        sqlx::query("UPDATE users SET expertise = '{soil}' WHERE id = $1")
            .bind(id)
            .execute(&app.db)
            .await
            .unwrap();
    }
    let first = app.get("/members?expertise=soil").await;
    assert_eq!(first.body.matches("class=\"domain-card\"").count(), 30);
    assert!(first.contains(">soil (31)</a>"));
    let next = first.body.split("rel=\"next\" href=\"").nth(1).unwrap();
    let next = next[..next.find('"').unwrap()].replace("&#38;", "&");
    let second = app.get(&next).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.body.matches("class=\"domain-card\"").count(), 1);
    assert!(second.contains("@grower30") && !second.contains("rel=\"next\""));
    assert!(second.contains(">First page</a>"));
    let past_the_end = app.get("/members?expertise=soil&after=0:grower30").await;
    assert!(past_the_end.contains("No more members know"));
    let not_ours = app.get("/members?expertise=soil&after=grower30").await;
    assert_eq!(not_ours.status, StatusCode::BAD_REQUEST);
}

/// The members on every page of the directory for `topic`, as `reader` sees it, in order.
async fn directory_pages(reader: &TestApp, topic: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut path = format!("/members?expertise={topic}");
    loop {
        let page = reader.get(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        let names = page
            .body
            .split("class=\"domain-card\"")
            .skip(1)
            .map(|card| {
                let name = card.split('@').nth(1).unwrap_or_default();
                name[..name.find('<').unwrap_or(0)].to_string()
            })
            .collect();
        pages.push(names);
        match page.body.split("rel=\"next\" href=\"").nth(1) {
            Some(rest) => path = rest[..rest.find('"').unwrap()].replace("&#38;", "&"),
            None => return pages,
        }
    }
}

#[tokio::test]
async fn private_evidence_moves_a_member_up_the_directory_without_showing_them_twice() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let circle = app.create_domain("circle", "private").await;
    let insider = app.member_browser("ivy", circle, "member").await;
    let list = |id: i64| {
        sqlx::query("UPDATE users SET expertise = '{soil}' WHERE id = $1")
            .bind(id)
            .execute(&app.db)
    };
    // Three pages of members who list the topic, with nothing else to show for it.
    let growers: Vec<String> = (0..61).map(|i| format!("grower{i:02}")).collect();
    for name in &growers {
        list(app.create_user(name).await).await.unwrap();
    }
    // Yan curated an entry in each domain. Grower30x lists the topic too, and curated one in
    // the circle: visitors find her on the second page, the circle's members on the first.
    let yan = app.create_user("yan").await;
    let lifted = app.create_user("grower30x").await;
    list(lifted).await.unwrap();
    for (domain, curator, title) in [
        (gardens, yan, "Soil tests"),
        (circle, yan, "Soil budget"),
        (circle, lifted, "Soil plans"),
    ] {
        sqlx::query(
            "INSERT INTO repertoire_entries (domain_id, kind, title, tags, curated_by)
             VALUES ($1, 'how-to', $2, '{soil}', $3)",
        )
        .bind(domain)
        .bind(title)
        .bind(curator)
        .execute(&app.db)
        .await
        .unwrap();
    }

    let for_visitor = directory_pages(&app.other_browser(), "soil").await;
    let mut expected = vec!["yan".to_string()];
    expected.extend(growers.iter().cloned());
    expected.insert(32, "grower30x".into());
    assert_eq!(
        for_visitor.concat(),
        expected,
        "public evidence first, then by name"
    );
    assert_eq!(
        for_visitor.iter().map(Vec::len).collect::<Vec<_>>(),
        [30, 30, 3]
    );

    let for_insider = directory_pages(&insider, "soil").await;
    let mut expected = vec!["yan".to_string(), "grower30x".to_string()];
    expected.extend(growers.iter().cloned());
    assert_eq!(
        for_insider.concat(),
        expected,
        "the circle's entry lifts her onto the first page, and no page repeats or loses anyone"
    );
    assert_eq!(
        for_insider.iter().map(Vec::len).collect::<Vec<_>>(),
        [30, 30, 3]
    );
    let first = insider.get("/members?expertise=soil").await;
    assert!(
        first.contains("2 repertoire entries curated"),
        "Yan's evidence counts both domains: {}",
        first.body
    );
}

#[tokio::test]
async fn evidence_written_at_the_same_moment_in_two_domains_is_all_counted() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let orchard = app.create_domain("orchard", "public").await;
    let bea = app.create_user("bea").await;
    let curate = move |domain: i64| {
        format!(
            "INSERT INTO repertoire_entries (domain_id, kind, title, tags, curated_by)
             VALUES ({domain}, 'how-to', 'Soil in {domain}', '{{soil}}', {bea})"
        )
    };
    // Two curators' saves overlap: the second is written while the first is not yet committed.
    let mut first = app.db.begin().await.unwrap();
    sqlx::query(&curate(gardens))
        .execute(&mut *first)
        .await
        .unwrap();
    let (db, in_orchard) = (app.db.clone(), curate(orchard));
    let second = tokio::spawn(async move {
        let mut tx = db.begin().await?;
        sqlx::query(&in_orchard).execute(&mut *tx).await?;
        tx.commit().await
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    first.commit().await.unwrap();
    second.await.unwrap().unwrap();

    assert_evidence_matches_rows(&app, "two entries curated at once").await;
    let directory = app.get("/members?expertise=soil").await;
    assert!(
        directory.contains("@bea<") && directory.contains("2 repertoire entries curated"),
        "{}",
        directory.body
    );
}

#[tokio::test]
async fn who_knows_a_topic_is_ranked_by_evidence_in_the_domains_the_reader_may_read() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let council = app.create_domain("council", "private").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let bea = app.member_browser("bea", gardens, "member").await;
    let cal = app.member_browser("cal", gardens, "member").await;
    let dan = app.member_browser("dan", gardens, "member").await;
    let eve = app.member_browser("eve", council, "member").await;
    let id_of = |name: &str| format!("SELECT id FROM users WHERE username = '{name}'");
    let (ana_id, cal_id) = (
        app.count(&id_of("ana")).await,
        app.count(&id_of("cal")).await,
    );
    app.add_member(council, ana_id, "member").await;
    sqlx::query("UPDATE users SET expertise = '{compost}' WHERE id = $1")
        .bind(ana_id)
        .execute(&app.db)
        .await
        .unwrap();

    // In Gardens: Bea's answer is accepted; Cal's reply is found helpful, and an entry he
    // curated worked for Dan.
    let thread = dan
        .ask_tagged("gardens", "Cold heap", "compost", "Why?")
        .await;
    let answer = bea.answer(thread, "Turn it.").await;
    let helpful = cal.answer(thread, "Add greens.").await;
    assert!(dan.accept(thread, answer).await.done());
    assert!(dan.react(helpful, "helpful").await.done());
    let entry: i64 = sqlx::query_scalar(
        "INSERT INTO repertoire_entries (domain_id, kind, title, tags, curated_by)
         VALUES ($1, 'how-to', 'Hot composting', '{compost}', $2) RETURNING id",
    )
    .bind(gardens)
    .bind(cal_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(dan.report(entry, "worked").await.done());
    // In the private Council: Ana's answer is accepted.
    let secret = eve
        .ask_tagged("council", "Budget compost", "compost", "?")
        .await;
    let hers = ana.answer(secret, "Buy in bulk.").await;
    assert!(eve.accept(secret, hers).await.done());

    let order = |page: &crate::helpers::Page, names: &[&str]| {
        let at: Vec<usize> = names
            .iter()
            .map(|n| {
                page.body
                    .find(&format!("@{n}<"))
                    .unwrap_or_else(|| panic!("{n} listed: {}", page.body))
            })
            .collect();
        at.windows(2).all(|w| w[0] < w[1])
    };
    let for_dan = dan.get("/members?expertise=compost").await;
    assert!(order(&for_dan, &["cal", "bea", "ana"]), "{}", for_dan.body);
    assert!(for_dan.contains(
        "1 post found helpful · 1 repertoire entry curated · 1 report that their entry worked"
    ));
    assert!(for_dan.contains("1 accepted answer"));
    assert!(
        !for_dan.contains("Budget compost"),
        "nothing from the private domain"
    );
    let for_eve = eve.get("/members?expertise=compost").await;
    assert!(order(&for_eve, &["cal", "ana", "bea"]), "{}", for_eve.body);

    // The profile lists the evidence beside what she states, as far as the reader may read.
    let ana_for_dan = dan.get("/u/ana").await;
    assert!(!ana_for_dan.contains("1 accepted answer"));
    let ana_for_eve = eve.get("/u/ana").await;
    assert!(
        ana_for_eve.contains("1 accepted answer") && ana_for_eve.contains("(listed)"),
        "{}",
        ana_for_eve.body
    );

    // A new question that names the topic suggests the same people, in the same order.
    let path = "/d/gardens/new";
    let preview = dan
        .submit(
            path,
            path,
            &[
                ("title", "Compost smells"),
                ("kind", "question"),
                ("body", "My compost smells."),
                ("action", "preview"),
            ],
        )
        .await;
    let at = |n: &str| {
        preview
            .body
            .find(&format!("/u/{n}\""))
            .unwrap_or_else(|| panic!("{n} suggested: {}", preview.body))
    };
    assert!(at("cal") < at("bea") && at("bea") < at("ana"));
}

/// Every topic's kept evidence equals a direct count from the rows, as the directory used to
/// count it on every request: accepted answers and helpful reactions from others on visible
/// posts of visible tagged threads, entries curated and their "worked" reports.
async fn assert_evidence_matches_rows(app: &TestApp, after: &str) {
    let mismatches: Vec<(String, i64, i64)> = sqlx::query_as(
        "WITH acts AS (
             SELECT tag, t.domain_id, p.author_id AS user_id, 1 AS accepted, 0 AS helpful,
                    0 AS curated, 0 AS worked
               FROM threads t, unnest(t.tags) tag, posts p
              WHERE p.id = t.accepted_post_id AND NOT t.hidden AND p.deleted_at IS NULL AND NOT p.hidden
             UNION ALL
             SELECT tag, t.domain_id, p.author_id, 0, 1, 0, 0
               FROM threads t, unnest(t.tags) tag, posts p, reactions r
              WHERE p.thread_id = t.id AND r.post_id = p.id AND r.kind = 'helpful'
                AND r.user_id <> p.author_id AND NOT t.hidden AND p.deleted_at IS NULL AND NOT p.hidden
             UNION ALL
             SELECT tag, e.domain_id, e.curated_by, 0, 0, 1, e.worked_count
               FROM repertoire_entries e, unnest(e.tags) tag WHERE e.curated_by IS NOT NULL
         ),
         direct AS (
             SELECT tag, domain_id, user_id, sum(accepted) AS accepted, sum(helpful) AS helpful,
                    sum(curated) AS curated, sum(worked) AS worked
               FROM acts GROUP BY 1, 2, 3
         )
         SELECT coalesce(d.tag, e.tag), coalesce(d.domain_id, e.domain_id),
                coalesce(d.user_id, e.user_id)
           FROM direct d FULL JOIN topic_evidence e
             ON e.tag = d.tag AND e.domain_id = d.domain_id AND e.user_id = d.user_id
          WHERE (d.accepted, d.helpful, d.curated, d.worked)
                IS DISTINCT FROM (e.accepted::numeric, e.helpful::numeric, e.curated::numeric, e.worked::numeric)",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(
        mismatches.is_empty(),
        "after {after}: evidence of {mismatches:?} differs"
    );
    // The directory's ranking: evidence in the domains every visitor may read, and listings.
    let standing_mismatches: Vec<(String, i64)> = sqlx::query_as(
        "WITH direct AS (
             SELECT tag, user_id, sum(accepted) AS accepted, sum(helpful) AS helpful,
                    sum(curated) AS curated, sum(worked) AS worked, false AS listed
               FROM topic_evidence e JOIN domains d ON d.id = e.domain_id
              WHERE d.visibility = 'public' AND d.archived_at IS NULL
              GROUP BY 1, 2
             UNION ALL
             SELECT tag, id, 0, 0, 0, 0, true FROM users, unnest(expertise) tag
         ),
         expected AS (
             SELECT tag, user_id, sum(accepted) AS accepted, sum(helpful) AS helpful,
                    sum(curated) AS curated, sum(worked) AS worked, bool_or(listed) AS listed
               FROM direct GROUP BY 1, 2
         )
         SELECT coalesce(x.tag, s.tag), coalesce(x.user_id, s.user_id)
           FROM expected x FULL JOIN topic_standing s ON s.tag = x.tag AND s.user_id = x.user_id
          WHERE (x.accepted, x.helpful, x.curated, x.worked, x.listed)
                IS DISTINCT FROM (s.accepted::numeric, s.helpful::numeric, s.curated::numeric,
                                  s.worked::numeric, s.listed)",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(
        standing_mismatches.is_empty(),
        "after {after}: the directory's standing of {standing_mismatches:?} differs"
    );
}

#[tokio::test]
async fn evidence_of_expertise_follows_every_change_to_what_it_counts() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let circle = app.create_domain("circle", "private").await;
    let ana = app.other_browser();
    let ana_id = ana.member("ana", gardens, "facilitator").await;
    let bea = app.other_browser();
    let bea_id = bea.member("bea", gardens, "member").await;
    app.add_member(circle, ana_id, "facilitator").await;
    let thread = ana
        .ask_tagged("gardens", "Cold heap", "compost", "Why?")
        .await;
    let answer = bea.answer(thread, "Turn it.").await;
    let other = bea.answer(thread, "Add greens.").await;
    assert!(ana.react(answer, "helpful").await.done());
    assert!(ana.react(other, "helpful").await.done());
    assert!(ana.react(other, "thanks").await.done());
    assert!(ana.accept(thread, answer).await.done());
    assert_evidence_matches_rows(&app, "reacting and accepting").await;
    let bea_page = app.get("/u/bea").await;
    assert!(
        bea_page.contains("1 accepted answer · 2 posts found helpful"),
        "{}",
        bea_page.body
    );

    let tags = format!("/t/{thread}/tags");
    assert!(ana.act(&tags, &[("tags", "compost, soil")]).await.done());
    assert!(ana.react(other, "helpful").await.done(), "taken back");
    assert!(ana.accept(thread, other).await.done());
    assert_evidence_matches_rows(&app, "retagging, unreacting, accepting another").await;
    let directory = app.get("/members?expertise=soil").await;
    assert!(
        directory.contains("@bea<")
            && directory.contains("1 accepted answer · 1 post found helpful"),
        "{}",
        directory.body
    );

    app.hide_post(answer).await;
    app.delete_post(other).await;
    assert_evidence_matches_rows(&app, "hiding and deleting").await;
    assert!(!app.get("/members?expertise=soil").await.contains("@bea<"));
    sqlx::query("UPDATE posts SET deleted_at = NULL, hidden = false WHERE thread_id = $1")
        .bind(thread)
        .execute(&app.db)
        .await
        .unwrap();
    assert_evidence_matches_rows(&app, "restoring").await;

    let moved = ana
        .act(&format!("/t/{thread}/move"), &[("domain", "circle")])
        .await;
    assert!(moved.done(), "{}", moved.body);
    assert_evidence_matches_rows(&app, "moving to a private domain").await;
    assert!(
        !app.get("/members?expertise=soil").await.contains("@bea<"),
        "a visitor does not count what is in the private domain"
    );
    assert!(ana.get("/members?expertise=soil").await.contains("@bea<"));

    // The admins open the domain to visitors, archive it, restore it and close it again.
    let root = app.admin_browser().await;
    let visitor_sees_bea = || async { app.get("/members?expertise=soil").await.contains("@bea<") };
    let edit = "/admin/domains/circle/edit";
    let opened = root
        .act(edit, &[("name", "Circle"), ("visibility", "public")])
        .await;
    assert!(opened.done(), "{}", opened.body);
    assert_evidence_matches_rows(&app, "opening the domain").await;
    assert!(
        visitor_sees_bea().await,
        "counted once the domain is public"
    );
    assert!(root.act("/admin/domains/circle/archive", &[]).await.done());
    assert_evidence_matches_rows(&app, "archiving the domain").await;
    assert!(
        !visitor_sees_bea().await,
        "an archived domain counts for nobody"
    );
    assert!(root.act("/admin/domains/circle/restore", &[]).await.done());
    assert_evidence_matches_rows(&app, "restoring the domain").await;
    assert!(visitor_sees_bea().await);
    let closed = root
        .act(edit, &[("name", "Circle"), ("visibility", "private")])
        .await;
    assert!(closed.done(), "{}", closed.body);
    assert_evidence_matches_rows(&app, "closing the domain again").await;
    assert!(!visitor_sees_bea().await);

    let hidden = ana
        .act(
            &format!("/t/{thread}/moderate"),
            &[("action", "hide"), ("reason", "Off topic")],
        )
        .await;
    assert!(hidden.done());
    assert_evidence_matches_rows(&app, "hiding the thread").await;

    let entry: i64 = sqlx::query_scalar(
        "INSERT INTO repertoire_entries (domain_id, kind, title, tags, curated_by)
         VALUES ($1, 'how-to', 'Hot composting', '{compost}', $2) RETURNING id",
    )
    .bind(gardens)
    .bind(bea_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(ana.report(entry, "worked").await.done());
    assert_evidence_matches_rows(&app, "curating and a report").await;
    sqlx::query("UPDATE repertoire_entries SET tags = '{soil}', curated_by = $2 WHERE id = $1")
        .bind(entry)
        .bind(ana_id)
        .execute(&app.db)
        .await
        .unwrap();
    assert_evidence_matches_rows(&app, "retagging an entry and changing its curator").await;
    sqlx::query("DELETE FROM repertoire_entries WHERE id = $1")
        .bind(entry)
        .execute(&app.db)
        .await
        .unwrap();
    assert_evidence_matches_rows(&app, "deleting the entry").await;
    assert_eq!(
        app.count("SELECT count(*) FROM topic_evidence").await,
        0,
        "nothing left counted: the thread is hidden and the entry gone"
    );
}
