//! How pages look and say who is who (issue 14): the light or dark choice that works without
//! JavaScript, avatars and role badges beside names, exact times behind relative ones, and the
//! page control of a long thread.

use reqwest::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_visitor_chooses_dark_colours_without_javascript_and_every_page_keeps_them() {
    let app = TestApp::spawn().await;
    app.create_domain("gardens", "public").await;
    let before = app.get("/d/gardens").await;
    assert!(
        before.contains("<html lang=\"en\">"),
        "the device's setting by default"
    );

    // The footer's link leads to a form that comes back to where the visitor was.
    let form = app
        .open(
            "/appearance",
            &[("referer", app.url("/d/gardens?page=2").as_ref())],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("name=\"back\" value=\"/d/gardens?page=2\""),
        "{form}"
    );
    assert!(form.contains("value=\"system\" checked"));

    let chosen = app
        .submit(
            "/appearance",
            "/appearance",
            &[("theme", "dark"), ("back", "/d/gardens")],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER);
    assert_eq!(chosen.location.as_deref(), Some("/d/gardens"));
    let page = app.get("/d/gardens").await;
    assert!(page.contains("<html lang=\"en\" data-theme=\"dark\">"));
    assert!(page.contains("The site is shown in dark colours."));
    let error = app.get("/d/no-such-domain").await;
    assert_eq!(error.status, StatusCode::NOT_FOUND);
    assert!(error.contains("data-theme=\"dark\""), "error pages too");
    assert!(app
        .get("/appearance")
        .await
        .contains("value=\"dark\" checked"));

    // Another visitor still gets the device's colours, even from the page cache.
    let other = app.other_browser();
    assert!(other.get("/d/gardens").await.contains("<html lang=\"en\">"));

    // Back to the device's setting; a `back` off the site goes home instead.
    let reset = app
        .submit(
            "/appearance",
            "/appearance",
            &[("theme", "system"), ("back", "//evil.example/")],
        )
        .await;
    assert_eq!(reset.location.as_deref(), Some("/"));
    assert!(app.get("/d/gardens").await.contains("<html lang=\"en\">"));

    // Without the form's token nothing is chosen.
    let forged = app.post("/appearance", &[("theme", "dark")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(app.get("/d/gardens").await.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn posts_show_an_avatar_and_badges_for_admins_facilitators_and_the_original_poster() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    app.add_member(gardens, ana, "facilitator").await;
    let root = app.create_user("root").await;
    sqlx::query(
        "UPDATE users SET site_role = 'admin', display_name = 'Amara Okafor' WHERE id = $1",
    )
    .bind(root)
    .execute(&app.db)
    .await
    .unwrap();
    let bea = app.create_user("bea").await;
    app.add_member(gardens, bea, "member").await;
    let thread = app.insert_thread(gardens, bea, "Frost", 0).await;
    for author in [ana, root, bea] {
        sqlx::query("INSERT INTO posts (thread_id, author_id, body_md, body_html) VALUES ($1, $2, 'x', '<p>x</p>')")
            .bind(thread)
            .bind(author)
            .execute(&app.db)
            .await
            .unwrap();
    }
    let page = app.get(&format!("/t/{thread}")).await;
    let header_of = |username: &str| -> String {
        let at = page
            .body
            .match_indices(&format!("href=\"/u/{username}\""))
            .map(|(i, _)| i)
            .collect::<Vec<_>>();
        at.iter()
            .map(|&i| page.body[i.saturating_sub(120)..(i + 420).min(page.body.len())].to_string())
            .collect::<Vec<_>>()
            .join("\n---\n")
    };
    let ana_header = header_of("ana");
    assert!(
        ana_header.contains("<span class=\"tag role\">facilitator</span>"),
        "{ana_header}"
    );
    let root_header = header_of("root");
    assert!(
        root_header.contains(">AO</span>"),
        "initials: {root_header}"
    );
    assert!(root_header.contains("<span class=\"tag role role-admin\">admin</span>"));
    let bea_headers = header_of("bea");
    assert_eq!(
        bea_headers.matches("original poster").count(),
        1,
        "OP on her reply, not on the opening post: {bea_headers}"
    );
    // Times are relative, with the exact time on hover.
    assert!(page.contains(" UTC\">just now</time>"), "{}", page.body);
}

#[tokio::test]
async fn a_long_thread_has_its_page_control_at_the_top_and_the_bottom_and_a_jump_to_the_last_post()
{
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(gardens, ana, "Long", 120).await;
    let first = app.get(&format!("/t/{thread}")).await;
    assert_eq!(
        first.body.matches("<nav class=\"pager\"").count(),
        2,
        "top and bottom"
    );
    assert!(first.contains("aria-label=\"Pages of this thread (top)\""));
    assert!(first.contains("aria-label=\"Pages of this thread (bottom)\""));
    assert!(first.contains("Page 1 of "));
    assert!(first.contains(&format!(
        "<a href=\"/t/{thread}/last\">Jump to the last post</a>"
    )));

    let last_id: i64 = sqlx::query_scalar("SELECT max(id) FROM posts WHERE thread_id = $1")
        .bind(thread)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let jump = app.get(&format!("/t/{thread}/last")).await;
    assert_eq!(jump.location, Some(format!("/p/{last_id}")));
    let landed = app.get(&format!("/p/{last_id}")).await;
    let last_page = app.get(landed.location.as_deref().unwrap()).await;
    assert!(last_page.contains(&format!("id=\"p{last_id}\"")));
    assert!(last_page.contains(&format!("<a href=\"/t/{thread}\">First post</a>")));
    assert!(!last_page.contains("Jump to the last post"));

    // A short thread has no page control; a private or unknown thread is not found.
    let short = app.insert_thread(gardens, ana, "Short", 2).await;
    assert!(!app
        .get(&format!("/t/{short}"))
        .await
        .contains("class=\"pager\""));
    let circle = app.create_domain("circle", "private").await;
    let secret = app.insert_thread(circle, ana, "Secret", 3).await;
    assert_eq!(
        app.get(&format!("/t/{secret}/last")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/t/999999/last").await.status,
        StatusCode::NOT_FOUND
    );
}
