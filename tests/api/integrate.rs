//! Integrate: practice reports, tallies, commitments, what we learned.

use crate::helpers::{TestApp, PASSWORD};
use commonplace::integrate::send_due_reminders;
use reqwest::StatusCode;

async fn entry_in_gardens() -> (TestApp, i64, i64) {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let id = app.insert_entry(domain, "Cardboard mulch").await;
    (app, domain, id)
}

async fn tally(app: &TestApp, entry: i64) -> (i32, i32, i32, i32) {
    sqlx::query_as("SELECT reports_count, worked_count, partly_count, did_not_count FROM repertoire_entries WHERE id = $1")
        .bind(entry)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn reports_build_the_tally_shown_on_the_entry_profile_and_domain() {
    let (app, domain, entry) = entry_in_gardens().await;
    for (name, outcome) in [("ana", "worked"), ("bea", "worked"), ("cal", "partly")] {
        let browser = app.other_browser();
        browser.member(name, domain, "member").await;
        let page = browser.report(entry, outcome).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{name}");
    }
    assert_eq!(tally(&app, entry).await, (3, 2, 1, 0));
    let page = app.get(&format!("/r/{entry}")).await;
    assert!(page.contains("Applied 3 times: 2 worked, 1 partly, 0 did not."));
    assert!(page.contains("Two layers of cardboard") && page.contains("Wet it first"));
    assert!(
        app.get("/u/ana").await.contains("Cardboard mulch"),
        "on the reporter's profile"
    );
    assert!(
        app.get("/d/gardens")
            .await
            .contains("Recently put into practice"),
        "in the domain's activity"
    );
    assert!(app
        .get("/d/gardens/repertoire?sort=applied")
        .await
        .contains("applied 3×"));
}

#[tokio::test]
async fn editing_a_report_moves_the_tally() {
    let (app, domain, entry) = entry_in_gardens().await;
    app.member("ana", domain, "member").await;
    let filed = app.report(entry, "did_not").await;
    assert_eq!(tally(&app, entry).await, (1, 0, 0, 1));
    let id: i64 = sqlx::query_scalar("SELECT id FROM practice_reports")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(filed.location.unwrap().ends_with(&format!("#report-{id}")));
    let edit = format!("/reports/{id}/edit");
    let saved = app
        .submit(
            &edit,
            &edit,
            &[
                ("context", "My allotment"),
                ("tried", "Three layers"),
                ("outcome", "partly"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(tally(&app, entry).await, (1, 0, 1, 0));
    let other = app.other_browser();
    other.member("bea", domain, "member").await;
    assert_eq!(
        other.get(&edit).await.status,
        StatusCode::FORBIDDEN,
        "only its author edits a report"
    );
}

#[tokio::test]
async fn members_report_back_on_threads_too() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.member("ana", domain, "member").await;
    let thread = app.insert_thread(domain, ana, "Watering at dawn", 0).await;
    let path = format!("/t/{thread}/report");
    let page = app
        .submit(
            &path,
            &path,
            &[
                ("context", "Greenhouse"),
                ("tried", "Dawn watering"),
                ("outcome", "worked"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let thread_page = app.get(&format!("/t/{thread}")).await;
    assert!(thread_page.contains("Dawn watering") && thread_page.contains("Worked"));
}

#[tokio::test]
async fn a_thread_shows_the_reports_on_the_entry_made_from_it() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.member("ana", domain, "member").await;
    let thread = app.insert_thread(domain, ana, "Slugs on lettuce", 1).await;
    let other = app.insert_thread(domain, ana, "Aphids", 0).await;
    let answer = app
        .count(&format!(
            "SELECT max(id) FROM posts WHERE thread_id = {thread}"
        ))
        .await;
    let entry = app
        .insert_entry_from(
            domain,
            "how-to",
            "Beer traps for slugs",
            "A saucer of beer",
            answer,
        )
        .await;
    let empty = app.get(&format!("/t/{thread}")).await;
    assert!(empty.contains("Nobody has reported back on applying this thread yet."));
    assert!(app.report(entry, "worked").await.done());

    let page = app.get(&format!("/t/{thread}")).await;
    assert!(
        !page.contains("Nobody has reported back"),
        "the entry's report counts for the thread it came from"
    );
    assert!(page.contains(&format!(
        "On the repertoire entry made from this thread, <a href=\"/r/{entry}\">Beer traps for slugs</a>"
    )));
    assert!(page.contains("Worked"));
    // Another thread does not show it.
    assert!(app
        .get(&format!("/t/{other}"))
        .await
        .contains("Nobody has reported back on applying this thread yet."));
}

/// 23 reports by bea on the subject (`thread_id` or `entry_id`), "Try 01" the newest; every
/// third did not work.
async fn twenty_three_reports_by_bea(app: &TestApp, column: &str, subject: i64) {
    sqlx::query(&format!(
        "INSERT INTO practice_reports ({column}, author_id, context, tried, outcome, reflection, created_at)
         SELECT $1, u.id, 'Plot', 'Try ' || lpad(n::text, 2, '0'),
                CASE WHEN n % 3 = 0 THEN 'did_not' ELSE 'worked' END, 'Lesson ' || n,
                now() - n * interval '1 minute'
           FROM generate_series(1, 23) n, users u WHERE u.username = 'bea'"
    ))
    .bind(subject)
    .execute(&app.db)
    .await
    .unwrap();
}

fn tried(n: u32) -> String {
    format!("Try {n:02}")
}

/// Whether the page shows exactly the reports numbered in `range`, of the 23.
fn shows(page: &crate::helpers::Page, range: std::ops::RangeInclusive<u32>) -> bool {
    (1..=23).all(|n| page.contains(&tried(n)) == range.contains(&n))
}

async fn report_id(app: &TestApp, n: u32) -> i64 {
    app.count(&format!(
        "SELECT id FROM practice_reports WHERE tried = '{}'",
        tried(n)
    ))
    .await
}

#[tokio::test]
async fn a_long_applied_thread_shows_its_newest_reports_and_the_rest_a_page_at_a_time() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let council = app.create_domain("council", "private").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let bea = app.member_browser("bea", gardens, "member").await;
    let thread = ana.ask("gardens", "Clubroot in brassicas?", "Help").await;
    let answer = bea.answer(thread, "Lime the bed to pH 7.2.").await;
    assert!(ana.accept(thread, answer).await.done());
    twenty_three_reports_by_bea(&app, "thread_id", thread).await;

    let page = ana.get(&format!("/t/{thread}")).await;
    assert!(shows(&page, 1..=5), "the newest five: {}", page.body);
    assert!(page.contains(&format!(
        "<a href=\"/t/{thread}/reports\">All reports on this thread</a>"
    )));
    assert!(
        page.contains("In practice: applied 23 times: 16 worked, 7 did not."),
        "the tally counts every report, not the ones shown"
    );

    let first = ana.get(&format!("/t/{thread}/reports")).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(shows(&first, 1..=20), "{}", first.body);
    assert!(first.contains("<title>Practice reports: Clubroot in brassicas?"));
    assert!(first.contains(&format!(
        "<a href=\"/t/{thread}\">← Clubroot in brassicas?</a>"
    )));
    let older = format!("/t/{thread}/reports?from={}", report_id(&app, 21).await);
    assert!(first.contains(&format!("href=\"{older}\" rel=\"next\">Older reports")));
    let second = ana.get(&older).await;
    assert!(shows(&second, 21..=23), "{}", second.body);
    assert!(second.contains("Newest reports") && !second.contains("Older reports"));

    // Wherever a report is linked (here, its author's profile), the link opens a page with it.
    let old = report_id(&app, 15).await;
    let link = format!("/t/{thread}/reports?from={old}#report-{old}");
    assert!(bea.get("/u/bea").await.contains(&link));
    assert!(bea
        .get(link.split('#').next().unwrap())
        .await
        .contains(&format!("id=\"report-{old}\"")));

    // Editing it comes back to it there.
    let edit = format!("/reports/{old}/edit");
    let fields = [
        ("context", "Plot"),
        ("tried", "Try 15 again"),
        ("outcome", "partly"),
    ];
    let saved = bea.submit(&edit, &edit, &fields).await;
    assert!(saved.location.unwrap().ends_with(&link));

    // A start that is no report of this thread, or no number, or a thread the reader may not
    // read, finds nothing.
    let other = ana.ask("gardens", "Carrot fly?", "Help").await;
    let elsewhere = format!("/t/{other}/reports?from={old}");
    assert_eq!(ana.get(&elsewhere).await.status, StatusCode::NOT_FOUND);
    let unknown = format!("/t/{thread}/reports?from=999999999");
    assert_eq!(ana.get(&unknown).await.status, StatusCode::NOT_FOUND);
    let damaged = format!("/t/{thread}/reports?from=soon");
    assert_eq!(ana.get(&damaged).await.status, StatusCode::BAD_REQUEST);
    let empty = ana.get(&format!("/t/{other}/reports")).await;
    assert!(empty.contains("Nobody has reported back on applying this thread yet."));
    assert!(!empty.contains("Older reports"));
    assert!(!ana
        .get(&format!("/t/{other}"))
        .await
        .contains("All reports on this thread"));
    let eve = app.member_browser("eve", council, "member").await;
    let secret = eve.ask("council", "Budget", "?").await;
    let hidden_from = app.other_browser();
    let path = format!("/t/{secret}/reports");
    assert_eq!(hidden_from.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(ana.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(eve.get(&path).await.status, StatusCode::OK);
}

#[tokio::test]
async fn incomplete_reports_and_outsiders_are_refused() {
    let (app, domain, entry) = entry_in_gardens().await;
    app.member("ana", domain, "member").await;
    let path = format!("/r/{entry}/report");
    let page = app
        .submit(
            &path,
            &path,
            &[
                ("context", " "),
                ("tried", "Kept words"),
                ("outcome", "maybe"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("id=\"context-error\"")
            && page.contains("id=\"outcome-error\"")
            && page.contains("Kept words</textarea>")
    );

    let outsider = app.other_browser();
    outsider.create_user("zed").await;
    outsider.login("zed", PASSWORD).await;
    assert_eq!(outsider.get(&path).await.status, StatusCode::FORBIDDEN);
    let refused = outsider
        .submit(
            "/",
            &path,
            &[("context", "c"), ("tried", "t"), ("outcome", "worked")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "reporting in a domain you are not a member of"
    );
    let circle = app.create_domain("circle", "private").await;
    let secret: i64 = sqlx::query_scalar("INSERT INTO repertoire_entries (domain_id, kind, title) VALUES ($1, 'story', 'S') RETURNING id")
        .bind(circle).fetch_one(&app.db).await.unwrap();
    assert_eq!(
        outsider.get(&format!("/r/{secret}/report")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.count("SELECT count(*) FROM practice_reports").await, 0);
}

#[tokio::test]
async fn a_commitment_falls_due_reminds_once_and_a_report_fulfils_it() {
    let (app, domain, entry) = entry_in_gardens().await;
    app.member("ana", domain, "member").await;
    let past = app
        .submit(
            &format!("/r/{entry}"),
            &format!("/r/{entry}/commit"),
            &[("intention", "Try it"), ("due_on", "2020-01-01")],
        )
        .await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(past.contains(
        "<p class=\"field-error\" id=\"due_on-error\">That date has passed: choose today or a later day.</p>"
    ));
    assert!(past.contains("value=\"Try it\""), "the intention is kept");
    // No date and no intention: both named, next to their fields; nothing is saved.
    let empty = app
        .submit(
            &format!("/r/{entry}/commit"),
            &format!("/r/{entry}/commit"),
            &[("intention", "  "), ("due_on", "")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.contains("id=\"intention-error\">Say what you will try.</p>"));
    assert!(empty.contains("id=\"due_on-error\">Choose the date by which you will try it.</p>"));
    assert_eq!(app.count("SELECT count(*) FROM commitments").await, 0);
    let due = (time::OffsetDateTime::now_utc().date() + time::Duration::days(7)).to_string();
    let made = app.commit(entry, &due).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);
    assert!(app
        .get("/me/commitments")
        .await
        .contains("Try it on my plot"));

    let today = time::OffsetDateTime::now_utc().date();
    assert_eq!(
        send_due_reminders(&app.db, today).await.unwrap(),
        0,
        "not due yet"
    );
    let after_due = today + time::Duration::days(8);
    assert_eq!(send_due_reminders(&app.db, after_due).await.unwrap(), 1);
    assert_eq!(
        send_due_reminders(&app.db, after_due).await.unwrap(),
        0,
        "reminded once"
    );
    let notes = app.get("/notifications").await;
    assert!(
        notes.contains("You planned to try “Cardboard mulch” by now. How did it go? Report back.")
    );

    app.report(entry, "worked").await;
    let fulfilled: Option<i64> =
        sqlx::query_scalar("SELECT fulfilled_by_report_id FROM commitments")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(fulfilled.is_some(), "the report fulfils the commitment");
    let page = app.get("/me/commitments").await;
    assert!(page.contains("No open commitments") && page.contains("reported back"));
}

#[tokio::test]
async fn a_fulfilled_commitment_sends_no_reminder() {
    let (app, domain, entry) = entry_in_gardens().await;
    let due = (time::OffsetDateTime::now_utc().date() + time::Duration::days(1)).to_string();
    // Ana commits and reports back; Bea commits and does not.
    app.member("ana", domain, "member").await;
    assert!(app.commit(entry, &due).await.done());
    assert!(app.report(entry, "partly").await.done());
    let bea = app.other_browser();
    bea.member("bea", domain, "member").await;
    assert!(bea.commit(entry, &due).await.done());
    assert_eq!(app.count("SELECT count(*) FROM commitments").await, 2);
    let later = time::OffsetDateTime::now_utc().date() + time::Duration::days(30);
    assert_eq!(
        send_due_reminders(&app.db, later).await.unwrap(),
        1,
        "only the open commitment is reminded"
    );
    let reminded: String = sqlx::query_scalar(
        "SELECT u.username FROM notifications n JOIN users u ON u.id = n.user_id",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(reminded, "bea");
}

#[tokio::test]
async fn a_facilitator_turns_a_report_into_what_we_learned() {
    let (app, domain, entry) = entry_in_gardens().await;
    let reporter = app.other_browser();
    reporter.member("ana", domain, "member").await;
    reporter.report(entry, "worked").await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM practice_reports")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let path = format!("/reports/{id}/incorporate");
    let refused = reporter
        .submit(&format!("/r/{entry}"), &path, &[("lesson", "Mine")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    app.member("fay", domain, "facilitator").await;
    let page = app
        .submit(
            &format!("/r/{entry}"),
            &path,
            &[("lesson", "Wet the cardboard before laying it.")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let entry_page = app.get(&format!("/r/{entry}")).await;
    assert!(entry_page.contains("What we learned"));
    assert!(entry_page.contains(&format!(
        "Wet the cardboard before laying it. <a href=\"/r/{entry}/reports?from={id}#report-{id}\">(from ana’s report)</a>"
    )));
    assert_eq!(app.count("SELECT count(*) FROM entry_learnings").await, 1);
}

#[tokio::test]
async fn a_much_applied_entry_shows_its_newest_reports_and_the_rest_a_page_at_a_time() {
    let (app, gardens, entry) = entry_in_gardens().await;
    let bea = app.member_browser("bea", gardens, "member").await;
    twenty_three_reports_by_bea(&app, "entry_id", entry).await;

    let page = bea.get(&format!("/r/{entry}")).await;
    assert!(shows(&page, 1..=5), "the newest five: {}", page.body);
    assert!(page.contains(&format!(
        "<a href=\"/r/{entry}/reports\">All 23 reports on this entry</a>"
    )));
    assert!(page.contains("Applied 23 times: 16 worked, 0 partly, 7 did not."));

    let first = bea.get(&format!("/r/{entry}/reports")).await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(shows(&first, 1..=20), "{}", first.body);
    assert!(first.contains("<title>Practice reports: Cardboard mulch"));
    assert!(first.contains(&format!("<a href=\"/r/{entry}\">← Cardboard mulch</a>")));
    assert!(
        !first.contains("Add to “What we learned”"),
        "a member who is no facilitator"
    );
    let older = format!("/r/{entry}/reports?from={}", report_id(&app, 21).await);
    assert!(first.contains(&format!("href=\"{older}\" rel=\"next\">Older reports")));
    let second = bea.get(&older).await;
    assert!(shows(&second, 21..=23), "{}", second.body);
    assert!(second.contains("Newest reports") && !second.contains("Older reports"));

    // A facilitator folds an old report in from its page, and the lesson links back to that
    // page, as does a report wherever it is listed (its author's profile) and after an edit.
    let fay = app.member_browser("fay", gardens, "facilitator").await;
    let old = report_id(&app, 22).await;
    let at_old = format!("/r/{entry}/reports?from={old}");
    let there = fay.get(&at_old).await;
    assert!(there.contains(&format!("action=\"/reports/{old}/incorporate\"")));
    let folded = fay
        .submit(
            &at_old,
            &format!("/reports/{old}/incorporate"),
            &[("lesson", "Overlap the sheets.")],
        )
        .await;
    assert_eq!(folded.status, StatusCode::SEE_OTHER);
    let link = format!("{at_old}#report-{old}");
    assert!(bea
        .get(&format!("/r/{entry}"))
        .await
        .contains(&format!("Overlap the sheets. <a href=\"{link}\">")));
    let listed = report_id(&app, 15).await;
    let on_profile = format!("/r/{entry}/reports?from={listed}");
    assert!(bea
        .get("/u/bea")
        .await
        .contains(&format!("{on_profile}#report-{listed}")));
    assert!(bea
        .get(&on_profile)
        .await
        .contains(&format!("id=\"report-{listed}\"")));
    let edit = format!("/reports/{old}/edit");
    let fields = [
        ("context", "Plot"),
        ("tried", "Try 22 again"),
        ("outcome", "partly"),
    ];
    let saved = bea.submit(&edit, &edit, &fields).await;
    assert!(saved.location.unwrap().ends_with(&link));

    // A start that is no report of this entry, or no number, or an entry the reader may not
    // read, finds nothing.
    let other = app.insert_entry(gardens, "Leaf mould").await;
    let elsewhere = format!("/r/{other}/reports?from={old}");
    assert_eq!(bea.get(&elsewhere).await.status, StatusCode::NOT_FOUND);
    let unknown = format!("/r/{entry}/reports?from=999999999");
    assert_eq!(bea.get(&unknown).await.status, StatusCode::NOT_FOUND);
    let damaged = format!("/r/{entry}/reports?from=soon");
    assert_eq!(bea.get(&damaged).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bea.get("/r/999999999/reports").await.status,
        StatusCode::NOT_FOUND
    );
    let empty = bea.get(&format!("/r/{other}/reports")).await;
    assert!(empty.contains("Nobody has reported back on this yet."));
    assert!(!empty.contains("Older reports"));
    assert!(!bea
        .get(&format!("/r/{other}"))
        .await
        .contains("reports on this entry"));
    let council = app.create_domain("council", "private").await;
    let secret = app.insert_entry(council, "Budget notes").await;
    let path = format!("/r/{secret}/reports");
    assert_eq!(
        app.other_browser().get(&path).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(bea.get(&path).await.status, StatusCode::NOT_FOUND);
    let eve = app.member_browser("eve", council, "member").await;
    assert_eq!(eve.get(&path).await.status, StatusCode::OK);
}

async fn invite(app: &TestApp, after: time::Duration) -> u64 {
    let now = time::OffsetDateTime::now_utc() + after;
    commonplace::integrate::invite_to_report_back(&app.db, now)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_asker_is_asked_did_it_work_once_after_the_domain_s_days_and_the_answer_shows_how_it_fared(
) {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let bea = app.member_browser("bea", gardens, "member").await;
    let cal = app.member_browser("cal", gardens, "member").await;
    let thread = ana.ask("gardens", "Clubroot in brassicas?", "Help").await;
    let answer = bea.answer(thread, "Lime the bed to pH 7.2.").await;
    assert!(ana.accept(thread, answer).await.done());
    // A second question whose asker has already reported back is not asked.
    let other = ana.ask("gardens", "Carrot fly?", "Help").await;
    let fleece = bea.answer(other, "Fleece.").await;
    assert!(ana.accept(other, fleece).await.done());
    let report = format!("/t/{other}/report");
    let fields = [
        ("context", "Raised bed"),
        ("tried", "Fleece"),
        ("outcome", "worked"),
        ("reflection", ""),
    ];
    assert!(ana.act(&report, &fields).await.done());

    let day = time::Duration::days(1);
    assert_eq!(invite(&app, day * 13).await, 0, "not before 14 days");
    assert_eq!(invite(&app, day * 14 + time::Duration::minutes(1)).await, 1);
    assert_eq!(invite(&app, day * 30).await, 0, "once");
    let invitations = "SELECT count(*) FROM notifications WHERE kind = 'did_it_work'";
    assert_eq!(app.count(invitations).await, 1);
    let told = ana.get("/notifications").await;
    assert!(told.contains("Did the accepted answer in “Clubroot in brassicas?” work for you?"));
    let id = app
        .count("SELECT id FROM notifications WHERE kind = 'did_it_work'")
        .await;
    let opened = ana.get(&format!("/notifications/{id}")).await;
    let report = format!("/t/{thread}/report");
    assert_eq!(opened.location.as_deref(), Some(report.as_str()));

    // One step: the form; then the answer shows how it fared, and so does its entry.
    assert!(ana
        .act(
            &report,
            &[
                ("context", "Allotment"),
                ("tried", "Lime"),
                ("outcome", "worked")
            ]
        )
        .await
        .done());
    assert!(cal
        .act(
            &report,
            &[
                ("context", "Garden"),
                ("tried", "Lime"),
                ("outcome", "did_not")
            ]
        )
        .await
        .done());
    let page = cal.get(&format!("/t/{thread}")).await;
    assert!(
        page.contains("In practice: applied 2 times: 1 worked, 1 did not."),
        "{}",
        page.body
    );
    let entry = app
        .insert_entry_from(gardens, "how-to", "Lime against clubroot", "pH 7.2", answer)
        .await;
    assert!(cal
        .get(&format!("/r/{entry}"))
        .await
        .contains("As the accepted answer it came from, applied 2 times: 1 worked."));
}

#[tokio::test]
async fn a_domain_chooses_how_many_days_before_asking() {
    let app = TestApp::spawn().await;
    let quick = app.create_domain("quick", "public").await;
    sqlx::query("UPDATE domains SET followup_days = 3 WHERE id = $1")
        .bind(quick)
        .execute(&app.db)
        .await
        .unwrap();
    let ana = app.member_browser("ana", quick, "member").await;
    let bea = app.member_browser("bea", quick, "member").await;
    let thread = ana.ask("quick", "Blight?", "Help").await;
    let answer = bea.answer(thread, "Copper.").await;
    assert!(ana.accept(thread, answer).await.done());
    assert_eq!(invite(&app, time::Duration::days(2)).await, 0);
    assert_eq!(
        invite(&app, time::Duration::days(3) + time::Duration::minutes(1)).await,
        1
    );
}

#[tokio::test]
async fn a_report_tells_how_far_the_value_went_and_the_health_view_profiles_it_by_month() {
    let (app, gardens, entry) = entry_in_gardens().await;
    let orchards = app.create_domain("orchards", "public").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let report = format!("/r/{entry}/report");

    // A problem elsewhere in the form keeps the stages ticked.
    let refused = ana
        .submit(
            &report,
            &report,
            &[
                ("tried", "Cardboard"),
                ("outcome", "worked"),
                ("value_applied", "on"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("name=\"value_applied\" checked"));
    assert!(!refused.contains("name=\"value_realized\" checked"));
    assert_eq!(app.count("SELECT count(*) FROM practice_reports").await, 0);

    let fields = [
        ("context", "Clay plot"),
        ("tried", "Cardboard"),
        ("outcome", "worked"),
        ("value_applied", "on"),
        ("value_reframing", "on"),
    ];
    assert!(ana.submit(&report, &report, &fields).await.done());
    let page = ana.get(&format!("/r/{entry}")).await;
    assert!(page.contains("Applied value") && page.contains("Reframing value"));
    assert!(!page.contains("Realized value"));
    assert!(
        ana.get("/u/ana").await.contains("Reframing value"),
        "her story on her profile"
    );
    let id = app.count("SELECT id FROM practice_reports").await;
    let edit = ana.get(&format!("/reports/{id}/edit")).await;
    assert!(edit.contains("name=\"value_reframing\" checked"));

    // The value profile on a known data set: November 2026, with 2026-11-15 as now.
    sqlx::query("DELETE FROM practice_reports")
        .execute(&app.db)
        .await
        .unwrap();
    let thread = app
        .insert_thread(
            gardens,
            app.count("SELECT id FROM users WHERE username = 'ana'")
                .await,
            "Mulch",
            0,
        )
        .await;
    let elsewhere = app.insert_entry(orchards, "Grease bands").await;
    let author = app
        .count("SELECT id FROM users WHERE username = 'ana'")
        .await;
    for (entry_id, thread_id, at, stages) in [
        (Some(entry), None, "2026-11-03", vec!["applied", "realized"]),
        (None, Some(thread), "2026-11-10", vec!["immediate"]),
        (Some(entry), None, "2026-09-05", vec![]),
        (Some(elsewhere), None, "2026-11-05", vec!["applied"]),
        (Some(entry), None, "2025-10-01", vec!["potential"]),
    ] {
        sqlx::query(
            "INSERT INTO practice_reports (entry_id, thread_id, author_id, context, tried, outcome, value_stages, created_at)
             VALUES ($1, $2, $3, 'c', 't', 'worked', $4, $5::date)",
        )
        .bind(entry_id)
        .bind(thread_id)
        .bind(author)
        .bind(stages)
        .bind(at)
        .execute(&app.db)
        .await
        .unwrap();
    }
    let now = time::macros::datetime!(2026-11-15 12:00 UTC);
    let health = commonplace::cultivate::queries::health(&app.db, gardens, now)
        .await
        .unwrap();
    let months: Vec<String> = health.value.iter().map(|m| m.month.to_string()).collect();
    assert_eq!(months.len(), 12);
    assert_eq!(months[0], "2025-12-01");
    assert_eq!(months[11], "2026-11-01");
    let figures = |m: &commonplace::cultivate::queries::ValueMonth| {
        [
            m.reports,
            m.immediate,
            m.potential,
            m.applied,
            m.realized,
            m.reframing,
        ]
    };
    assert_eq!(
        figures(&health.value[11]),
        [2, 1, 0, 1, 1, 0],
        "November: this domain's two"
    );
    assert_eq!(
        figures(&health.value[9]),
        [1, 0, 0, 0, 0, 0],
        "September: one, no stage named"
    );
    let total: i64 = health.value.iter().map(|m| m.reports).sum();
    assert_eq!(
        total, 3,
        "not the other domain's, not before the twelve months"
    );
}
