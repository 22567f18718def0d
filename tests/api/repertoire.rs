//! Educate: the shared repertoire.

use crate::helpers::{TestApp, PASSWORD};
use reqwest::StatusCode;

async fn entry(app: &TestApp, domain: i64, kind: &str, title: &str, tags: &[&str]) -> i64 {
    let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
    sqlx::query_scalar(
        "INSERT INTO repertoire_entries (domain_id, kind, title, summary, body_md, body_html, tags)
         VALUES ($1, $2, $3, 'A summary', 'Body', '<p>Body</p>', $4) RETURNING id",
    )
    .bind(domain)
    .bind(kind)
    .bind(title)
    .bind(&tags)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_repertoire_lists_entries_by_kind_and_tag_with_counts() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    entry(
        &app,
        domain,
        "how-to",
        "Start a no-dig bed",
        &["no-dig", "beds"],
    )
    .await;
    entry(&app, domain, "how-to", "Make leaf mould", &["compost"]).await;
    entry(&app, domain, "story", "The wet summer", &["no-dig"]).await;
    let page = app.get("/d/gardens/repertoire").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.contains(">how-to</a> (2)") && page.contains(">story</a> (1)"),
        "kind counts"
    );
    assert!(
        page.contains("no-dig (2)") && page.contains("compost (1)"),
        "tag counts"
    );
    // The counts follow an entry changing kind and tags, and the last of a tag takes it away.
    sqlx::query("UPDATE repertoire_entries SET kind = 'story', tags = '{beds}' WHERE title = 'Make leaf mould'")
        .execute(&app.db)
        .await
        .unwrap();
    let changed = app.get("/d/gardens/repertoire").await;
    assert!(
        changed.contains(">how-to</a> (1)") && changed.contains(">story</a> (2)"),
        "kind counts after an edit"
    );
    assert!(
        changed.contains("beds (2)") && !changed.contains("compost ("),
        "tag counts after an edit: {}",
        changed.body
    );
    let howtos = app.get("/d/gardens/repertoire?kind=how-to").await;
    assert!(howtos.contains("Start a no-dig bed") && !howtos.contains("The wet summer"));
    let tagged = app.get("/d/gardens/repertoire?tag=no-dig").await;
    assert!(tagged.contains("<h1>Tagged “no-dig”</h1>"), "the tag page");
    assert!(
        tagged.contains("Start a no-dig bed")
            && tagged.contains("The wet summer")
            && !tagged.contains("leaf mould")
    );
    let domain_page = app.get("/d/gardens").await;
    assert!(
        domain_page.contains("The wet summer"),
        "the sidebar shows the newest entries"
    );
}

#[tokio::test]
async fn an_entry_page_shows_its_content_curator_and_tags() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.member("ana", domain, "member").await;
    let page = app
        .submit(
            "/d/gardens/repertoire/new",
            "/d/gardens/repertoire/new",
            &[
                ("kind", "tool"),
                ("title", "Soil thermometer"),
                ("summary", "Know when to sow"),
                ("body", "Push it **10 cm** in."),
                ("tags", " Soil , soil, Sowing "),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let entry = app.get(page.location.as_deref().unwrap()).await;
    assert!(entry.contains("<h1>Soil thermometer</h1>") && entry.contains("Know when to sow"));
    assert!(entry.contains("<strong>10 cm</strong>"));
    assert!(entry.contains("Curated by <a href=\"/u/ana\">ana</a>"));
    let tags: Vec<String> = sqlx::query_scalar("SELECT tags FROM repertoire_entries")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(tags, vec!["soil", "sowing"], "tags are normalised");
}

#[tokio::test]
async fn bad_entries_come_back_with_the_text_kept() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.member("ana", domain, "member").await;
    let page = app
        .submit(
            "/d/gardens/repertoire/new",
            "/d/gardens/repertoire/new",
            &[
                ("kind", "recipe"),
                ("title", " "),
                ("summary", "Kept summary"),
                ("body", "Kept body"),
                ("tags", "soil, !!!"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"kind-error\"") && page.contains("id=\"title-error\""));
    assert!(page.contains("id=\"tags-error\">“!!!” is not a tag"));
    assert!(
        page.contains("value=\"Kept summary\"")
            && page.contains("Kept body</textarea>")
            && page.contains("value=\"soil, !!!\"")
    );
    assert_eq!(
        app.count("SELECT count(*) FROM repertoire_entries").await,
        0
    );
}

#[tokio::test]
async fn only_members_write_entries() {
    let app = TestApp::spawn().await;
    app.create_domain("gardens", "public").await;
    app.create_user("ana").await;
    app.login("ana", PASSWORD).await;
    assert_eq!(
        app.get("/d/gardens/repertoire/new").await.status,
        StatusCode::FORBIDDEN
    );
    assert!(!app
        .get("/d/gardens/repertoire")
        .await
        .contains("Write an entry"));
}

async fn promotion_setup() -> (TestApp, i64, i64, i64) {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    app.add_member(domain, ana, "member").await;
    let thread = app
        .insert_thread(domain, ana, "Cardboard under compost", 1)
        .await;
    let reply: i64 = sqlx::query_scalar("SELECT max(id) FROM posts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    (app, domain, thread, reply)
}

#[tokio::test]
async fn promoting_an_answer_prefills_what_fits_and_leaves_the_kind_to_the_curator() {
    let (app, domain, _, _) = promotion_setup().await;
    let ana = app
        .count("SELECT id FROM users WHERE username = 'ana'")
        .await;
    let question = app
        .insert_thread(domain, ana, "How do I stop slugs?", 0)
        .await;
    let answer: i64 = sqlx::query_scalar(
        "INSERT INTO posts (thread_id, author_id, body_md, body_html)
         VALUES ($1, $2, $3, '') RETURNING id",
    )
    .bind(question)
    .bind(ana)
    .bind("[@bea wrote](/p/1):\n> Has anyone tried beer?\n\nYes @bea: sink a saucer of **beer** level with the soil.")
    .fetch_one(&app.db)
    .await
    .unwrap();
    app.login("ana", PASSWORD).await;
    let path = format!("/d/gardens/repertoire/new?from={answer}");
    let form = app.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.contains("<option value=\"\" selected>Choose a kind…</option>"));
    assert!(!form.contains("value=\"story\" selected"));
    assert!(
        form.contains("id=\"title\" name=\"title\" type=\"text\" value=\"\""),
        "a question is not the name of its answer"
    );
    assert!(
        form.contains("Yes bea: sink a saucer of **beer** level with the soil.</textarea>"),
        "{}",
        form.body
    );
    assert!(!form.contains("Has anyone tried beer?</textarea>") && !form.contains("@bea"));
    assert!(
        form.contains("Yes bea: sink a saucer of beer level with the soil."),
        "a plain summary"
    );
    // Sent without a kind, the form comes back with the problem named and the text kept.
    let from = answer.to_string();
    let refused = app
        .submit(
            &path,
            "/d/gardens/repertoire/new",
            &[
                ("kind", ""),
                ("title", "Beer traps"),
                ("summary", "A saucer of beer"),
                ("body", "Sink a saucer"),
                ("tags", ""),
                ("from", &from),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("Choose a kind: story, tool, case, lesson or how-to."));
    assert!(refused.contains("value=\"Beer traps\""));
}

#[tokio::test]
async fn promoting_a_reply_keeps_provenance_both_ways() {
    let (app, _, thread, reply) = promotion_setup().await;
    app.login("ana", PASSWORD).await;
    let form = app
        .get(&format!("/d/gardens/repertoire/new?from={reply}"))
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.contains("value=\"Cardboard under compost\""),
        "prefilled with the thread title"
    );
    assert!(
        form.contains("Post number 1</textarea>"),
        "prefilled with the post"
    );
    let from = reply.to_string();
    let created = app
        .submit(
            &format!("/d/gardens/repertoire/new?from={reply}"),
            "/d/gardens/repertoire/new",
            &[
                ("kind", "lesson"),
                ("title", "Overlap the cardboard"),
                ("summary", "Gaps let weeds through"),
                ("body", "Post number 1"),
                ("tags", ""),
                ("from", &from),
            ],
        )
        .await;
    let entry_url = created.location.expect("the entry is created");
    let entry = app.get(&entry_url).await;
    assert!(entry.contains(&format!(
        "From <a href=\"/p/{reply}\">a post by ana in “Cardboard under compost”</a>"
    )));
    let thread_page = app.get(&format!("/t/{thread}")).await;
    assert!(thread_page.contains(&format!(
        "<p class=\"in-repertoire\"><a href=\"{entry_url}\">In the repertoire</a></p>"
    )));
    let source: (i64, i64) =
        sqlx::query_as("SELECT source_thread_id, source_post_id FROM repertoire_entries")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(source, (thread, reply));
}

#[tokio::test]
async fn a_facilitator_may_promote_but_another_member_may_not() {
    let (app, domain, _, reply) = promotion_setup().await;
    let other = app.other_browser();
    other.member("bea", domain, "member").await;
    assert_eq!(
        other
            .get(&format!("/d/gardens/repertoire/new?from={reply}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let from = reply.to_string();
    let refused = other
        .submit(
            "/d/gardens/repertoire",
            "/d/gardens/repertoire/new",
            &[
                ("kind", "lesson"),
                ("title", "Mine now"),
                ("summary", "x"),
                ("from", &from),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.count("SELECT count(*) FROM repertoire_entries").await,
        0
    );

    let facilitator = app.other_browser();
    facilitator.member("fay", domain, "facilitator").await;
    assert_eq!(
        facilitator
            .get(&format!("/d/gardens/repertoire/new?from={reply}"))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn promoting_what_you_cannot_read_or_into_another_domain_is_refused() {
    let (app, domain, _, _) = promotion_setup().await;
    let circle = app.create_domain("circle", "private").await;
    let zed = app.create_user("zed").await;
    app.add_member(circle, zed, "facilitator").await;
    let secret = app.insert_thread(circle, zed, "Secret", 0).await;
    let secret_post: i64 = sqlx::query_scalar("SELECT id FROM posts WHERE thread_id = $1")
        .bind(secret)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let kitchens = app.create_domain("kitchens", "public").await;
    let ana = app.member("ana2", domain, "facilitator").await;
    app.add_member(kitchens, ana, "member").await;
    assert_eq!(
        app.get(&format!("/d/gardens/repertoire/new?from={secret_post}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let gardens_post: i64 = sqlx::query_scalar("SELECT min(id) FROM posts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        app.get(&format!("/d/kitchens/repertoire/new?from={gardens_post}"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        app.get("/d/gardens/repertoire/new?from=abc").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn editing_an_entry_keeps_its_history_and_is_for_its_curator() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.member("ana", domain, "member").await;
    let created = app
        .submit(
            "/d/gardens/repertoire/new",
            "/d/gardens/repertoire/new",
            &[
                ("kind", "tool"),
                ("title", "First title"),
                ("summary", "First summary"),
                ("tags", "a"),
            ],
        )
        .await;
    let url = created.location.unwrap();
    let edit = format!("{url}/edit");
    let saved = app
        .submit(
            &edit,
            &edit,
            &[
                ("kind", "tool"),
                ("title", "Second title"),
                ("summary", "Second summary"),
                ("tags", "a, b"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = app.get(&url).await;
    assert!(page.contains("<h1>Second title</h1>") && page.contains("edited 1×"));
    let history = app.other_browser().get(&format!("{url}/revisions")).await;
    assert!(history.contains("First title") && history.contains("First summary"));

    let other = app.other_browser();
    other.member("bea", domain, "member").await;
    assert_eq!(other.get(&edit).await.status, StatusCode::FORBIDDEN);
    let token = other.get("/").await.csrf();
    let refused = other
        .post(
            &edit,
            &[
                ("csrf", &token),
                ("kind", "tool"),
                ("title", "Hijacked"),
                ("summary", "x"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(app.get(&url).await.contains("<h1>Second title</h1>"));
}

#[tokio::test]
async fn a_private_domains_entries_are_404_to_outsiders() {
    let app = TestApp::spawn().await;
    let circle = app.create_domain("circle", "private").await;
    let id = entry(&app, circle, "story", "Hidden story", &[]).await;
    assert_eq!(
        app.get(&format!("/r/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/d/circle/repertoire").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/r/{id}/revisions")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/r/abc").await.status, StatusCode::NOT_FOUND);
}
