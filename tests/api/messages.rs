//! Private conversations (issue 15, point 6): only their participants read them.

use reqwest::StatusCode;

use crate::helpers::{all_at_once, Page, TestApp};

/// Starts a conversation through the form; returns the answer.
async fn write(app: &TestApp, to: &str, title: &str, body: &str) -> Page {
    app.submit(
        "/messages/new",
        "/messages/new",
        &[("to", to), ("title", title), ("body", body)],
    )
    .await
}

fn conversation_of(answer: &Page) -> String {
    answer
        .location
        .clone()
        .filter(|l| l.starts_with("/messages/"))
        .unwrap_or_else(|| {
            panic!(
                "a conversation was started: {} {}",
                answer.status, answer.body
            )
        })
}

#[tokio::test]
async fn a_conversation_is_read_by_its_participants_and_nobody_else() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let bea = app.member_browser("bea", gardens, "member").await;
    let cal = app.member_browser("cal", gardens, "member").await;
    assert!(ana
        .get("/")
        .await
        .contains("<a href=\"/messages\">Messages</a>"));

    let started = write(&ana, "@Bea", "Seed swap", "Shall we swap zymurgical seeds?").await;
    let path = conversation_of(&started);
    let page = ana.get(&path).await;
    assert!(page.contains("<h1>Seed swap</h1>") && page.contains("zymurgical"));
    assert!(
        page.contains("between <a href=\"/u/ana\">ana</a> and <a href=\"/u/bea\">bea</a>."),
        "{}",
        page.body
    );

    // The third member: not in her list, not at its address, not in search, no reply.
    assert!(!cal.get("/messages").await.contains("Seed swap"));
    assert_eq!(cal.get(&path).await.status, StatusCode::NOT_FOUND);
    let reply = format!("{path}/reply");
    assert_eq!(
        cal.act(&reply, &[("body", "Me too")]).await.status,
        StatusCode::NOT_FOUND
    );
    for searcher in [&cal, &ana] {
        let found = searcher.get("/search?q=zymurgical").await;
        assert!(!found.contains("Shall we swap") && !found.contains("Seed swap"));
    }
    assert_eq!(
        app.other_browser().get(&path).await.status,
        StatusCode::SEE_OTHER
    );

    // Bea is told, sees it as new, opens it from the notification, and replies.
    let list = bea.get("/messages").await;
    assert!(
        list.contains("Seed swap") && list.contains("1 new"),
        "{}",
        list.body
    );
    let notifications = bea.get("/notifications").await;
    assert!(
        notifications.contains("Ana wrote to you: “Seed swap”")
            || notifications.contains("wrote to you: “Seed swap”"),
        "{}",
        notifications.body
    );
    let id: i64 = app
        .count("SELECT id FROM notifications WHERE kind = 'message'")
        .await;
    let opened = bea.get(&format!("/notifications/{id}")).await;
    assert_eq!(opened.location.as_deref(), Some(path.as_str()));
    bea.get(&path).await;
    assert!(!bea.get("/messages").await.contains("1 new"));
    let answered = bea
        .submit(&path, &reply, &[("body", "Yes, bring beans.")])
        .await;
    assert_eq!(answered.location, Some(format!("{path}#last")));
    assert!(ana.get("/messages").await.contains("1 new"));
    let unread_for_ana = "SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id
                           WHERE u.username = 'ana' AND n.read_at IS NULL";
    assert_eq!(app.count(unread_for_ana).await, 1);
    let read = ana.get(&path).await;
    assert!(read.contains("Yes, bring beans.") && read.contains("New since you last read"));
    assert_eq!(
        app.count(unread_for_ana).await,
        0,
        "opening the conversation reads its notification"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.username = 'cal'").await,
        0
    );
    // An empty reply comes back with the problem named and nothing sent.
    let empty = bea.submit(&path, &reply, &[("body", "  ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.contains("id=\"body-error\""));
    assert_eq!(app.count("SELECT count(*) FROM messages").await, 2);
}

#[tokio::test]
async fn bad_recipients_come_back_named_with_the_message_kept() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    app.member_browser("bea", gardens, "member").await;
    for (to, problem) in [
        ("", "Name at least one other member"),
        ("ana", "Name at least one other member"),
        ("bea, nobody, ghost", "No member is called nobody, ghost."),
    ] {
        let refused = write(&ana, to, "Hello", "Kept words").await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{to}");
        assert!(refused.contains(problem), "{problem}: {}", refused.body);
        assert!(refused.contains("id=\"to-error\""));
        assert!(refused.contains(">Kept words</textarea>"));
    }
    // A suspended member is named as such, not as unknown.
    app.create_user("gone").await;
    sqlx::query(
        "UPDATE users SET suspended_until = now() + interval '1 day' WHERE username = 'gone'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let suspended = write(&ana, "gone", "Hello", "Kept words").await;
    assert_eq!(suspended.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(suspended.contains("gone cannot be written to while suspended."));
    // A profile offers to write to its member; one's own does not.
    assert!(ana
        .get("/u/bea")
        .await
        .contains("href=\"/messages/new?to=bea\""));
    assert!(!ana.get("/u/ana").await.contains("/messages/new?to="));
    let prefilled = ana.get("/messages/new?to=bea").await;
    assert!(prefilled.contains("name=\"to\" type=\"text\" value=\"bea\""));
    let untitled = write(&ana, "bea", "", "Kept words").await;
    assert!(untitled.contains("id=\"title-error\""));
    // Only a domain's facilitators write to all its members.
    let token = ana.get("/messages/new").await;
    let by_domain = ana
        .post(
            "/messages/new",
            &[
                ("csrf", &token.csrf()),
                ("key", &token.field("key").unwrap()),
                ("domain", "gardens"),
                ("title", "All of you"),
                ("body", "Hello all"),
            ],
        )
        .await;
    assert_eq!(by_domain.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        by_domain.contains("Only a domain&#x27;s facilitators")
            || by_domain.contains("Only a domain")
    );
    assert_eq!(app.count("SELECT count(*) FROM conversations").await, 0);
}

#[tokio::test]
async fn a_facilitator_writes_to_a_whole_domain_but_whoever_blocked_them_and_a_double_send_makes_one(
) {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let tomas = app.member_browser("tomas", gardens, "facilitator").await;
    for name in ["ana", "bea"] {
        app.member_browser(name, gardens, "member").await;
    }
    // A member who blocked the facilitator is left out; the others still hear.
    let cal = app.member_browser("cal", gardens, "member").await;
    cal.act("/messages/block", &[("username", "tomas")]).await;
    let form = tomas.get("/messages/new").await;
    assert!(form.contains("<option value=\"gardens\">Gardens</option>"));
    let fields = [
        ("csrf", form.csrf()),
        ("key", form.field("key").unwrap()),
        ("domain", "gardens".to_string()),
        ("title", "Work day".to_string()),
        ("body", "Saturday at ten.".to_string()),
    ];
    let sends = (0..3).map(|_| {
        let (tomas, fields) = (tomas.same_browser(), fields.clone());
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            tomas.post("/messages/new", &fields).await
        }
    });
    all_at_once(sends.collect()).await;
    assert_eq!(app.count("SELECT count(*) FROM conversations").await, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM conversation_members").await,
        3
    );
    assert_eq!(
        app.count("SELECT count(*) FROM notifications WHERE kind = 'message'")
            .await,
        2
    );
    assert!(!cal.get("/messages").await.contains("Work day"));
}

#[tokio::test]
async fn a_blocked_member_cannot_start_a_conversation_and_is_not_heard() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let bea = app.member_browser("bea", gardens, "member").await;
    let path = conversation_of(&write(&ana, "bea", "Hello", "Hi").await);
    let blocked = bea.act("/messages/block", &[("username", "ana")]).await;
    assert_eq!(blocked.location.as_deref(), Some("/messages"));
    let list = bea.get("/messages").await;
    assert!(list.contains("ana can no longer send you messages."));
    assert!(list.contains("(@ana)"));

    let refused = write(&ana, "bea", "Again", "Please").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("bea does not accept messages from you."));
    // In the conversation they already share, her words arrive but Bea is not told.
    let before = app
        .count("SELECT count(*) FROM notifications WHERE kind = 'message'")
        .await;
    ana.submit(&path, &format!("{path}/reply"), &[("body", "Still there?")])
        .await;
    assert_eq!(
        app.count("SELECT count(*) FROM notifications WHERE kind = 'message'")
            .await,
        before
    );
    assert_eq!(
        bea.act("/messages/block", &[("username", "bea")])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        bea.act("/messages/block", &[("username", "nobody")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    bea.act("/messages/unblock", &[("username", "ana")]).await;
    assert!(write(&ana, "bea", "Again", "Please").await.done());
}

#[tokio::test]
async fn a_flagged_message_is_read_by_an_admin_only_on_its_review_page_and_each_reading_is_logged()
{
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let bea = app.member_browser("bea", gardens, "member").await;
    let cal = app.member_browser("cal", gardens, "facilitator").await;
    let root = app.member_browser("root", gardens, "member").await;
    sqlx::query("UPDATE users SET site_role = 'admin' WHERE username = 'root'")
        .execute(&app.db)
        .await
        .unwrap();
    let path =
        conversation_of(&write(&ana, "bea", "Zorblax deal", "Cheap pills at spam.example").await);
    let flagged = app.count("SELECT max(id) FROM messages").await;
    let flag = format!("{path}/flag");
    let message = flagged.to_string();
    let spam = [("message", message.as_str()), ("reason", "spam")];

    // Flagging is offered to the other participant, not to the writer: a page of its own.
    let form = format!("href=\"{flag}?message={flagged}\"");
    assert!(bea.get(&path).await.contains(&form));
    assert!(!ana.get(&path).await.contains(&form));
    let asked = bea.get(&format!("{flag}?message={flagged}")).await;
    assert_eq!(asked.status, StatusCode::OK);
    assert!(
        asked.contains("<h1>Flag ana’s message</h1>")
            && asked.contains("Cheap pills at spam.example")
    );
    assert!(asked.contains(&format!("name=\"message\" value=\"{flagged}\"")));
    assert!(
        !asked.contains("value=\"off-topic\""),
        "a message has no topic to stray from"
    );
    assert_eq!(
        ana.get(&format!("{flag}?message={flagged}")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        cal.get(&format!("{flag}?message={flagged}")).await.status,
        StatusCode::NOT_FOUND
    );
    // Nobody else may flag it, nor the writer; a reason not offered changes nothing.
    assert_eq!(cal.act(&flag, &spam).await.status, StatusCode::NOT_FOUND);
    assert_eq!(ana.act(&flag, &spam).await.status, StatusCode::FORBIDDEN);
    let off_topic = bea
        .act(&flag, &[("message", &message), ("reason", "off-topic")])
        .await;
    assert_eq!(off_topic.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(off_topic.contains("Choose why: spam, inappropriate or other."));
    let bare_other = bea
        .act(
            &flag,
            &[("message", &message), ("reason", "other"), ("note", "  ")],
        )
        .await;
    assert_eq!(bare_other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bare_other.contains("id=\"note-error\"") && bare_other.contains("value=\"other\" checked")
    );
    let not_a_message = bea
        .act(&flag, &[("message", "x"), ("reason", "spam")])
        .await;
    assert_eq!(not_a_message.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("SELECT count(*) FROM message_flags").await, 0);

    assert!(bea.act(&flag, &spam).await.done());
    let thanked = bea.get(&path).await;
    assert!(
        thanked.contains("The site&#39;s admins will review the message"),
        "{}",
        thanked.body
    );
    assert!(!thanked.contains(&form) && thanked.contains("You flagged this message"));
    assert!(bea
        .get(&format!("{flag}?message={flagged}"))
        .await
        .contains("You flagged this message; the site&#39;s admins will review it"));
    assert!(
        bea.act(&flag, &spam).await.done(),
        "flagging twice is one flag"
    );
    assert_eq!(app.count("SELECT count(*) FROM message_flags").await, 1);

    // The admin is told, without the conversation's title or words.
    let told = root.get("/notifications").await;
    assert!(
        told.contains("bea flagged a private message (spam)"),
        "{}",
        told.body
    );
    assert!(!told.contains("Zorblax") && !told.contains("spam.example"));
    let notification = app
        .count("SELECT id FROM notifications WHERE kind = 'message_flagged'")
        .await;
    let review = format!("/admin/message-flags/{flagged}");
    let opened = root.get(&format!("/notifications/{notification}")).await;
    assert_eq!(opened.location.as_deref(), Some(review.as_str()));

    // The queue names no content; a facilitator is not an admin.
    let queue = root.get("/admin/message-flags").await;
    assert!(
        queue.contains(&format!("href=\"{review}\"")),
        "{}",
        queue.body
    );
    assert!(!queue.contains("Zorblax") && !queue.contains("spam.example"));
    assert!(root.get("/admin").await.contains("Flagged messages (1)"));
    assert_eq!(
        cal.get("/admin/message-flags").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(cal.get(&review).await.status, StatusCode::FORBIDDEN);
    let reads = "SELECT count(*) FROM audit_log WHERE action = 'read flagged message'";
    assert_eq!(app.count(reads).await, 0);

    // The review page shows the message; the reading is in the audit log.
    let page = root.get(&review).await;
    assert!(page.contains("spam.example") && page.contains("Zorblax deal"));
    assert_eq!(app.count(reads).await, 1);
    assert!(root
        .get("/admin/log")
        .await
        .contains("read flagged message"));
    // A message nobody flagged stays closed to the admin.
    let reply = format!("{path}/reply");
    assert!(bea.act(&reply, &[("body", "Please stop.")]).await.done());
    let unflagged = app.count("SELECT max(id) FROM messages").await;
    assert_eq!(
        root.get(&format!("/admin/message-flags/{unflagged}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Agreeing hides it from both participants and tells the flagger; once only.
    let agree = format!("{review}/agree");
    assert!(root.act(&agree, &[]).await.done());
    for participant in [&ana, &bea] {
        let seen = participant.get(&path).await;
        assert!(
            seen.contains("hidden by the site's admins"),
            "{}",
            seen.body
        );
        assert!(!seen.contains("spam.example") && !seen.contains(&form));
    }
    assert!(bea
        .get("/notifications")
        .await
        .contains("agreed with your flag: the message is hidden"));
    assert_eq!(root.act(&agree, &[]).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'agreed with message flags'")
            .await,
        1
    );
    assert!(!root.get("/admin").await.contains("Flagged messages (1)"));
}
