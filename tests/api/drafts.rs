//! Drafts (issue 15, point 2): what a member starts writing is kept on the server, comes back
//! in its form, and goes when it is posted.

use reqwest::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_draft_survives_leaving_and_coming_back_and_goes_when_posted() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let thread = ana.start_thread("gardens", "Frost cloth", "When?").await;
    let bea = app.member_browser("bea", gardens, "member").await;

    // Without a script: Preview keeps the text as a draft.
    let previewed = bea
        .submit(
            &format!("/t/{thread}"),
            &format!("/t/{thread}/reply"),
            &[
                ("body", "Half a thought about fleece"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(previewed.status, StatusCode::OK);
    // She leaves; coming back, the thread page and the reply page both hold it.
    bea.get("/d/gardens").await;
    let page = bea.get(&format!("/t/{thread}")).await;
    assert!(page.contains("Your draft reply is back"));
    assert!(
        page.contains(">Half a thought about fleece</textarea>"),
        "{}",
        page.body
    );
    let form = bea.get(&format!("/t/{thread}/reply")).await;
    assert!(form.contains(">Half a thought about fleece</textarea>"));
    assert!(form.contains("Your draft is back"));
    // Nobody else sees it.
    assert!(!ana
        .get(&format!("/t/{thread}"))
        .await
        .contains("Half a thought"));
    let drafts = bea.get("/me/drafts").await;
    assert!(drafts.contains("Reply to “Frost cloth”"), "{}", drafts.body);
    assert!(drafts.contains(&format!("href=\"/t/{thread}/reply\"")));
    assert!(ana.get("/me/drafts").await.contains("No drafts."));

    // Quoting adds to the draft rather than replacing it.
    let first: i64 = app
        .count(&format!(
            "SELECT min(id) FROM posts WHERE thread_id = {thread}"
        ))
        .await;
    let quoting = bea.get(&format!("/t/{thread}/reply?quote={first}")).await;
    assert!(
        quoting.contains("Half a thought about fleece\n\n[@ana wrote]"),
        "{}",
        quoting.body
    );

    let posted = bea
        .reply(thread, "Half a thought about fleece, finished")
        .await;
    assert!(posted.done());
    assert!(bea.get("/me/drafts").await.contains("No drafts."));
    assert!(!bea
        .get(&format!("/t/{thread}"))
        .await
        .contains("Your draft reply is back"));
    assert_eq!(app.count("SELECT count(*) FROM drafts").await, 0);
}

#[tokio::test]
async fn the_scripts_saves_keep_a_new_thread_and_never_outlive_its_post() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let bea = app.member_browser("bea", gardens, "member").await;
    let form = bea.get("/d/gardens/new").await;
    assert!(form.contains("data-draft=\"domain=gardens\""));
    let key = form.field("key").expect("a submission key");
    let save = |title: &'static str, body: &'static str| {
        let (bea, key) = (&bea, key.clone());
        async move {
            bea.act(
                "/drafts",
                &[
                    ("domain", "gardens"),
                    ("title", title),
                    ("kind", "question"),
                    ("body", body),
                    ("key", &key),
                ],
            )
            .await
        }
    };
    assert_eq!(
        save("Cold compost", "Why is it").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        save("Cold compost?", "Why is it cold").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.count("SELECT count(*) FROM drafts").await,
        1,
        "one per form"
    );
    let back = bea.get("/d/gardens/new").await;
    assert!(back.contains("value=\"Cold compost?\""));
    assert!(back.contains(">Why is it cold</textarea>"));
    assert!(back.contains("value=\"question\" checked"));

    // Posting from that form deletes the draft; a save still on its way afterwards (same
    // form, same key) does not bring it back.
    let posted = bea
        .post(
            "/d/gardens/new",
            &[
                ("csrf", &back.csrf()),
                ("key", &key),
                ("title", "Cold compost?"),
                ("kind", "question"),
                ("body", "Why is it cold"),
                ("action", "post"),
            ],
        )
        .await;
    assert!(posted.done(), "{}", posted.body);
    assert_eq!(
        save("Cold compost?", "Why is it cold").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.count("SELECT count(*) FROM drafts").await, 0);
    // Emptying the form is discarding the draft.
    let fresh = bea.get("/d/gardens/new").await.field("key").unwrap();
    bea.act(
        "/drafts",
        &[("domain", "gardens"), ("body", "x"), ("key", &fresh)],
    )
    .await;
    bea.act(
        "/drafts",
        &[("domain", "gardens"), ("body", "  "), ("key", &fresh)],
    )
    .await;
    assert_eq!(app.count("SELECT count(*) FROM drafts").await, 0);
}

#[tokio::test]
async fn drafts_are_kept_only_where_the_member_may_post_and_listed_only_where_they_may_read() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let circle = app.create_domain("circle", "private").await;
    app.create_domain("orchards", "public").await;
    let ana = app.create_user("ana").await;
    let secret = app.insert_thread(circle, ana, "Secret", 0).await;
    let open = app.insert_thread(gardens, ana, "Open", 0).await;
    let bea = app.other_browser();
    let bea_id = bea.member("bea", gardens, "member").await;
    for (fields, status) in [
        (vec![("body", "No place")], StatusCode::BAD_REQUEST),
        (
            vec![
                ("thread", "5"),
                ("domain", "gardens"),
                ("body", "Two places"),
            ],
            StatusCode::BAD_REQUEST,
        ),
        (
            vec![("thread", &*secret.to_string()), ("body", "Peek")],
            StatusCode::NOT_FOUND,
        ),
        (
            vec![("thread", "999999"), ("body", "Nowhere")],
            StatusCode::NOT_FOUND,
        ),
        (
            vec![("thread", "banana"), ("body", "Nowhere")],
            StatusCode::NOT_FOUND,
        ),
        (
            vec![("domain", "circle"), ("body", "Peek")],
            StatusCode::NOT_FOUND,
        ),
        (
            vec![("domain", "Not A Slug"), ("body", "Peek")],
            StatusCode::NOT_FOUND,
        ),
        (
            vec![("domain", "orchards"), ("body", "Not a member")],
            StatusCode::FORBIDDEN,
        ),
    ] {
        let answer = bea.act("/drafts", &fields).await;
        assert_eq!(answer.status, status, "{fields:?}: {}", answer.body);
    }
    let long = "x".repeat(100_001);
    let too_long = bea
        .act("/drafts", &[("thread", &open.to_string()), ("body", &long)])
        .await;
    assert_eq!(too_long.status, StatusCode::BAD_REQUEST);
    assert!(too_long.contains("too long to keep as a draft"));
    assert_eq!(app.count("SELECT count(*) FROM drafts").await, 0);

    // A draft in a domain she then leaves is no longer listed, nor offered.
    app.add_member(circle, bea_id, "member").await;
    let saved = bea
        .act(
            "/drafts",
            &[("thread", &secret.to_string()), ("body", "Inner words")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::NO_CONTENT);
    assert!(bea.get("/me/drafts").await.contains("Reply to “Secret”"));
    sqlx::query("DELETE FROM memberships WHERE domain_id = $1")
        .bind(circle)
        .execute(&app.db)
        .await
        .unwrap();
    let listed = bea.get("/me/drafts").await;
    assert!(!listed.contains("Secret") && !listed.contains("Inner words"));

    // Discarding: a disclosure, then its button; the draft goes and the page says so.
    bea.act(
        "/drafts",
        &[("thread", &open.to_string()), ("body", "Second thoughts")],
    )
    .await;
    let page = bea.get("/me/drafts").await;
    assert!(page.contains("<summary>Discard…</summary>"));
    let discarded = bea
        .act("/me/drafts/discard", &[("thread", &open.to_string())])
        .await;
    assert_eq!(discarded.location.as_deref(), Some("/me/drafts"));
    let after = bea.get("/me/drafts").await;
    assert!(after.contains("Draft discarded.") && !after.contains("Second thoughts"));
    // A visitor keeps no drafts.
    let visitor = app.other_browser();
    assert!(!visitor
        .act("/drafts", &[("thread", &open.to_string()), ("body", "Hi")])
        .await
        .done());
    assert_eq!(
        visitor.get("/me/drafts").await.status,
        StatusCode::SEE_OTHER
    );
}
