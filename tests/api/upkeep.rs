//! Knowledge upkeep (issue 16, point 1): entries come due for review by their date and by their
//! practice reports; stewards and facilitators verify, date, retire or replace them; every act
//! is in the entry's history.

use reqwest::StatusCode;
use time::{Date, Duration, OffsetDateTime};

use crate::helpers::TestApp;

/// A form's fields, as sent.
type Fields<'a> = &'a [(&'a str, &'a str)];

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

async fn mark_due(app: &TestApp, today: Date) -> u64 {
    commonplace::educate::upkeep::queries::mark_due(&app.db, today)
        .await
        .unwrap()
}

async fn state_of(app: &TestApp, entry: i64) -> String {
    sqlx::query_scalar("SELECT state FROM repertoire_entries WHERE id = $1")
        .bind(entry)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_entry_enters_review_when_its_date_comes_and_its_steward_verifies_it() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let fay = app.member_browser("fay", gardens, "facilitator").await;
    let sam = app.member_browser("sam", gardens, "member").await;
    let bob = app.member_browser("bob", gardens, "member").await;
    let entry = app.insert_entry(gardens, "Sheet mulching").await;

    // A new entry is due after the domain's period (12 months).
    let due: Date = sqlx::query_scalar("SELECT review_by FROM repertoire_entries WHERE id = $1")
        .bind(entry)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(due > today() + Duration::days(360) && due < today() + Duration::days(370));

    // A facilitator names Sam its steward; an unknown name comes back named, the text kept.
    let steward = format!("/r/{entry}/steward");
    let upkeep = format!("/r/{entry}/upkeep");
    let unknown = fay
        .submit(&upkeep, &steward, &[("steward", "nobody")])
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.contains("id=\"steward-error\"") && unknown.contains("value=\"nobody\""));
    assert!(fay
        .submit(&upkeep, &steward, &[("steward", "@Sam")])
        .await
        .done());
    assert_eq!(
        sam.act(&steward, &[("steward", "sam")]).await.status,
        StatusCode::FORBIDDEN
    );

    // Nothing before the day; on the day, once, by the site, with the reason.
    assert_eq!(mark_due(&app, due - Duration::days(1)).await, 0);
    assert_eq!(mark_due(&app, due).await, 1);
    assert_eq!(mark_due(&app, due + Duration::days(1)).await, 0, "once");
    assert_eq!(state_of(&app, entry).await, "needs_review");
    let queue = sam.get("/d/gardens/review").await;
    assert!(queue.contains("Sheet mulching"), "{}", queue.body);
    assert!(queue.contains(&format!("Its review date, {due}, came.")));
    assert!(fay
        .get("/d/gardens/review")
        .await
        .contains("Sheet mulching"));
    assert_eq!(
        bob.get("/d/gardens/review").await.status,
        StatusCode::FORBIDDEN
    );
    let listed = bob.get("/d/gardens/repertoire").await;
    assert!(listed.contains("<span class=\"tag state\">needs review</span>"));
    let page = bob.get(&format!("/r/{entry}")).await;
    assert!(page.contains("This entry waits for review") && page.contains("Kept current by"));
    assert!(
        !page.contains(&format!("href=\"{upkeep}\"")),
        "only for its keepers"
    );
    assert_eq!(bob.get(&upkeep).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        bob.act(&upkeep, &[("act", "verify")]).await.status,
        StatusCode::FORBIDDEN
    );

    // Its steward verifies it: current again, due a period from today, out of the queue.
    assert!(sam
        .get(&format!("/r/{entry}"))
        .await
        .contains(&format!("href=\"{upkeep}\"")));
    assert!(sam
        .submit(
            &upkeep,
            &upkeep,
            &[("act", "verify"), ("note", "Still works on clay")]
        )
        .await
        .done());
    assert_eq!(state_of(&app, entry).await, "current");
    assert!(!sam
        .get("/d/gardens/review")
        .await
        .contains("Sheet mulching"));
    let history = bob.get(&format!("/r/{entry}")).await;
    assert!(history.contains("Verified") && history.contains("Still works on clay"));
    assert!(history.contains("Put in review") && history.contains("by the site"));
    assert!(history.contains("Steward changed") && history.contains("Steward: sam."));
}

#[tokio::test]
async fn practice_reports_that_go_against_an_entry_put_it_in_review() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let entry = app.insert_entry(gardens, "Beer traps for slugs").await;
    assert!(ana.report(entry, "worked").await.done());
    assert!(ana.report(entry, "did_not").await.done());
    assert_eq!(
        state_of(&app, entry).await,
        "current",
        "one each: not against it"
    );
    assert!(ana.report(entry, "did_not").await.done());
    assert_eq!(state_of(&app, entry).await, "needs_review");
    let page = ana.get(&format!("/r/{entry}")).await;
    assert!(
        page.contains(
            "Practice reports go against it: of the last 3, 2 did not work and 1 worked."
        ),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn bad_upkeep_is_named_beside_its_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let orchards = app.create_domain("orchards", "public").await;
    let fay = app.member_browser("fay", gardens, "facilitator").await;
    let entry = app.insert_entry(gardens, "Old way").await;
    let elsewhere = app.insert_entry(orchards, "Orchard way").await;
    let newer = app.insert_entry(gardens, "New way").await;
    let upkeep = format!("/r/{entry}/upkeep");
    let history = "SELECT count(*) FROM entry_upkeep";

    let yesterday = (today() - Duration::days(1)).to_string();
    let cases: [(Fields, &str, &str); 5] = [
        (
            &[("act", "review_by"), ("review_by", &yesterday)],
            "review_by",
            "Choose a date after today",
        ),
        (
            &[("act", "verify"), ("review_by", "soon")],
            "review_by",
            "Give a date",
        ),
        (
            &[("act", "obsolete"), ("replacement", &format!("/r/{entry}"))],
            "replacement",
            "cannot replace itself",
        ),
        (
            &[("act", "obsolete"), ("replacement", &elsewhere.to_string())],
            "replacement",
            "No entry of this domain",
        ),
        (&[("act", "shred")], "act", "Choose what to do"),
    ];
    for (fields, field, problem) in cases {
        let answer = fay.submit(&upkeep, &upkeep, fields).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}"
        );
        assert!(
            answer.contains(&format!("id=\"{field}-error\"")) && answer.contains(problem),
            "{fields:?}: {}",
            answer.body
        );
    }
    let kept = fay
        .submit(
            &upkeep,
            &upkeep,
            &[
                ("act", "obsolete"),
                ("replacement", "9999"),
                ("note", "Kept note"),
            ],
        )
        .await;
    assert!(kept.contains("value=\"Kept note\"") && kept.contains("value=\"9999\""));
    assert_eq!(app.count(history).await, 0);
    assert_eq!(state_of(&app, entry).await, "current");

    // A real replacement: obsolete, pointing at it, in lists and on the page.
    assert!(fay
        .submit(
            &upkeep,
            &upkeep,
            &[
                ("act", "obsolete"),
                ("replacement", &format!("https://x.example/r/{newer}"))
            ]
        )
        .await
        .done());
    assert_eq!(state_of(&app, entry).await, "obsolete");
    let page = fay.get(&format!("/r/{entry}")).await;
    assert!(
        page.contains(&format!("Read <a href=\"/r/{newer}\">New way</a> instead.")),
        "{}",
        page.body
    );
    assert!(fay
        .get("/search?q=old")
        .await
        .contains("<span class=\"tag state\">obsolete</span>"));
    // A later date keeps the state; unknown entries are not found.
    let later = (today() + Duration::days(30)).to_string();
    assert!(fay
        .submit(
            &upkeep,
            &upkeep,
            &[("act", "review_by"), ("review_by", &later)]
        )
        .await
        .done());
    assert_eq!(state_of(&app, entry).await, "obsolete");
    assert_eq!(
        fay.get("/r/99999/upkeep").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        fay.get("/d/nowhere/review").await.status,
        StatusCode::NOT_FOUND
    );
}
