//! Pages run a fixed number of statements however much data they show: no query per row.

use crate::helpers::TestApp;

#[tokio::test]
async fn a_thread_page_runs_the_same_few_statements_for_3_or_120_posts() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let small = app.insert_thread(domain, ana, "Small", 2).await;
    let large = app.insert_thread(domain, ana, "Large", 119).await;
    // A member who joins changes what the posts show of their authors (a role), so the posts
    // kept for every viewer (`pages::cached_posts`) would be read again: they join first.
    let member = app.other_browser();
    member.member("bea", domain, "member").await;
    let small_count = app.statements_for(&format!("/t/{small}")).await;
    let large_count = app.statements_for(&format!("/t/{large}")).await;
    assert_eq!(small_count, large_count);
    // The thread with its reports and follow, and the posts with their marks, side by side.
    assert_eq!(small_count, 2, "statements for a visitor's thread page");
    let second_page: i64 = sqlx::query_scalar(
        "SELECT id FROM posts WHERE thread_id = $1 ORDER BY id OFFSET 50 LIMIT 1",
    )
    .bind(large)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let paged = app
        .statements_for(&format!("/t/{large}?from={second_page}"))
        .await;
    // The thread, the posts and the previous page's start together, each found by key.
    assert_eq!(paged, 3, "statements for a later page");

    // A member adds their session, which checks their account as it is read (`auth::store`),
    // and reads only their marks on the posts the visitor's view kept.
    // The first page after logging in also clears the welcome message from the session.
    member.get("/").await;
    let signed_in = member.statements_for(&format!("/t/{small}")).await;
    // The first view also writes how far the member has read; a second view with nothing new
    // to read writes nothing.
    assert_eq!(
        signed_in, 4,
        "statements for a member's first view of a thread"
    );
    let again = member.statements_for(&format!("/t/{small}")).await;
    assert_eq!(
        again, 3,
        "statements for a member's thread page, read before"
    );
    println!(
        "thread page: {small_count} statements for 3 posts, {large_count} for 120, \
         {paged} for page 2, {signed_in} signed in"
    );
}

#[tokio::test]
async fn a_domain_page_runs_the_same_few_statements_for_2_or_40_threads() {
    let app = TestApp::spawn().await;
    let few = app.create_domain("few", "public").await;
    let many = app.create_domain("many", "public").await;
    let ana = app.create_user("ana").await;
    for i in 0..2 {
        app.insert_thread(few, ana, &format!("Few {i}"), 3).await;
    }
    for i in 0..40 {
        app.insert_thread(many, ana, &format!("Many {i}"), 3).await;
    }
    let few_count = app.statements_for("/d/few").await;
    let many_count = app.statements_for("/d/many").await;
    assert_eq!(few_count, many_count);
    // The domain with most of what is beside its list; then the list and the recent reports.
    assert_eq!(few_count, 3, "statements for a visitor's domain page");
    let member = app.other_browser();
    member.member("bea", many, "member").await;
    member.get("/").await;
    let signed_in = member.statements_for("/d/many").await;
    // A member adds their session (with their account) and their Unread and New counts.
    assert_eq!(signed_in, 5, "statements for a member's domain page");
    let unread = member.statements_for("/d/many?view=unread").await;
    assert_eq!(unread, 5, "statements for a member's Unread view");
    println!("domain page: {few_count} statements for 2 threads, {many_count} for 40, {signed_in} signed in");
    assert_eq!(
        app.statements_for("/d").await,
        app.statements_for("/").await
    );
}

#[tokio::test]
async fn search_runs_the_same_statements_for_1_or_60_hits() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    app.insert_thread(domain, ana, "Rare word zymurgy", 0).await;
    for i in 0..60 {
        app.insert_thread(domain, ana, &format!("Common mulch {i}"), 0)
            .await;
    }
    // The search pool sets its statement timeout once per new connection: open them first.
    app.get("/search?q=zymurgy").await;
    app.get("/search?q=mulch").await;
    let one = app.statements_for("/search?q=zymurgy").await;
    let sixty = app.statements_for("/search?q=mulch").await;
    println!("search: {one} statements for 1 hit, {sixty} for 60");
    assert_eq!(one, sixty);
    // The pages really show one hit and a full page of twenty.
    assert!(app
        .get("/search?q=zymurgy")
        .await
        .contains("Rare word zymurgy"));
    let full = app.get("/search?q=mulch").await;
    assert_eq!(
        full.body.matches("Common mulch").count(),
        20,
        "{}",
        full.body
    );
}
