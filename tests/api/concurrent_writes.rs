//! Writes that race (issue 11, findings 7 and 8): two edits of one version never silently drop
//! one of them, and a create form sent twice makes one thing.

use crate::helpers::{all_at_once, Page, TestApp, PASSWORD};
use reqwest::StatusCode;

/// Ana, a member of a public domain "soil", signed in, with a thread whose opening post she wrote.
async fn ana_with_thread(app: &TestApp) -> (i64, i64, i64) {
    let domain = app.create_domain("soil", "public").await;
    let ana = app.create_user("ana").await;
    app.add_member(domain, ana, "member").await;
    app.login("ana", PASSWORD).await;
    let thread = app.start_thread("soil", "Compost", "First text").await;
    let post: i64 = sqlx::query_scalar("SELECT id FROM posts WHERE thread_id = $1")
        .bind(thread)
        .fetch_one(&app.db)
        .await
        .unwrap();
    (domain, thread, post)
}

/// Saves an edit of post `post` as made from `form` (its CSRF token and version).
async fn save_post(app: &TestApp, form: &Page, post: i64, body: &str) -> Page {
    let (csrf, version) = (form.csrf(), form.field("version").expect("a version"));
    app.post(
        &format!("/p/{post}/edit"),
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("title", "Compost"),
            ("body", body),
            ("action", "post"),
        ],
    )
    .await
}

async fn body_of(app: &TestApp, post: i64) -> String {
    sqlx::query_scalar("SELECT body_md FROM posts WHERE id = $1")
        .bind(post)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_stale_edit_comes_back_as_a_conflict_with_both_texts() {
    let app = TestApp::spawn().await;
    let (_, _, post) = ana_with_thread(&app).await;
    // Two tabs open the edit form on the same version.
    let first_tab = app.get(&format!("/p/{post}/edit")).await;
    let second_tab = app.get(&format!("/p/{post}/edit")).await;

    assert!(save_post(&app, &first_tab, post, "Saved in the first tab")
        .await
        .done());
    let conflict = save_post(&app, &second_tab, post, "Written in the second tab").await;

    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert!(conflict.contains("Someone saved a newer version while you were editing"));
    assert!(conflict.contains("Saved in the first tab"), "their text");
    assert!(
        conflict.contains(">Written in the second tab</textarea>"),
        "her own text is kept in the form"
    );
    assert_eq!(body_of(&app, post).await, "Saved in the first tab");

    // The conflict page's form carries the new version: saving again is a deliberate overwrite,
    // and every version is in the history.
    assert!(
        save_post(&app, &conflict, post, "Written in the second tab")
            .await
            .done()
    );
    assert_eq!(body_of(&app, post).await, "Written in the second tab");
    let history = app.get(&format!("/p/{post}/revisions")).await;
    assert!(history.contains("First text") && history.contains("Saved in the first tab"));
}

#[tokio::test]
async fn parallel_saves_of_one_version_keep_exactly_one() {
    let app = TestApp::spawn().await;
    let (_, _, post) = ana_with_thread(&app).await;
    let form = app.get(&format!("/p/{post}/edit")).await;
    let saves = (0..10).map(|n| {
        let (app, form) = (app.same_browser(), form.clone());
        async move { save_post(&app, &form, post, &format!("Version {n}")).await }
    });
    let answers = all_at_once(saves.collect()).await;

    let saved: Vec<usize> = (0..10).filter(|&n| answers[n].done()).collect();
    assert_eq!(saved.len(), 1, "exactly one save from a version is taken");
    assert!(answers
        .iter()
        .filter(|a| !a.done())
        .all(|a| a.status == StatusCode::CONFLICT));
    assert_eq!(body_of(&app, post).await, format!("Version {}", saved[0]));
    let revisions = app
        .count(&format!(
            "SELECT count(*) FROM post_revisions WHERE post_id = {post}"
        ))
        .await;
    assert_eq!(revisions, 1, "the one replaced version is kept");
}

#[tokio::test]
async fn parallel_saves_of_an_entry_keep_exactly_one() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("soil", "public").await;
    app.member("fay", domain, "facilitator").await;
    let entry = app.insert_entry(domain, "Sheet mulching").await;
    let form = app.get(&format!("/r/{entry}/edit")).await;
    let (csrf, version) = (form.csrf(), form.field("version").expect("a version"));
    let saves = (0..6).map(|n| {
        let (app, csrf, version) = (app.same_browser(), csrf.clone(), version.clone());
        async move {
            app.post(
                &format!("/r/{entry}/edit"),
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("kind", "how-to"),
                    ("title", "Sheet mulching"),
                    ("summary", &format!("Summary {n}")),
                    ("body", ""),
                    ("tags", ""),
                ],
            )
            .await
        }
    });
    let answers = all_at_once(saves.collect()).await;

    assert_eq!(answers.iter().filter(|a| a.done()).count(), 1);
    let conflict = answers.iter().find(|a| !a.done()).expect("a conflict");
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert!(conflict.contains("Someone saved a newer version while you were editing"));
    let revisions = app
        .count(&format!(
            "SELECT count(*) FROM repertoire_revisions WHERE entry_id = {entry}"
        ))
        .await;
    assert_eq!(revisions, 1);
}

/// Sends one filled-in form three times at once and once more afterwards, as a member pressing
/// the button repeatedly on a slow connection would; returns the four answers.
async fn send_four_times(app: &TestApp, action: &str, fields: Vec<(String, String)>) -> Vec<Page> {
    let send = |app: TestApp, fields: Vec<(String, String)>, action: String| async move {
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        app.post(&action, &fields).await
    };
    let sends = (0..3).map(|_| send(app.same_browser(), fields.clone(), action.to_string()));
    let mut answers = all_at_once(sends.collect()).await;
    answers.push(send(app.same_browser(), fields, action.to_string()).await);
    answers
}

/// The hidden fields of a form page (CSRF token and submission key) with `fields` added.
fn filled(form: &Page, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut all = vec![
        ("csrf".to_string(), form.csrf()),
        (
            "key".to_string(),
            form.field("key").expect("a submission key"),
        ),
    ];
    all.extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    all
}

/// Every answer is a redirect to the same place, and the repeats say nothing was sent twice.
async fn all_lead_to_one_place(app: &TestApp, answers: &[Page]) -> String {
    assert!(answers.iter().all(Page::done), "every send is answered");
    let target = answers[0].location.clone().expect("a redirect");
    assert!(answers.iter().all(|a| a.location.as_ref() == Some(&target)));
    let mut shown = app.get(&target).await;
    if let Some(permalink_target) = shown.location.clone() {
        shown = app.get(&permalink_target).await;
    }
    assert!(
        shown.contains("Nothing was posted twice"),
        "{target}: {}",
        shown.body
    );
    target
}

#[tokio::test]
async fn a_create_form_sent_again_makes_one_thing() {
    let app = TestApp::spawn().await;
    let (domain, thread, _) = ana_with_thread(&app).await;

    let form = app.get("/d/soil/new").await;
    let fields = filled(
        &form,
        &[
            ("title", "Leaf mould"),
            ("kind", "question"),
            ("body", "How long?"),
            ("action", "post"),
        ],
    );
    let answers = send_four_times(&app, "/d/soil/new", fields).await;
    all_lead_to_one_place(&app, &answers).await;
    let threads = "SELECT count(*) FROM threads WHERE title = 'Leaf mould'";
    assert_eq!(app.count(threads).await, 1);

    let form = app.get(&format!("/t/{thread}")).await;
    let fields = filled(&form, &[("body", "Two years."), ("action", "post")]);
    let answers = send_four_times(&app, &format!("/t/{thread}/reply"), fields).await;
    all_lead_to_one_place(&app, &answers).await;
    assert_eq!(
        app.count("SELECT count(*) FROM posts WHERE body_md = 'Two years.'")
            .await,
        1
    );

    let entry = app.insert_entry(domain, "Sheet mulching").await;
    let form = app.get(&format!("/r/{entry}/report")).await;
    let fields = filled(
        &form,
        &[
            ("context", "Plot 4"),
            ("tried", "Cardboard"),
            ("outcome", "worked"),
            ("reflection", ""),
        ],
    );
    let answers = send_four_times(&app, &format!("/r/{entry}/report"), fields).await;
    all_lead_to_one_place(&app, &answers).await;
    let tallies = format!(
        "SELECT (reports_count + worked_count)::bigint FROM repertoire_entries WHERE id = {entry}"
    );
    assert_eq!(app.count(&tallies).await, 2, "the report is counted once");

    let form = app.get("/d/soil/repertoire/new").await;
    let fields = filled(
        &form,
        &[
            ("kind", "story"),
            ("title", "Our first heap"),
            ("summary", "It worked"),
            ("body", ""),
            ("tags", ""),
        ],
    );
    let answers = send_four_times(&app, "/d/soil/repertoire/new", fields).await;
    all_lead_to_one_place(&app, &answers).await;
    let entries = "SELECT count(*) FROM repertoire_entries WHERE title = 'Our first heap'";
    assert_eq!(app.count(entries).await, 1);

    let form = app.get("/d/soil/events/new").await;
    let fields = filled(
        &form,
        &[
            ("title", "Seed swap"),
            ("starts", "2027-07-01T18:00"),
            ("ends", "2027-07-01T20:00"),
            ("time_zone", "Europe/Lisbon"),
            ("place", "Hut"),
            ("link", ""),
            ("agenda", ""),
        ],
    );
    let answers = send_four_times(&app, "/d/soil/events/new", fields).await;
    all_lead_to_one_place(&app, &answers).await;
    assert_eq!(app.count("SELECT count(*) FROM events").await, 1);

    // A fresh form is a fresh key: writing the same thing again on purpose still works.
    let again = app.start_thread("soil", "Leaf mould", "Asking again").await;
    assert_eq!(app.count(threads).await, 2);
    assert!(again > 0);
}

#[tokio::test]
async fn a_form_that_failed_its_checks_can_be_fixed_and_sent_with_the_same_key() {
    let app = TestApp::spawn().await;
    ana_with_thread(&app).await;
    let form = app.get("/d/soil/new").await;
    let empty_title = filled(
        &form,
        &[("title", ""), ("kind", "discussion"), ("body", "Text")],
    );
    let pairs: Vec<(&str, &str)> = empty_title
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let refused = app.post("/d/soil/new", &pairs).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.field("key"), form.field("key"), "the key is kept");

    let fixed = filled(
        &refused,
        &[("title", "Fixed"), ("kind", "discussion"), ("body", "Text")],
    );
    let pairs: Vec<(&str, &str)> = fixed
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sent = app.post("/d/soil/new", &pairs).await;
    assert!(sent.done());
    assert_eq!(
        app.count("SELECT count(*) FROM threads WHERE title = 'Fixed'")
            .await,
        1
    );
}

#[tokio::test]
async fn posts_written_to_one_thread_at_once_are_numbered_in_turn() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("soil", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(domain, ana, "Compost", 2).await;
    // Written straight to the database, without the lock a reply takes first, each held open
    // for a moment so that they overlap.
    let writes = (0..8).map(|n| {
        let db = app.db.clone();
        async move {
            let mut tx = db.begin().await.expect("a transaction");
            sqlx::query(
                "INSERT INTO posts (thread_id, author_id, body_md, body_html)
                 VALUES ($1, $2, $3, '<p>A reply</p>')",
            )
            .bind(thread)
            .bind(ana)
            .bind(format!("Reply {n}"))
            .execute(&mut *tx)
            .await
            .expect("the reply is written");
            sqlx::query("SELECT pg_sleep(0.05)")
                .execute(&mut *tx)
                .await
                .expect("a pause");
            tx.commit().await.expect("the reply is kept");
        }
    });
    all_at_once(writes.collect()).await;

    let numbers: Vec<i32> =
        sqlx::query_scalar("SELECT number FROM posts WHERE thread_id = $1 ORDER BY id")
            .bind(thread)
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        numbers,
        (1..=11).collect::<Vec<_>>(),
        "in the order of their ids"
    );
    let page = app.get(&format!("/t/{thread}")).await;
    assert!(page.contains("10 replies"), "the reply count");
    assert!(page.contains("· #11</span>"), "the last post's number");
}
