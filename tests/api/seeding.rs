//! Loading community files: validation with file and line, atomicity, idempotence.

use crate::helpers::{fresh_database, load_community};
use commonplace::admin::seed::{self, SeedFailure};

#[tokio::test]
async fn the_demo_seeds_and_a_second_run_changes_nothing() {
    let db = fresh_database().await;
    let first = load_community(&db, seed::DEMO_NAME, seed::DEMO, Some("demo-password-1"))
        .await
        .unwrap();
    assert!(
        first.users >= 12 && first.domains >= 3 && first.threads > 0 && first.entries > 0,
        "{first}"
    );
    let counts = |db: sqlx::PgPool| async move {
        sqlx::query_as::<_, (i64, i64, i64, i64, i64)>(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM domains),
                    (SELECT count(*) FROM memberships), (SELECT count(*) FROM posts),
                    (SELECT count(*) FROM repertoire_entries)",
        )
        .fetch_one(&db)
        .await
        .unwrap()
    };
    let before = counts(db.clone()).await;
    let second = load_community(&db, seed::DEMO_NAME, seed::DEMO, Some("demo-password-1"))
        .await
        .unwrap();
    assert!(second.is_empty(), "second run wrote {second}");
    assert_eq!(counts(db.clone()).await, before);
}

fn invalid(outcome: Result<seed::SeedReport, SeedFailure>) -> seed::SeedError {
    match outcome {
        Err(SeedFailure::Invalid(err)) => err,
        other => panic!("expected the file to be refused, got {other:?}"),
    }
}

const VALID_START: &str = r#"
[[users]]
username = "ana"
email = "ana@example.org"

[[domains]]
slug = "gardens"
name = "Gardens"
charter = "Growing things."
facilitators = ["ana"]
"#;

#[tokio::test]
async fn an_unknown_facilitator_names_its_line_and_loads_nothing() {
    let db = fresh_database().await;
    let source = format!(
        "{VALID_START}
[[domains]]
slug = \"kitchens\"
name = \"Kitchens\"
charter = \"Cooking.\"
facilitators = [\"nobody\"]
"
    );
    let err = invalid(load_community(&db, "community.toml", &source, None).await);
    assert_eq!(err.file, "community.toml");
    assert_eq!(err.line, Some(16), "{err}");
    assert!(err.message.contains("no user `nobody`"), "{err}");
    assert!(
        err.to_string()
            .starts_with("community.toml:16: facilitators:"),
        "{err}"
    );
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&db)
        .await
        .unwrap();
    let domains: i64 = sqlx::query_scalar("SELECT count(*) FROM domains")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!((users, domains), (0, 0), "nothing half-loaded");
}

#[tokio::test]
async fn a_duplicate_slug_is_refused() {
    let db = fresh_database().await;
    let source = format!(
        "{VALID_START}\n[[domains]]\nslug = \"gardens\"\nname = \"Again\"\ncharter = \"x\"\n"
    );
    let err = invalid(load_community(&db, "c.toml", &source, None).await);
    assert_eq!(err.line, Some(13), "{err}");
    assert!(err.message.contains("used by two domains"), "{err}");
}

#[tokio::test]
async fn a_syntax_error_names_its_line() {
    let db = fresh_database().await;
    let source = "[[users]]\nusername = \"ana\"\nemail = ana@example.org\n";
    let err = invalid(load_community(&db, "broken.toml", source, None).await);
    assert_eq!(err.line, Some(3), "{err}");
}

#[tokio::test]
async fn an_unknown_field_is_refused() {
    let db = fresh_database().await;
    let source = format!("{VALID_START}colour = \"green\"\n");
    let err = invalid(load_community(&db, "c.toml", &source, None).await);
    assert!(err.message.contains("colour"), "{err}");
    assert_eq!(err.line, Some(11), "{err}");
}

#[tokio::test]
async fn a_thread_author_outside_the_domain_is_refused() {
    let db = fresh_database().await;
    let source = format!(
        "{VALID_START}
[[users]]
username = \"bea\"
email = \"bea@example.org\"

[[domains.threads]]
title = \"Hello\"
author = \"bea\"
body = \"Hi\"
"
    );
    // `[[domains.threads]]` after a top-level `[[users]]` belongs to the last domain.
    let err = invalid(load_community(&db, "c.toml", &source, None).await);
    assert!(
        err.message
            .contains("not a facilitator or member of domain `gardens`"),
        "{err}"
    );
    assert_eq!(err.line, Some(18), "{err}");
}

#[tokio::test]
async fn a_user_whose_email_is_already_registered_is_left_alone() {
    let db = fresh_database().await;
    sqlx::query("INSERT INTO users (username, display_name, email, password_hash) VALUES ('zed', 'Zed', 'BEA@example.org', 'x')")
        .execute(&db)
        .await
        .unwrap();
    let source =
        format!("{VALID_START}\n[[users]]\nusername = \"bea\"\nemail = \"bea@example.org\"\n");
    let outcome = load_community(&db, "c.toml", &source, None).await;
    // The account with that email (in another letter case) counts as already here.
    assert!(outcome.is_ok(), "{outcome:?}");
    let bea: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE username = 'bea'")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(bea, 0);
}

#[tokio::test]
async fn an_overlong_display_name_is_refused_before_anything_is_written() {
    let db = fresh_database().await;
    let long = "x".repeat(81);
    let source = format!(
        "[[users]]\nusername = \"ana\"\nemail = \"ana@example.org\"\ndisplay_name = \"{long}\"\n"
    );
    let err = invalid(load_community(&db, "c.toml", &source, None).await);
    assert_eq!(err.line, Some(4), "{err}");
    assert!(err.message.starts_with("display_name:"), "{err}");
}

#[tokio::test]
async fn events_in_a_community_file_are_checked_and_loaded_once() {
    let db = fresh_database().await;
    let event = |zone: &str| {
        format!("{VALID_START}\n[[domains.events]]\ntitle = \"Swap\"\norganiser = \"ana\"\nstarts = \"2027-03-01T10:00\"\nends = \"2027-03-01T12:00\"\ntime_zone = \"{zone}\"\n")
    };
    let err = invalid(load_community(&db, "c.toml", &event("Mars/Base"), None).await);
    assert_eq!(err.line, Some(17), "{err}");
    assert!(err.message.contains("not a known time zone"), "{err}");
    let first = load_community(&db, "c.toml", &event("Europe/Lisbon"), None)
        .await
        .unwrap();
    assert_eq!(first.events, 1);
    let second = load_community(&db, "c.toml", &event("Europe/Lisbon"), None)
        .await
        .unwrap();
    assert!(second.is_empty(), "{second}");
}

#[tokio::test]
async fn an_escaped_nul_in_a_community_file_is_refused_with_its_line() {
    let db = fresh_database().await;
    let source = format!("{VALID_START}\n[[users]]\nusername = \"bea\"\nemail = \"bea@example.org\"\nbio = \"a\\u0000b\"\n");
    let err = invalid(load_community(&db, "c.toml", &source, None).await);
    assert_eq!(err.line, Some(15), "{err}");
}

#[tokio::test]
async fn mentions_in_seeded_posts_link_to_the_member() {
    let db = fresh_database().await;
    let source = format!(
        "{VALID_START}
[[domains.threads]]
title = \"Hello\"
author = \"ana\"
body = \"Welcome, @ana and @nobody.\"
"
    );
    load_community(&db, "c.toml", &source, None).await.unwrap();
    let html: String = sqlx::query_scalar(
        "SELECT p.body_html FROM posts p JOIN threads t ON t.id = p.thread_id WHERE t.title = 'Hello'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(html.contains("href=\"/u/ana\""), "{html}");
    assert!(
        html.contains("@nobody") && !html.contains("/u/nobody"),
        "{html}"
    );
}

#[tokio::test]
async fn a_seeded_charter_obeys_the_charter_limits() {
    let db = fresh_database().await;
    let source = format!(
        "{VALID_START}
[[domains]]
slug = \"kitchens\"
name = \"Kitchens\"
charter = \"Cooking.\"
practice_focus = \"{}\"
facilitators = [\"ana\"]
",
        "f".repeat(1001)
    );
    let err = invalid(load_community(&db, "c.toml", &source, None).await);
    assert!(err.message.starts_with("practice_focus:"), "{err}");
    assert!(err.message.contains("1000 characters"), "{err}");
}

#[tokio::test]
async fn a_community_file_invites_people_by_email_once() {
    let app = crate::helpers::TestApp::spawn().await;
    let bad = format!("{VALID_START}invite = [\"bea@example.org\", \"not an address\"]\n");
    let err = invalid(load_community(&app.db, "c.toml", &bad, None).await);
    assert_eq!(err.line, Some(11), "{err}");
    assert!(
        err.to_string().contains("invite: Enter an email address"),
        "{err}"
    );
    assert_eq!(app.count("SELECT count(*) FROM invitations").await, 0);

    // ana is listed as a user too: her address is a member already and is not invited.
    let good = format!(
        "{VALID_START}invite = [\"bea@example.org\", \"Carl@Example.org\", \"ana@example.org\"]\n"
    );
    let report = load_community(&app.db, "c.toml", &good, None)
        .await
        .unwrap();
    assert_eq!(report.invitations, 2, "{report}");
    let subject: String =
        sqlx::query_scalar("SELECT subject FROM outbox WHERE to_address = 'bea@example.org'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(subject, "ana invites you to Gardens on Commonplace");
    let again = load_community(&app.db, "c.toml", &good, None)
        .await
        .unwrap();
    assert!(again.is_empty(), "nobody is invited twice: {again}");
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 2);

    // The link in the message opens the invitation.
    let link = app
        .mailed_link("bea@example.org", "http://127.0.0.1:3000/invite/")
        .await
        .expect("a link");
    let page = app
        .get(link.trim_start_matches("http://127.0.0.1:3000"))
        .await;
    assert_eq!(page.status, reqwest::StatusCode::OK);
    assert!(page.contains("Gardens"), "{}", page.body);
}
