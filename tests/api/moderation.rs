//! Facilitators keeping their domain healthy, and admins running the site.

use crate::helpers::{TestApp, PASSWORD};
use reqwest::StatusCode;

/// gardens with facilitator "fay" (logged in to `app`), members ana (author of a thread with one
/// reply by ana) and three flaggers.
async fn garden() -> (TestApp, i64, i64, i64) {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    app.add_member(domain, ana, "member").await;
    let thread = app.insert_thread(domain, ana, "Compost talk", 1).await;
    let post: i64 = sqlx::query_scalar("SELECT max(id) FROM posts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    app.member("fay", domain, "facilitator").await;
    (app, domain, thread, post)
}

/// An established member (an account a month old) of `domain` who flags `post` as spam.
async fn flagger(app: &TestApp, domain: i64, name: &str, post: i64) -> TestApp {
    let browser = app.other_browser();
    let id = browser.member(name, domain, "member").await;
    age_account(app, id, 30).await;
    let page = browser.flag(post, "spam").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    browser
}

async fn age_account(app: &TestApp, user: i64, days: i32) {
    sqlx::query("UPDATE users SET created_at = now() - $2 * interval '1 day' WHERE id = $1")
        .bind(user)
        .bind(days)
        .execute(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn flags_from_new_accounts_weigh_less_and_never_hide_a_facilitators_post() {
    let (app, domain, thread, post) = garden().await;
    // Three accounts made today: their flags reach the queue but hide nothing.
    for name in ["fresh1", "fresh2", "fresh3"] {
        let browser = app.other_browser();
        browser.member(name, domain, "member").await;
        assert_eq!(
            browser.flag(post, "spam").await.status,
            StatusCode::SEE_OTHER
        );
    }
    assert!(
        !hidden(&app, post).await,
        "three new accounts cannot hide a post"
    );
    assert!(app.get("/d/gardens/flags").await.contains("3 flags"));
    // Two established members on top make it enough (2 full flags + 3 thirds).
    flagger(&app, domain, "elder1", post).await;
    assert!(!hidden(&app, post).await);
    flagger(&app, domain, "elder2", post).await;
    assert!(hidden(&app, post).await);

    // The facilitator's own post stays up whoever flags it; the queue still lists it.
    let fay: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'fay'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let facilitators_post: i64 = sqlx::query_scalar(
        "INSERT INTO posts (thread_id, author_id, body_md, body_html) VALUES ($1, $2, 'Rules', '<p>Rules</p>') RETURNING id",
    )
    .bind(thread)
    .bind(fay)
    .fetch_one(&app.db)
    .await
    .unwrap();
    for name in ["elder3", "elder4", "elder5", "elder6"] {
        flagger(&app, domain, name, facilitators_post).await;
    }
    assert!(!hidden(&app, facilitators_post).await);
    assert!(app.get("/d/gardens/flags").await.contains("4 flags"));
}

async fn hidden(app: &TestApp, post: i64) -> bool {
    sqlx::query_scalar("SELECT hidden FROM posts WHERE id = $1")
        .bind(post)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn three_flags_hide_a_post_until_a_facilitator_agrees_and_flaggers_hear_of_it() {
    let (app, domain, thread, post) = garden().await;
    let first = flagger(&app, domain, "flagger1", post).await;
    // The flagger is told it was received, and is not offered the flag again.
    let thread_page = first.get(&format!("/t/{thread}")).await;
    assert!(thread_page.contains("You flagged this post; the facilitators will review it."));
    assert!(!thread_page.contains(&format!("action=\"/p/{post}/flag\"")));
    flagger(&app, domain, "flagger2", post).await;
    assert!(!hidden(&app, post).await, "two flags are not enough");
    // The same member flagging twice counts once.
    first.flag(post, "spam").await;
    assert!(!hidden(&app, post).await);
    flagger(&app, domain, "flagger3", post).await;
    assert!(hidden(&app, post).await, "three different members hide it");

    // The facilitator (fay, signed in as `app`) hears of the post once, however many flag it,
    // and the notification leads to the queue.
    let fay_notes = app.get("/notifications").await;
    assert!(
        fay_notes
            .contains("A post in “Compost talk” was flagged (spam); it waits in the flag queue"),
        "{}",
        fay_notes.body
    );
    assert_eq!(
        app.count("SELECT count(*) FROM notifications WHERE kind = 'flagged'")
            .await,
        1
    );
    let id = app
        .count("SELECT id FROM notifications WHERE kind = 'flagged'")
        .await;
    let opened = app.get(&format!("/notifications/{id}")).await;
    assert_eq!(opened.location.as_deref(), Some("/d/gardens/flags"));
    // Ana, whose post it is, is told it was hidden and why.
    let ana = app.other_browser();
    assert!(ana.login("ana", PASSWORD).await.done());
    assert!(ana.get("/notifications").await.contains(
        "Your post in “Compost talk” was hidden after several members flagged it; a facilitator will review it"
    ));

    let queue = app.get("/d/gardens/flags").await;
    assert!(queue.contains("3 flags: spam, spam, spam"));
    let agreed = app
        .submit("/d/gardens/flags", &format!("/p/{post}/flags/agree"), &[])
        .await;
    assert_eq!(agreed.location.as_deref(), Some("/d/gardens/flags"));
    assert!(hidden(&app, post).await);
    assert!(app.get("/d/gardens/flags").await.contains("No open flags"));
    assert!(first
        .get("/notifications")
        .await
        .contains("The facilitators agreed with your flag"));
    assert_eq!(
        app.count("SELECT count(*) FROM notifications WHERE kind = 'flag_outcome'")
            .await,
        3
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'agreed with flags'")
            .await,
        1
    );
}

#[tokio::test]
async fn disagreeing_clears_flags_and_undoes_an_automatic_hide() {
    let (app, domain, _, post) = garden().await;
    let first = flagger(&app, domain, "flagger1", post).await;
    flagger(&app, domain, "flagger2", post).await;
    flagger(&app, domain, "flagger3", post).await;
    assert!(hidden(&app, post).await);
    app.submit(
        "/d/gardens/flags",
        &format!("/p/{post}/flags/disagree"),
        &[],
    )
    .await;
    assert!(!hidden(&app, post).await);
    assert!(first
        .get("/notifications")
        .await
        .contains("left the post up"));
    let again = app
        .submit(
            "/d/gardens/flags",
            &format!("/p/{post}/flags/disagree"),
            &[],
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "no open flags left");
}

#[tokio::test]
async fn bad_flags_are_refused() {
    let (app, _, _, post) = garden().await;
    let ana = app.other_browser();
    ana.login("ana", PASSWORD).await;
    let own = ana.flag(post, "spam").await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    let odd = app
        .submit(
            &format!("/p/{post}/flag"),
            &format!("/p/{post}/flag"),
            &[("reason", "boring"), ("note", "Dull and long")],
        )
        .await;
    assert_eq!(odd.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(odd.contains("Choose why: spam, off-topic, inappropriate or other."));
    assert!(
        odd.contains(">Dull and long</textarea>"),
        "the note is kept"
    );
    let bare = app
        .submit(
            &format!("/p/{post}/flag"),
            &format!("/p/{post}/flag"),
            &[("reason", "other"), ("note", " ")],
        )
        .await;
    assert_eq!(
        bare.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "“other” needs a note"
    );
    assert!(bare.contains("id=\"note-error\""));
    assert!(
        bare.contains("value=\"other\" checked"),
        "the reason chosen is kept"
    );
    let long = "x".repeat(1001);
    let too_long = app
        .submit(
            &format!("/p/{post}/flag"),
            &format!("/p/{post}/flag"),
            &[("reason", "spam"), ("note", &long)],
        )
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_long.contains("at most 1000 characters") && too_long.contains(&long));
    assert_eq!(app.count("SELECT count(*) FROM flags").await, 0);
}

#[tokio::test]
async fn a_post_is_flagged_from_a_page_of_its_own() {
    let (app, domain, thread, post) = garden().await;
    let bea = app.other_browser();
    bea.member("bea", domain, "member").await;
    let page = bea.get(&format!("/t/{thread}")).await;
    assert!(
        page.post_markup(post)
            .contains(&format!("<a href=\"/p/{post}/flag\">Flag</a>")),
        "the thread links to the flag page"
    );
    assert!(
        !page.contains("name=\"note\""),
        "the thread page carries no flag form"
    );
    let asked = bea.get(&format!("/p/{post}/flag")).await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(asked.contains("<title>Flag a post · Compost talk"));
    assert!(asked.contains(&format!("href=\"/p/{post}\">← Compost talk</a>")));
    assert!(asked.contains("Off-topic</strong>: not about this thread or this domain"));
    let sent = bea
        .submit(
            &format!("/p/{post}/flag"),
            &format!("/p/{post}/flag"),
            &[("reason", "off-topic"), ("note", "Belongs in kitchens")],
        )
        .await;
    assert_eq!(sent.location, Some(format!("/p/{post}")));
    let note: String = sqlx::query_scalar("SELECT note FROM flags WHERE post_id = $1")
        .bind(post)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(note, "Belongs in kitchens");
    let again = bea.get(&format!("/p/{post}/flag")).await;
    assert!(again.contains("You flagged this post"));
    assert!(
        !again.contains("Flag post</button>"),
        "no second flag offered"
    );
    let thread_page = bea.get(&format!("/t/{thread}")).await;
    assert!(thread_page
        .post_markup(post)
        .contains("You flagged this post; the facilitators will review it."));
    // Nobody flags what they cannot read, or their own post.
    let ana = app.other_browser();
    ana.login("ana", PASSWORD).await;
    assert_eq!(
        ana.get(&format!("/p/{post}/flag")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bea.get("/p/999999/flag").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_hidden_post_tells_its_author_why() {
    let (app, _, thread, post) = garden().await;
    let page = app.get(&format!("/t/{thread}")).await;
    assert!(page
        .post_markup(post)
        .contains(&format!("<a href=\"/p/{post}/hide\">Hide</a>")));
    let asked = app.get(&format!("/p/{post}/hide")).await;
    assert!(asked.contains("<h1>Hide ana’s post?</h1>") && asked.contains("Keep it</a>"));
    let no_reason = app
        .submit(
            &format!("/p/{post}/hide"),
            &format!("/p/{post}/moderate"),
            &[("action", "hide"), ("reason", &"x".repeat(501))],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.contains("id=\"reason-error\"") && no_reason.contains(&"x".repeat(501)));
    assert!(
        !hidden(&app, post).await,
        "nothing is hidden without a reason"
    );
    let hide = app
        .submit(
            &format!("/t/{thread}"),
            &format!("/p/{post}/moderate"),
            &[("action", "hide"), ("reason", "Personal details")],
        )
        .await;
    assert_eq!(hide.status, StatusCode::SEE_OTHER);
    assert!(app
        .get(&format!("/p/{post}/hide"))
        .await
        .contains("This post is already hidden."));
    let page = app.get(&format!("/t/{thread}")).await;
    let markup = page.post_markup(post);
    assert!(markup.contains("Restore this post") && !markup.contains(&format!("/p/{post}/hide")));
    let ana = app.other_browser();
    ana.login("ana", PASSWORD).await;
    assert!(ana
        .get(&format!("/t/{thread}"))
        .await
        .contains("Hidden by a facilitator: Personal details"));
    app.submit(
        &format!("/t/{thread}"),
        &format!("/p/{post}/moderate"),
        &[("action", "restore")],
    )
    .await;
    assert!(!hidden(&app, post).await);
    let log = app.get("/d/gardens/log").await;
    assert!(
        log.contains("hide post")
            && log.contains("Personal details")
            && log.contains("restore post")
    );
}

#[tokio::test]
async fn a_thread_moves_only_to_another_domain_its_facilitator_tends() {
    let (app, _, thread, post) = garden().await;
    let orchards = app.create_domain("orchards", "public").await;
    app.create_domain("kitchens", "public").await;
    let refused = app
        .submit(
            &format!("/t/{thread}"),
            &format!("/t/{thread}/move"),
            &[("domain", "kitchens")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let fay: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'fay'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    app.add_member(orchards, fay, "facilitator").await;
    // Ana is a member where her thread starts and a facilitator where it goes: her post's badge
    // is her role in the thread's domain of the moment.
    let ana: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'ana'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    app.add_member(orchards, ana, "facilitator").await;
    let badge = "<span class=\"tag role\">facilitator</span>";
    let before = app.get(&format!("/t/{thread}")).await;
    assert!(!before.post_markup(post).contains(badge));
    let moved = app
        .submit(
            &format!("/t/{thread}"),
            &format!("/t/{thread}/move"),
            &[("domain", "orchards")],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    let counts: Vec<(String, i32)> =
        sqlx::query_as("SELECT slug, thread_count FROM domains ORDER BY slug")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        counts,
        vec![
            ("gardens".into(), 0),
            ("kitchens".into(), 0),
            ("orchards".into(), 1)
        ],
        "counters follow the thread"
    );
    let after = app.get(&format!("/t/{thread}")).await;
    assert!(after.post_markup(post).contains(badge));
}

#[tokio::test]
async fn a_banned_member_reads_but_cannot_post_until_the_ban_is_lifted() {
    let (app, _, thread, _) = garden().await;
    let ana = app.other_browser();
    ana.login("ana", PASSWORD).await;
    let banned = app
        .submit(
            "/d/gardens/members",
            "/d/gardens/members/ana/ban",
            &[("days", "forever"), ("reason", "Spam links")],
        )
        .await;
    assert_eq!(banned.status, StatusCode::SEE_OTHER);
    assert_eq!(
        ana.get(&format!("/t/{thread}")).await.status,
        StatusCode::OK,
        "still reads a public domain"
    );
    assert!(ana
        .get(&format!("/t/{thread}"))
        .await
        .contains("You are banned from posting in this domain."));
    let reply = ana.reply(thread, "Let me back").await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let leave = ana.submit("/d/gardens", "/d/gardens/leave", &[]).await;
    assert_eq!(
        leave.status,
        StatusCode::FORBIDDEN,
        "leaving does not wipe out a ban"
    );
    assert!(app
        .get("/d/gardens/members")
        .await
        .contains("Banned for good: Spam links"));
    app.submit("/d/gardens/members", "/d/gardens/members/ana/unban", &[])
        .await;
    assert_eq!(
        ana.reply(thread, "Thank you").await.status,
        StatusCode::SEE_OTHER
    );
    let bad = app
        .submit(
            "/d/gardens/members",
            "/d/gardens/members/ana/ban",
            &[("days", "-3")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn facilitators_cannot_ban_admins_themselves_or_each_other() {
    let (app, domain, _, _) = garden().await;
    let root = app.create_user("root").await;
    sqlx::query("UPDATE users SET site_role = 'admin' WHERE id = $1")
        .bind(root)
        .execute(&app.db)
        .await
        .unwrap();
    app.add_member(domain, root, "member").await;
    let co = app.create_user("cofac").await;
    app.add_member(domain, co, "facilitator").await;
    for (target, why) in [
        ("root", "a site admin"),
        ("fay", "yourself"),
        ("cofac", "each other"),
    ] {
        let page = app
            .submit(
                "/d/gardens/members",
                &format!("/d/gardens/members/{target}/ban"),
                &[("days", "7")],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{target}");
        assert!(page.body.contains(why), "{target}: {}", page.body);
    }
    assert_eq!(
        app.count("SELECT count(*) FROM memberships WHERE banned_until IS NOT NULL")
            .await,
        0
    );
    let unknown = app
        .submit(
            "/d/gardens/members",
            "/d/gardens/members/nobody/ban",
            &[("days", "7")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn removing_a_member_takes_them_out_of_the_domain() {
    let (app, _, _, _) = garden().await;
    let page = app
        .submit("/d/gardens/members", "/d/gardens/members/ana/remove", &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = 'ana'").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'remove member'")
            .await,
        1
    );
}

#[tokio::test]
async fn suspending_an_account_ends_its_sessions_at_once() {
    let (app, _, _, _) = garden().await;
    let ana = app.other_browser();
    ana.login("ana", PASSWORD).await;
    assert_eq!(ana.signed_in_as().await.as_deref(), Some("ana"));
    let admin = app.admin_browser().await;
    let page = admin
        .submit(
            "/admin/users/ana",
            "/admin/users/ana/suspend",
            &[("days", "30"), ("reason", "Harassment")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(ana.signed_in_as().await, None, "the open session is over");
    assert_eq!(
        ana.login("ana", PASSWORD).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert!(admin
        .get("/admin/users/ana")
        .await
        .contains("suspended until"));
    let own = admin
        .submit(
            "/admin/users/root",
            "/admin/users/root/suspend",
            &[("days", "7")],
        )
        .await;
    assert_eq!(
        own.status,
        StatusCode::FORBIDDEN,
        "an admin cannot suspend themself"
    );
    admin
        .submit("/admin/users/ana", "/admin/users/ana/unsuspend", &[])
        .await;
    assert_eq!(
        ana.login("ana", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let log = admin.get("/admin/log?action=suspend+account").await;
    assert!(log.contains("<td>suspend account</td>") && log.contains("Harassment"));
    assert!(
        !log.contains("<td>lift suspension</td>"),
        "filtered by action"
    );
}

/// Pages read what they show a member while the member's account is checked; once it is
/// suspended, the session's next page is a visitor's: no private domain, no draft reply.
#[tokio::test]
async fn a_suspended_members_open_session_gets_a_visitors_pages() {
    let (app, _, thread, _) = garden().await;
    let ana = app
        .count("SELECT id FROM users WHERE username = 'ana'")
        .await;
    let cellar = app.create_domain("cellar", "private").await;
    app.add_member(cellar, ana, "member").await;
    let secret = app.insert_thread(cellar, ana, "Cellar secrets", 0).await;
    sqlx::query("INSERT INTO drafts (user_id, thread_id, body) VALUES ($1, $2, 'Half-written')")
        .bind(ana)
        .bind(thread)
        .execute(&app.db)
        .await
        .unwrap();
    let public = format!("/t/{thread}");
    let private = format!("/t/{secret}");
    // One session a page: a session ends at its first page after the suspension.
    let mut sessions = Vec::new();
    for (path, shows) in [
        (&public, "Half-written"),
        (&"/d/cellar".to_string(), "Cellar secrets"),
        (&private, "Cellar secrets"),
    ] {
        let browser = app.other_browser();
        browser.login("ana", PASSWORD).await;
        assert!(browser.get(path).await.contains(shows), "{path} before");
        sessions.push(browser);
    }
    let reply = || async {
        sqlx::query(
            "INSERT INTO posts (thread_id, author_id, body_md, body_html)
             SELECT $1, id, 'More', '<p>More</p>' FROM users WHERE username = 'fay'",
        )
        .bind(thread)
        .execute(&app.db)
        .await
        .unwrap();
    };
    reply().await;
    let unread = "New since you last read";
    assert!(sessions[0].get(&public).await.contains(unread));
    reply().await;
    sqlx::query("UPDATE users SET suspended_until = now() + interval '30 days' WHERE id = $1")
        .bind(ana)
        .execute(&app.db)
        .await
        .unwrap();
    let page = sessions[0].get(&public).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.contains("Half-written"), "{}", page.body);
    assert!(!page.contains(unread), "{}", page.body);
    assert!(page.contains("Log in"));
    assert_eq!(
        sessions[1].get("/d/cellar").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        sessions[2].get(&private).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once() {
    let (app, _, _, _) = garden().await;
    let admin = app.admin_browser().await;
    let reset_link = || async {
        let page = admin
            .submit("/admin/users/ana", "/admin/users/ana/reset-link", &[])
            .await;
        let start = page.body.find("/reset/").expect("the link is shown");
        let token: String = page.body[start + 7..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect();
        format!("/reset/{token}")
    };
    let older = reset_link().await;
    let path = reset_link().await;
    assert_eq!(
        app.other_browser().get(&older).await.status,
        StatusCode::NOT_FOUND,
        "a new link replaces the older one"
    );
    let signed_in_elsewhere = app.other_browser();
    signed_in_elsewhere.login("ana", PASSWORD).await;
    assert_eq!(
        signed_in_elsewhere.signed_in_as().await.as_deref(),
        Some("ana")
    );
    let member = app.other_browser();
    let short = member.submit(&path, &path, &[("password", "short")]).await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let set = member
        .submit(&path, &path, &[("password", "a brand new password")])
        .await;
    assert_eq!(set.location.as_deref(), Some("/login"));
    assert_eq!(
        signed_in_elsewhere.signed_in_as().await,
        None,
        "a reset signs the account out everywhere"
    );
    assert_eq!(
        member.login("ana", "a brand new password").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.other_browser().get(&path).await.status,
        StatusCode::NOT_FOUND,
        "used once"
    );
    assert_eq!(app.get("/reset/0000").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn archiving_a_domain_asks_first_hides_it_and_can_be_undone() {
    let (app, _, thread, _) = garden().await;
    let admin = app.admin_browser().await;
    // The domain page links to a confirmation; nothing there archives in one click.
    let domain_page = admin.get("/admin/domains/gardens").await;
    assert!(domain_page.contains("href=\"/admin/domains/gardens/archive\""));
    assert!(!domain_page.contains("action=\"/admin/domains/gardens/archive\""));
    let ask = admin.get("/admin/domains/gardens/archive").await;
    assert_eq!(ask.status, StatusCode::OK);
    assert!(ask.contains("<h1>Archive Gardens?</h1>"));
    assert!(ask.contains("1 thread,"), "{}", ask.body);
    assert!(ask.contains("href=\"/admin/domains/gardens\">Cancel</a>"));
    assert_eq!(app.get("/d/gardens").await.status, StatusCode::OK);

    let archived = admin
        .submit(
            "/admin/domains/gardens/archive",
            "/admin/domains/gardens/archive",
            &[],
        )
        .await;
    assert_eq!(archived.location.as_deref(), Some("/admin"));
    assert_eq!(app.get("/d/gardens").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/t/{thread}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!app.get("/d").await.contains("Gardens"));
    let dashboard = admin.get("/admin").await;
    assert!(dashboard.contains("Gardens is archived."));
    assert!(dashboard.contains("Archived domains") && dashboard.contains("Restore Gardens"));
    // An archived domain has no confirmation page of its own; restoring one that is not
    // archived finds nothing.
    assert_eq!(
        admin.get("/admin/domains/gardens/archive").await.status,
        StatusCode::NOT_FOUND
    );

    let restored = admin
        .submit("/admin", "/admin/domains/gardens/restore", &[])
        .await;
    assert_eq!(restored.location.as_deref(), Some("/admin/domains/gardens"));
    assert!(admin
        .get("/admin/domains/gardens")
        .await
        .contains("Gardens is restored."));
    assert_eq!(
        app.get(&format!("/t/{thread}")).await.status,
        StatusCode::OK
    );
    assert!(app.get("/d").await.contains("Gardens"));
    assert!(admin.get("/admin/log").await.contains("restore domain"));
    let again = admin
        .post(
            "/admin/domains/gardens/restore",
            &[("csrf", &admin.get("/admin").await.csrf())],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

/// Uploads a community file as the seed form does: the CSRF token is a field of the multipart
/// body, before the file.
async fn upload(admin: &TestApp, name: &str, bytes: Vec<u8>) -> crate::helpers::Page {
    let token = admin.get("/admin/seed").await.csrf();
    let form = reqwest::multipart::Form::new().text("csrf", token).part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    let request = reqwest::Client::new()
        .post(admin.url("/admin/seed"))
        .header("cookie", admin.session_cookie().unwrap())
        .multipart(form);
    admin.send(request).await
}

#[tokio::test]
async fn a_csrf_token_in_the_query_string_is_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin_browser().await;
    let token = admin.get("/admin/seed").await.csrf();
    let multipart = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(commonplace::admin::seed::DEMO.as_bytes().to_vec())
            .file_name("demo.toml"),
    );
    let upload = reqwest::Client::new()
        .post(admin.url(&format!("/admin/seed?csrf={token}")))
        .header("cookie", admin.session_cookie().unwrap())
        .multipart(multipart);
    assert_eq!(admin.send(upload).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT count(*) FROM domains").await, 0);

    // Nor for an ordinary form.
    let form = admin
        .post(
            &format!("/admin/domains/new?csrf={token}"),
            &[("name", "Bees"), ("slug", "bees")],
        )
        .await;
    assert_eq!(form.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT count(*) FROM domains").await, 0);
}

#[tokio::test]
async fn admins_seed_a_community_by_upload_idempotently() {
    let app = TestApp::spawn().await;
    let admin = app.admin_browser().await;
    let first = upload(
        &admin,
        "demo.toml",
        commonplace::admin::seed::DEMO.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first.contains("demo.toml: added 15 users"),
        "{}",
        first.body
    );
    let domains = app.count("SELECT count(*) FROM domains").await;
    let second = upload(
        &admin,
        "demo.toml",
        commonplace::admin::seed::DEMO.as_bytes().to_vec(),
    )
    .await;
    assert!(second.contains("nothing changed"));
    assert_eq!(app.count("SELECT count(*) FROM domains").await, domains);

    // One of a kind is said in the singular, and what there is none of is not listed.
    let one = "[[domains]]\nslug = \"orchards\"\nname = \"Orchards\"\ncharter = \"Fruit trees.\"\n";
    let third = upload(&admin, "one.toml", one.as_bytes().to_vec()).await;
    assert!(
        third.contains("one.toml: added 1 domain."),
        "{}",
        third.body
    );
}

#[tokio::test]
async fn bad_uploads_load_nothing_and_say_why() {
    let app = TestApp::spawn().await;
    let admin = app.admin_browser().await;
    let duplicate = "[[domains]]\nslug = \"a\"\nname = \"A\"\ncharter = \"x\"\n\n[[domains]]\nslug = \"a\"\nname = \"B\"\ncharter = \"y\"\n";
    let page = upload(&admin, "dup.toml", duplicate.as_bytes().to_vec()).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("dup.toml:7: slug: `a` is used by two domains. Nothing was loaded."),
        "{}",
        page.body
    );
    let latin1 = upload(
        &admin,
        "latin1.toml",
        vec![b'n', b'a', b'm', b'e', b'=', 0xE9, b'\n'],
    )
    .await;
    assert_eq!(latin1.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(latin1.contains("not UTF-8 text"));
    let large = upload(&admin, "large.toml", vec![b'#'; 1536 * 1024]).await;
    assert_eq!(large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(large.contains("larger than 1 MB"));
    // Past what any form with files may send (16 MB), the request is refused before the token
    // is even checked.
    let huge = upload(&admin, "huge.toml", vec![b'#'; 20 * 1024 * 1024]).await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(huge.contains("larger than this site accepts"));
    assert_eq!(app.count("SELECT count(*) FROM domains").await, 0);
}
