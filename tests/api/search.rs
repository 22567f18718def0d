//! Full-text search.

use crate::helpers::{TestApp, PASSWORD};
use reqwest::StatusCode;

/// A reply whose Markdown is `body`, written straight to the table (search reads only the
/// Markdown and the text made from it).
async fn insert_reply(app: &TestApp, thread: i64, author: i64, body: &str) {
    sqlx::query(
        "INSERT INTO posts (thread_id, author_id, body_md, body_html) VALUES ($1, $2, $3, '')",
    )
    .bind(thread)
    .bind(author)
    .bind(body)
    .execute(&app.db)
    .await
    .unwrap();
}

/// Moves the next post's id `ahead` past the newest, as if that many posts had been written.
async fn skip_post_ids(app: &TestApp, ahead: i64) {
    sqlx::query("SELECT setval('posts_id_seq', (SELECT max(id) FROM posts) + $1)")
        .bind(ahead)
        .execute(&app.db)
        .await
        .unwrap();
}

async fn searchable() -> TestApp {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let kitchens = app.create_domain("kitchens", "public").await;
    let circle = app.create_domain("circle", "private").await;
    let ana = app.create_user("ana").await;
    app.add_member(circle, ana, "member").await;
    let thread = app
        .insert_thread(gardens, ana, "Compost heaps that stay hot", 0)
        .await;
    insert_reply(
        &app,
        thread,
        ana,
        "Turn the compost weekly <script>x</script> and keep it damp",
    )
    .await;
    let scraps = app
        .insert_thread(kitchens, ana, "Compost from kitchen scraps", 0)
        .await;
    insert_reply(
        &app,
        scraps,
        ana,
        "Brew **nettle** tea first: see [the guide](https://example.org/brewing) and `soak` it overnight",
    )
    .await;
    app.insert_thread(circle, ana, "Secret compost recipe", 0)
        .await;
    sqlx::query("INSERT INTO repertoire_entries (domain_id, kind, title, summary, body_md, body_html) VALUES ($1, 'how-to', 'Hot composting in four weeks', 'Layers, water, turning', '', '')")
        .bind(gardens).execute(&app.db).await.unwrap();
    app
}

#[tokio::test]
async fn results_are_ranked_highlighted_and_escaped() {
    let app = searchable().await;
    let page = app.get("/search?q=compost").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.contains("<mark>Compost</mark> from kitchen scraps"),
        "{}",
        page.body
    );
    // The thread matches by its title and by a reply: it is listed once, by its best match.
    assert_eq!(
        page.body
            .matches(">Compost heaps that stay hot</a>")
            .count(),
        1,
        "{}",
        page.body
    );
    let weekly = app.get("/search?q=weekly").await;
    assert!(
        weekly.contains("Turn the compost <mark>weekly</mark>"),
        "{}",
        weekly.body
    );
    assert!(weekly.contains("Reply in"));
    assert!(
        !weekly.contains("<script>x"),
        "markup in a body never reaches the snippet raw"
    );
    // A snippet is plain text: no Markdown emphasis, link syntax or code marks.
    let nettle = app.get("/search?q=nettle").await;
    assert!(
        nettle.contains("Brew <mark>nettle</mark> tea first: see the guide and soak it overnight"),
        "{}",
        nettle.body
    );
    assert!(!nettle.contains("**") && !nettle.contains("](https"));
    // A match in a thread's first post is labelled as the opening post, not a reply.
    let opening = app.get("/search?q=number&domain=kitchens").await;
    assert!(opening.contains("Opening post in"), "{}", opening.body);
    assert!(!opening.contains("Reply in"));
    assert!(
        page.contains("Hot <mark>composting</mark> in four weeks"),
        "stemming finds composting"
    );
    let first_hit = page.body.find("class=\"search-hit\"").unwrap();
    assert!(
        page.body[first_hit..].find("Hot composting").unwrap()
            < page.body[first_hit..].find("kitchen scraps").unwrap(),
        "a title match (weight A) outranks nothing-but-body matches"
    );
    assert!(page.contains("<title>Search: compost · Commonplace</title>"));
}

#[tokio::test]
async fn private_domains_stay_private_in_search() {
    let app = searchable().await;
    assert!(!app
        .get("/search?q=secret")
        .await
        .contains("Secret compost recipe"));
    assert!(!app
        .get("/search?q=secret&domain=circle")
        .await
        .contains("Secret compost recipe"));
    assert!(
        !app.get("/search?q=compost")
            .await
            .contains("value=\"circle\""),
        "not offered as a filter"
    );
    app.login("ana", PASSWORD).await;
    assert!(app
        .get("/search?q=secret")
        .await
        .contains("Secret compost recipe"));
    // A member narrows to their private domain like any other.
    let circle = app.get("/search?q=compost&domain=circle").await;
    assert!(circle.contains("Secret compost recipe"), "{}", circle.body);
    assert!(!circle.contains("Compost from kitchen scraps"));
}

#[tokio::test]
async fn filters_narrow_by_domain_and_kind() {
    let app = searchable().await;
    let kitchens = app.get("/search?q=compost&domain=kitchens").await;
    assert!(kitchens.contains("Compost from kitchen scraps"));
    assert!(!kitchens.contains("heaps that stay hot"));
    let repertoire = app.get("/search?q=compost&kind=repertoire").await;
    assert!(repertoire.contains("Hot composting in four weeks"));
    assert!(!repertoire.contains("kitchen scraps"));
    let replies = app.get("/search?q=weekly&kind=replies").await;
    assert!(replies.contains("Reply in"));
    let titles = app.get("/search?q=weekly&kind=threads").await;
    assert!(titles.contains("Nothing matched"));
}

#[tokio::test]
async fn results_are_paginated() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    for i in 0..25 {
        app.insert_thread(domain, ana, &format!("Mulch question {i}"), 0)
            .await;
    }
    let first = app.get("/search?q=mulch").await;
    assert_eq!(first.body.matches("class=\"search-hit\"").count(), 20);
    assert!(first.contains("rel=\"next\""));
    let second = app.get("/search?q=mulch&domain=&kind=&page=2").await;
    assert_eq!(second.body.matches("class=\"search-hit\"").count(), 5);
    assert!(!second.contains("rel=\"next\""));
}

/// A word in more threads than search ranks: the newest hundred are ranked and paged, the
/// older ones are reached by narrowing the search.
#[tokio::test]
async fn a_word_in_many_threads_ranks_the_newest_hundred() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    for i in 1..=105 {
        app.insert_thread(domain, ana, &format!("Mulch trial {i}"), 0)
            .await;
    }
    let first = app.get("/search?q=mulch&kind=threads").await;
    assert!(first.contains("Mulch trial 105"), "{}", first.body);
    let last = app.get("/search?q=mulch&kind=threads&page=5").await;
    assert_eq!(last.body.matches("class=\"search-hit\"").count(), 20);
    assert!(last.contains("Mulch trial 6<"), "{}", last.body);
    assert!(!last.contains("Mulch trial 5<"));
    assert!(!last.contains("rel=\"next\""));
    let beyond = app.get("/search?q=mulch&kind=threads&page=6").await;
    assert_eq!(beyond.status, StatusCode::OK);
    assert!(beyond.contains("No more results."), "{}", beyond.body);
}

#[tokio::test]
async fn any_input_is_answered_without_an_error() {
    let app = searchable().await;
    let long = "compost ".repeat(500);
    let inputs = [
        "",
        "   ",
        "\"",
        "\"unbalanced",
        "compost & | ! ( ) :*",
        "-",
        "or",
        "the",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "%",
        "\\",
        "compost:*",
        "🌱 compost",
        &long,
    ];
    for q in inputs {
        let path = format!("/search?q={}", commonplace::web::url_encode(q));
        let page = app.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{q:?}");
        assert!(
            !page.contains("<script>alert(1)</script>"),
            "{q:?} is escaped"
        );
    }
    assert!(app
        .get(&format!("/search?q={}", long.trim()))
        .await
        .contains("only its first 200 characters"));
    for query in [
        "page=abc",
        "page=-3",
        "page=99999999999999999999",
        "kind=nonsense",
        "domain=nowhere",
    ] {
        assert_eq!(
            app.get(&format!("/search?q=compost&{query}")).await.status,
            StatusCode::OK,
            "{query}"
        );
    }
}

/// Replies are searched in the newest 25 000 posts first and then in all older ones; a match on
/// either side of that edge is found, and only once.
#[tokio::test]
async fn replies_are_found_on_both_sides_of_the_recent_window() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let old = app.insert_thread(domain, ana, "An old question", 0).await;
    insert_reply(&app, old, ana, "Zymurgy notes from long ago").await;
    // What follows is "recent", what came before is not.
    skip_post_ids(&app, 30_000).await;
    let recent = app.insert_thread(domain, ana, "A recent question", 0).await;
    insert_reply(&app, recent, ana, "Zymurgy notes from this week").await;

    let page = app.get("/search?q=zymurgy&kind=replies").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("notes from long ago"), "{}", page.body);
    assert!(page.contains("notes from this week"), "{}", page.body);
    assert_eq!(page.body.matches("class=\"search-hit\"").count(), 2);
    let phrase = app.get("/search?q=%22notes+from+long%22").await;
    assert!(phrase.contains("An old question"), "{}", phrase.body);
    assert!(!phrase.contains("A recent question"));

    sqlx::query("UPDATE threads SET hidden = true WHERE id = $1")
        .bind(old)
        .execute(&app.db)
        .await
        .unwrap();
    let page = app.get("/search?q=zymurgy&kind=replies").await;
    assert!(
        !page.contains("notes from long ago"),
        "a hidden thread's reply is not found"
    );
    assert!(page.contains("notes from this week"));
}

/// The recent posts' own text index, which phrases are searched in: the job builds it, moves
/// it forward once enough posts have arrived, drops the one before (and any stray one), and a
/// phrase is found on both sides of it, hidden posts never.
#[tokio::test]
async fn the_recent_posts_index_moves_forward_and_phrases_are_found_on_both_sides() {
    use commonplace::educate::search::recent_index::move_forward;
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let recent_indexes = || {
        let db = app.db.clone();
        async move {
            let names: Vec<(String, bool)> = sqlx::query_as(
                "SELECT c.relname::text, i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                  WHERE c.relname LIKE 'posts_recent_search_%' ORDER BY 1",
            )
            .fetch_all(&db)
            .await
            .unwrap();
            names
        }
    };
    let old = app.insert_thread(domain, ana, "An old question", 0).await;
    insert_reply(&app, old, ana, "Zymurgy notes from long ago").await;
    // A stray index from a build cut short elsewhere, which the job does not keep.
    sqlx::query("CREATE INDEX posts_recent_search_7 ON posts USING gin (search) WHERE id > 7")
        .execute(&app.db)
        .await
        .unwrap();

    let outcome = move_forward(&app.db).await.unwrap();
    assert_eq!(
        outcome,
        "built the index of the posts above 0; dropped 1 older index"
    );
    assert_eq!(
        recent_indexes().await,
        [("posts_recent_search_0".to_string(), true)]
    );
    let phrase = app.get("/search?q=%22zymurgy+notes%22&kind=replies").await;
    assert!(phrase.contains("An old question"), "{}", phrase.body);

    // 60 000 posts later the index begins above 25 000 below the newest, rounded down.
    skip_post_ids(&app, 60_000).await;
    let recent = app.insert_thread(domain, ana, "A recent question", 0).await;
    insert_reply(&app, recent, ana, "Zymurgy notes from this week").await;
    let other = app.insert_thread(domain, ana, "A hidden answer", 0).await;
    insert_reply(&app, other, ana, "Hidden zymurgy notes").await;
    sqlx::query("UPDATE posts SET hidden = true WHERE body_md LIKE 'Hidden%'")
        .execute(&app.db)
        .await
        .unwrap();
    let newest: i64 = sqlx::query_scalar("SELECT max(id) FROM posts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let above = (newest / 25_000 - 1) * 25_000;
    assert!(above > 0);
    assert_eq!(
        move_forward(&app.db).await.unwrap(),
        format!("built the index of the posts above {above}; dropped 1 older index")
    );
    assert_eq!(
        recent_indexes().await,
        [(format!("posts_recent_search_{above}"), true)]
    );
    assert_eq!(
        move_forward(&app.db).await.unwrap(),
        format!("the posts above {above} are indexed")
    );

    let phrase = app.get("/search?q=%22zymurgy+notes%22&kind=replies").await;
    assert_eq!(phrase.status, StatusCode::OK);
    assert!(phrase.contains("An old question"), "{}", phrase.body);
    assert!(phrase.contains("A recent question"), "{}", phrase.body);
    assert!(!phrase.contains("A hidden answer"), "{}", phrase.body);
    assert_eq!(phrase.body.matches("class=\"search-hit\"").count(), 2);
    // Not side by side in either post: no match, however the words are searched.
    let apart = app.get("/search?q=%22notes+zymurgy%22").await;
    assert!(apart.contains("Nothing matched"), "{}", apart.body);
}

/// A reply is found under its thread's domain, and under the new one once the thread moves.
#[tokio::test]
async fn a_moved_threads_replies_are_found_in_its_new_domain() {
    let app = searchable().await;
    let thread: i64 =
        sqlx::query_scalar("SELECT id FROM threads WHERE title = 'Compost heaps that stay hot'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let found_in = |domain: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/search?q=weekly&kind=replies&domain={domain}"))
                .await
                .contains("<mark>weekly</mark>")
        }
    };
    assert!(found_in("gardens").await);
    assert!(!found_in("kitchens").await);
    let kitchens: i64 = sqlx::query_scalar("SELECT id FROM domains WHERE slug = 'kitchens'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE threads SET domain_id = $2 WHERE id = $1")
        .bind(thread)
        .bind(kitchens)
        .execute(&app.db)
        .await
        .unwrap();
    assert!(found_in("kitchens").await);
    assert!(!found_in("gardens").await);
}
