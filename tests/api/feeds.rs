//! The Atom feed of a domain.

use crate::helpers::{TestApp, PASSWORD};
use reqwest::StatusCode;

const ATOM: &str = "http://www.w3.org/2005/Atom";

fn child<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    name: &str,
) -> Option<roxmltree::Node<'a, 'input>> {
    node.children().find(|c| c.has_tag_name((ATOM, name)))
}

#[tokio::test]
async fn a_domain_feed_is_valid_atom_of_its_newest_threads() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    app.insert_thread(domain, ana, "Older & wiser", 2).await;
    let newest = app.insert_thread(domain, ana, "Newest <thread>", 0).await;
    let hidden = app.insert_thread(domain, ana, "Hidden one", 0).await;
    sqlx::query("UPDATE threads SET hidden = true WHERE id = $1")
        .bind(hidden)
        .execute(&app.db)
        .await
        .unwrap();

    let page = app.get("/d/gardens/feed.atom").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.headers["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let doc = roxmltree::Document::parse(&page.body).expect("well-formed XML");
    let feed = doc.root_element();
    assert_eq!(feed.tag_name().namespace(), Some(ATOM));
    assert_eq!(feed.tag_name().name(), "feed");
    // RFC 4287 4.1.1: a feed has exactly one id, title and updated, and a self link.
    for name in ["id", "title", "updated"] {
        assert_eq!(
            feed.children()
                .filter(|c| c.has_tag_name((ATOM, name)))
                .count(),
            1,
            "{name}"
        );
    }
    let updated = child(feed, "updated").unwrap().text().unwrap();
    assert!(
        time::OffsetDateTime::parse(updated, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{updated}"
    );
    assert!(feed
        .children()
        .any(|c| c.has_tag_name((ATOM, "link")) && c.attribute("rel") == Some("self")));
    let entries: Vec<_> = feed
        .children()
        .filter(|c| c.has_tag_name((ATOM, "entry")))
        .collect();
    assert_eq!(entries.len(), 2, "the hidden thread is left out");
    // 4.1.2: each entry has an id, a title, updated, an author (none at feed level) and a link.
    for entry in &entries {
        for name in ["id", "title", "updated", "author", "link", "content"] {
            assert!(child(*entry, name).is_some(), "entry lacks {name}");
        }
        assert!(child(child(*entry, "author").unwrap(), "name").is_some());
    }
    assert_eq!(
        child(entries[0], "title").unwrap().text(),
        Some("Newest <thread>"),
        "newest first, escaped"
    );
    assert_eq!(
        child(entries[0], "id").unwrap().text().map(str::to_string),
        Some(format!("http://127.0.0.1:3000/t/{newest}"))
    );
    assert_eq!(
        child(entries[0], "content").unwrap().text(),
        Some("<p>Post number 0</p>")
    );
}

#[tokio::test]
async fn a_private_domain_feed_is_only_for_members() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("circle", "private").await;
    let ana = app.create_user("ana").await;
    app.add_member(domain, ana, "member").await;
    app.insert_thread(domain, ana, "Secret", 0).await;
    assert_eq!(
        app.get("/d/circle/feed.atom").await.status,
        StatusCode::NOT_FOUND
    );
    app.login("ana", PASSWORD).await;
    let page = app.get("/d/circle/feed.atom").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("Secret"));
}

#[tokio::test]
async fn the_feed_leaves_out_removed_opening_posts_and_control_characters() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let deleted = app.insert_thread(domain, ana, "Deleted opener", 0).await;
    let hidden = app.insert_thread(domain, ana, "Hidden opener", 0).await;
    let odd = app
        .insert_thread(domain, ana, "Bell\u{7}and\u{1b}escape", 0)
        .await;
    sqlx::query(
        "UPDATE posts SET body_html = '<p>secret ' || thread_id || '</p>',
                deleted_at = CASE WHEN thread_id = $1 THEN now() END,
                hidden = (thread_id = $2)
          WHERE thread_id IN ($1, $2, $3)",
    )
    .bind(deleted)
    .bind(hidden)
    .bind(odd)
    .execute(&app.db)
    .await
    .unwrap();
    let page = app.get("/d/gardens/feed.atom").await;
    let doc = roxmltree::Document::parse(&page.body).expect("well-formed XML");
    assert!(
        !page.contains(&format!("secret {deleted}")),
        "deleted body published"
    );
    assert!(
        !page.contains(&format!("secret {hidden}")),
        "hidden body published"
    );
    assert!(
        page.contains(&format!("secret {odd}")),
        "a live opener is published"
    );
    let titles: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name((ATOM, "title")))
        .filter_map(|n| n.text())
        .collect();
    assert!(titles.contains(&"Bellandescape"), "{titles:?}");
}
