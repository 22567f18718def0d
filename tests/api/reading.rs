//! Unread and new (issue 15, point 1): what each member has read, counted on every list,
//! opened at the first unread post, and dismissed.

use reqwest::StatusCode;

use crate::helpers::{Page, TestApp};

/// The list row of a thread: from its title link to the end of its `<li>`.
fn row<'a>(page: &'a Page, title: &str) -> &'a str {
    let Some(at) = page.body.find(&format!(">{title}</a>")) else {
        return "";
    };
    let end = page.body[at..]
        .find("</li>")
        .map_or(page.body.len(), |e| at + e);
    &page.body[at..end]
}

#[tokio::test]
async fn unread_counts_are_right_for_each_member_after_several_post() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let bea = app.member_browser("bea", gardens, "member").await;
    let cal = app.member_browser("cal", gardens, "member").await;

    let thread = ana
        .start_thread("gardens", "Frost cloth", "When do you cover?")
        .await;
    // Bea opens it; Cal has not yet.
    bea.get(&format!("/t/{thread}")).await;
    let cals_new = cal.get("/?view=new").await;
    assert!(
        row(&cals_new, "Frost cloth").contains("tag new"),
        "a thread Cal never opened is new to him: {}",
        cals_new.body
    );
    assert!(cals_new.contains("New <span class=\"count\">(1)</span>"));
    assert!(!bea.get("/?view=new").await.contains("Frost cloth"));

    let first_reply = bea.reply(thread, "Below two degrees.").await.post_id();
    cal.reply(thread, "I never cover.").await;
    cal.reply(thread, "Well, once.").await;

    // Four posts: Ana read the first, Bea the first two, Cal all of them.
    let anas_home = ana.get("/").await;
    assert!(
        row(&anas_home, "Frost cloth").contains("3 new"),
        "{}",
        row(&anas_home, "Frost cloth")
    );
    let beas_domain = bea.get("/d/gardens").await;
    assert!(row(&beas_domain, "Frost cloth").contains("2 new"));
    let cals_unread = cal.get("/?view=unread").await;
    assert!(!cals_unread.contains("Frost cloth"));
    assert!(cals_unread.contains("Nothing unread"));

    let anas_unread = ana.get("/?view=unread").await;
    assert!(row(&anas_unread, "Frost cloth").contains("3 new"));
    assert!(anas_unread.contains("Unread <span class=\"count\">(1)</span>"));
    // The list links to the first unread post, which opens on its page.
    assert!(anas_unread.contains(&format!("href=\"/t/{thread}/unread\">Frost cloth</a>")));
    let jump = ana.get(&format!("/t/{thread}/unread")).await;
    assert_eq!(jump.status, StatusCode::SEE_OTHER);
    assert_eq!(jump.location, Some(format!("/p/{first_reply}")));
    let page = ana.get(&format!("/t/{thread}")).await;
    let marked = page.post_markup(first_reply);
    assert!(
        marked.contains("New since you last read"),
        "the first unread post is marked: {marked}"
    );
    // That view read the rest.
    let anas_home = ana.get("/").await;
    assert!(!row(&anas_home, "Frost cloth").contains(" new"));
    assert!(ana.get("/?view=unread").await.contains("Nothing unread"));
    let again = ana.get(&format!("/t/{thread}")).await;
    assert!(!again.contains("New since you last read"));
    let to_start = ana.get(&format!("/t/{thread}/unread")).await;
    assert_eq!(to_start.location, Some(format!("/t/{thread}")));

    // Dismissing reads everything in the view, and says how much.
    let dismissed = bea.act("/dismiss", &[("view", "unread")]).await;
    assert!(dismissed.done(), "{}", dismissed.body);
    assert_eq!(dismissed.location.as_deref(), Some("/?view=unread"));
    let after = bea.get("/?view=unread").await;
    assert!(after.contains("1 thread marked as read."), "{}", after.body);
    assert!(after.contains("Nothing unread"));
    assert!(!row(&bea.get("/d/gardens").await, "Frost cloth").contains(" new"));
    // One row per member and thread, never one per post.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM thread_reads WHERE thread_id = {thread}"
        ))
        .await,
        3
    );
}

#[tokio::test]
async fn threads_are_new_since_the_last_visit_until_opened_or_dismissed() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let cal = app.other_browser();
    let cal_id = cal.member("cal", gardens, "member").await;
    let before_visit = app
        .insert_thread(gardens, ana, "Before the last visit", 0)
        .await;
    let since_visit = app
        .insert_thread(gardens, ana, "Since the last visit", 0)
        .await;
    // Cal was last here three hours ago; one thread was started before that, one after.
    sqlx::query(
        "UPDATE member_presence SET seen_at = now() - interval '3 hours', previous_visit_at = NULL
          WHERE user_id = $1",
    )
    .bind(cal_id)
    .execute(&app.db)
    .await
    .unwrap();
    for (thread, age) in [(before_visit, "4 hours"), (since_visit, "2 hours")] {
        sqlx::query(&format!(
            "UPDATE threads SET created_at = now() - interval '{age}',
                                last_posted_at = now() - interval '{age}' WHERE id = $1"
        ))
        .bind(thread)
        .execute(&app.db)
        .await
        .unwrap();
    }
    // Coming back starts a new visit.
    let domain = cal.get("/d/gardens?view=new").await;
    assert!(domain.contains("Since the last visit"), "{}", domain.body);
    assert!(!domain.contains("Before the last visit"));
    let latest = cal.get("/d/gardens").await;
    assert!(row(&latest, "Since the last visit").contains("tag new"));
    assert!(!row(&latest, "Before the last visit").contains("tag new"));

    // Dismissing a domain's new threads reads them; they are not unread either.
    let dismissed = cal
        .act("/dismiss", &[("view", "new"), ("domain", "gardens")])
        .await;
    assert_eq!(dismissed.location.as_deref(), Some("/d/gardens?view=new"));
    let after = cal.get("/d/gardens?view=new").await;
    assert!(after.contains("1 thread marked as read."));
    assert!(after.contains("No new threads here since your last visit."));
    assert!(!cal
        .get("/?view=unread")
        .await
        .contains("Since the last visit"));
    // A thread Cal starts himself is never new to him.
    let own = cal.start_thread("gardens", "My own", "Mine").await;
    assert!(!cal.get("/?view=new").await.contains("My own"));
    assert!(
        !row(&cal.get("/").await, "My own").contains("new"),
        "thread {own}"
    );
}

#[tokio::test]
async fn unread_never_shows_what_a_member_can_no_longer_read() {
    let app = TestApp::spawn().await;
    let circle = app.create_domain("circle", "private").await;
    let ana = app.member_browser("ana", circle, "facilitator").await;
    let bea = app.other_browser();
    let bea_id = bea.member("bea", circle, "member").await;
    let thread = ana.start_thread("circle", "Inner matters", "Private").await;
    bea.get(&format!("/t/{thread}")).await;
    ana.reply(thread, "More private words").await;
    assert!(bea.get("/?view=unread").await.contains("Inner matters"));
    sqlx::query("DELETE FROM memberships WHERE user_id = $1")
        .bind(bea_id)
        .execute(&app.db)
        .await
        .unwrap();
    let unread = bea.get("/?view=unread").await;
    assert!(!unread.contains("Inner matters"), "{}", unread.body);
    assert!(!unread.contains("Unread <span class=\"count\">"));
    // Nor does the jump link say anything about it.
    assert_eq!(
        bea.get(&format!("/t/{thread}/unread")).await.status,
        StatusCode::NOT_FOUND
    );
    // And dismissing there is refused as for any domain she cannot read.
    let refused = bea
        .act("/dismiss", &[("view", "unread"), ("domain", "circle")])
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_reading_requests_get_clear_answers() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let bea = app.member_browser("bea", gardens, "member").await;
    for path in [
        "/?view=bogus",
        "/d/gardens?view=bogus",
        "/?view=unread&before=nonsense",
    ] {
        let page = bea.get(path).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{path}");
        assert!(page.contains("damaged"), "{path}: {}", page.body);
    }
    assert_eq!(
        bea.get("/t/999999/unread").await.status,
        StatusCode::NOT_FOUND
    );
    let bogus = bea.act("/dismiss", &[("view", "everything")]).await;
    assert!(bogus.status.is_client_error(), "{}", bogus.status);
    let unknown = bea
        .act("/dismiss", &[("view", "new"), ("domain", "nowhere")])
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    // A visitor has no reading: the tabs are not offered and "dismiss" asks them to log in.
    let visitor = app.other_browser();
    let home = visitor.get("/?view=unread").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(!home.contains("view-tabs"));
    let domain = visitor.get("/d/gardens?view=new").await;
    assert_eq!(domain.status, StatusCode::OK);
    assert!(domain.contains("Latest threads"));
    let dismiss = visitor.act("/dismiss", &[("view", "new")]).await;
    assert!(!dismiss.done());
}

/// The furthest post a member has read in a thread, as the server keeps it.
async fn read_number(app: &TestApp, username: &str, thread: i64) -> Option<i32> {
    sqlx::query_scalar(
        "SELECT r.last_read_number FROM thread_reads r JOIN users u ON u.id = r.user_id
          WHERE u.username = $1 AND r.thread_id = $2",
    )
    .bind(username)
    .bind(thread)
    .fetch_optional(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_browser_that_reports_scrolling_reads_only_the_posts_scrolled_past() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let circle = app.create_domain("circle", "private").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(gardens, ana, "Long one", 29).await;
    let other = app.insert_thread(gardens, ana, "Other", 2).await;
    let private = app.insert_thread(circle, ana, "Private", 2).await;
    let posts = app.post_ids(thread).await;
    let bea = app.member_browser("bea", gardens, "member").await;
    // The script's cookie: opening the page reads nothing by itself.
    bea.set_cookie("commonplace_reads=scroll");
    let page = bea.get(&format!("/t/{thread}")).await;
    assert!(page.contains(&format!("content=\"/t/{thread}/read\"")));
    assert_eq!(read_number(&app, "bea", thread).await, None);

    let csrf = page.csrf();
    let report = |post: i64| {
        let post = post.to_string();
        let csrf = csrf.clone();
        let bea = &bea;
        async move {
            bea.post(
                &format!("/t/{thread}/read"),
                &[("csrf", &csrf), ("post", &post)],
            )
            .await
        }
    };
    assert_eq!(report(posts[9]).await.status, StatusCode::NO_CONTENT);
    assert_eq!(read_number(&app, "bea", thread).await, Some(10));
    let home = bea.get("/d/gardens").await;
    assert!(
        row(&home, "Long one").contains("20 new"),
        "{}",
        row(&home, "Long one")
    );
    // An earlier post reported later (another tab) does not move the mark back.
    report(posts[3]).await;
    assert_eq!(read_number(&app, "bea", thread).await, Some(10));
    // A post of another thread, one that does not exist, or a thread she cannot read: 404.
    let elsewhere: i64 = app
        .count(&format!(
            "SELECT max(id) FROM posts WHERE thread_id = {other}"
        ))
        .await;
    assert_eq!(report(elsewhere).await.status, StatusCode::NOT_FOUND);
    assert_eq!(report(999_999_999).await.status, StatusCode::NOT_FOUND);
    let hidden_post: i64 = app
        .count(&format!(
            "SELECT max(id) FROM posts WHERE thread_id = {private}"
        ))
        .await;
    let refused = bea
        .post(
            &format!("/t/{private}/read"),
            &[("csrf", &csrf), ("post", &hidden_post.to_string())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    assert_eq!(read_number(&app, "bea", private).await, None);
    let garbled = bea
        .post(
            &format!("/t/{thread}/read"),
            &[("csrf", &csrf), ("post", "lots")],
        )
        .await;
    assert!(garbled.status.is_client_error(), "{}", garbled.status);
    // Without the token nothing is written.
    let forged = bea
        .post(
            &format!("/t/{thread}/read"),
            &[("post", &posts[29].to_string())],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(read_number(&app, "bea", thread).await, Some(10));
    // Without the cookie (no script), the page view reads what it shows.
    let cal = app.member_browser("cal", gardens, "member").await;
    cal.get(&format!("/t/{thread}")).await;
    assert_eq!(read_number(&app, "cal", thread).await, Some(30));
}

/// The Unread tab looks only at the read marks flagged as behind (issue 10). A reply that
/// commits while a member's page view marks the thread read to what it showed must still be
/// unread to them: the mark waits for the reply, then sees it.
#[tokio::test]
async fn a_reply_written_while_a_member_reads_stays_unread() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(gardens, ana, "Seed swap", 0).await;
    let bea = app.member_browser("bea", gardens, "member").await;
    bea.get(&format!("/t/{thread}")).await;
    let reply = "INSERT INTO posts (thread_id, author_id, body_md, body_html)
                 VALUES ($1, $2, 'Tomatoes?', '<p>Tomatoes?</p>')";
    let write_reply = || sqlx::query(reply).bind(thread).bind(ana);
    write_reply().execute(&app.db).await.unwrap();
    assert!(row(&bea.get("/?view=unread").await, "Seed swap").contains("1 new"));

    // A third post is written, not yet committed, as Bea opens the thread's two posts.
    let mut replying = app.db.begin().await.expect("a transaction");
    write_reply().execute(&mut *replying).await.unwrap();
    let reading = tokio::spawn({
        let bea = bea.same_browser();
        async move { bea.get(&format!("/t/{thread}")).await }
    });
    app.lock_waits_of(&reading).await;
    replying.commit().await.expect("commit the reply");
    let page = reading.await.expect("the page view");
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(read_number(&app, "bea", thread).await, Some(2));

    let unread = bea.get("/?view=unread").await;
    assert!(
        row(&unread, "Seed swap").contains("1 new"),
        "the third post is unread: {}",
        unread.body
    );
    assert!(unread.contains("Unread <span class=\"count\">(1)</span>"));
    let domain = bea.get("/d/gardens?view=unread").await;
    assert!(domain.contains("Unread <span class=\"count\">(1)</span>"));
    // Reading it clears the tab, and the next reply brings the thread back.
    bea.get(&format!("/t/{thread}")).await;
    assert!(bea.get("/?view=unread").await.contains("Nothing unread"));
    write_reply().execute(&app.db).await.unwrap();
    assert!(row(&bea.get("/?view=unread").await, "Seed swap").contains("1 new"));

    // So with "dismiss": a reply written as it runs stays unread, and opens at its post.
    let mut replying = app.db.begin().await.expect("a transaction");
    let late: i64 = sqlx::query_scalar(&format!("{reply} RETURNING id"))
        .bind(thread)
        .bind(ana)
        .fetch_one(&mut *replying)
        .await
        .unwrap();
    let dismissing = tokio::spawn({
        let bea = bea.same_browser();
        async move { bea.act("/dismiss", &[("view", "unread")]).await }
    });
    app.lock_waits_of(&dismissing).await;
    replying.commit().await.expect("commit the reply");
    assert!(dismissing.await.expect("the dismissal").done());
    let unread = bea.get("/?view=unread").await;
    assert!(
        row(&unread, "Seed swap").contains("1 new"),
        "the fifth post is unread: {}",
        unread.body
    );
    let jump = bea.get(&format!("/t/{thread}/unread")).await;
    assert_eq!(jump.location, Some(format!("/p/{late}")));
}
