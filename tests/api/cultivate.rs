//! Cultivate: domains with charters, onboarding, events, health.

use crate::helpers::{TestApp, PASSWORD};
use commonplace::cultivate::queries as health;
use reqwest::StatusCode;
use time::macros::datetime;

async fn admin(app: &TestApp) -> i64 {
    let id = app.create_user("root").await;
    sqlx::query("UPDATE users SET site_role = 'admin' WHERE id = $1")
        .bind(id)
        .execute(&app.db)
        .await
        .unwrap();
    app.login("root", PASSWORD).await;
    id
}

#[tokio::test]
async fn an_admin_creates_a_domain_with_a_charter_and_appoints_a_facilitator() {
    let app = TestApp::spawn().await;
    admin(&app).await;
    app.create_user("fay").await;
    let created = app
        .submit(
            "/admin/domains/new",
            "/admin/domains/new",
            &[
                ("name", "Beekeeping"),
                ("slug", "beekeeping"),
                ("charter", "Keeping bees **well**."),
                ("practice_focus", "Hive health"),
                ("audience", "Beekeepers"),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(
        created.location.as_deref(),
        Some("/admin/domains/beekeeping")
    );
    let appointed = app
        .submit(
            "/admin/domains/beekeeping",
            "/admin/domains/beekeeping/facilitators",
            &[("username", "FAY")],
        )
        .await;
    assert_eq!(appointed.status, StatusCode::SEE_OTHER);
    let role: String = sqlx::query_scalar("SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = 'fay'").fetch_one(&app.db).await.unwrap();
    assert_eq!(role, "facilitator");
    let page = app.get("/d/beekeeping").await;
    assert!(page.contains("Keeping bees <strong>well</strong>.") && page.contains("Hive health"));
    assert!(
        page.contains("Introductions: who we are in Beekeeping"),
        "every domain gets an introductions thread"
    );
    assert_eq!(app.count("SELECT count(*) FROM audit_log WHERE action IN ('create domain', 'appoint facilitator')").await, 2);
    let unknown = app
        .submit(
            "/admin/domains/beekeeping",
            "/admin/domains/beekeeping/facilitators",
            &[("username", "nobody")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.contains("There is no member called “nobody”."));
}

#[tokio::test]
async fn bad_domain_input_is_refused_with_the_form_kept() {
    let app = TestApp::spawn().await;
    admin(&app).await;
    app.create_domain("gardens", "public").await;
    let page = app
        .submit(
            "/admin/domains/new",
            "/admin/domains/new",
            &[
                ("name", "Gardens again"),
                ("slug", "gardens"),
                ("charter", "Kept charter"),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"slug-error\">Another domain already has that address."));
    assert!(page.contains("Kept charter</textarea>"));
    let bad = app
        .submit(
            "/admin/domains/new",
            "/admin/domains/new",
            &[("name", ""), ("slug", "Bad Slug"), ("charter", "")],
        )
        .await;
    assert!(
        bad.contains("id=\"name-error\"")
            && bad.contains("id=\"slug-error\"")
            && bad.contains("id=\"charter-error\"")
    );
    assert_eq!(app.count("SELECT count(*) FROM domains").await, 1);
}

#[tokio::test]
async fn only_admins_create_domains() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.member("fay", domain, "facilitator").await;
    assert_eq!(app.get("/admin").await.status, StatusCode::FORBIDDEN);
    let refused = app
        .submit(
            "/",
            "/admin/domains/new",
            &[("name", "X"), ("slug", "x"), ("charter", "x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT count(*) FROM domains").await, 1);
    assert_eq!(
        app.other_browser().get("/admin").await.status,
        StatusCode::SEE_OTHER,
        "visitors log in first"
    );
}

#[tokio::test]
async fn facilitators_edit_their_charter_and_members_cannot() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.member("fay", domain, "facilitator").await;
    let saved = app
        .submit(
            "/d/gardens/charter",
            "/d/gardens/charter",
            &[
                ("charter", "Growing food *together*."),
                ("practice_focus", "Soil"),
                ("audience", "Growers"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert!(app
        .get("/d/gardens")
        .await
        .contains("Growing food <em>together</em>."));
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'edit charter'")
            .await,
        1
    );
    let empty = app
        .submit(
            "/d/gardens/charter",
            "/d/gardens/charter",
            &[("charter", " "), ("practice_focus", "Kept focus")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.contains("Kept focus</textarea>"));

    let member = app.other_browser();
    member.member("bea", domain, "member").await;
    assert_eq!(
        member.get("/d/gardens/charter").await.status,
        StatusCode::FORBIDDEN
    );
    let token = member.get("/").await.csrf();
    let refused = member
        .post(
            "/d/gardens/charter",
            &[("csrf", &token), ("charter", "Hijacked")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!app.get("/d/gardens").await.contains("Hijacked"));
}

#[tokio::test]
async fn newcomers_are_welcomed_until_they_introduce_themselves() {
    let app = TestApp::spawn().await;
    admin(&app).await;
    app.submit(
        "/admin/domains/new",
        "/admin/domains/new",
        &[
            ("name", "Gardens"),
            ("slug", "gardens"),
            ("charter", "Growing."),
            ("visibility", "public"),
        ],
    )
    .await;
    let newcomer = app.other_browser();
    newcomer.create_user("nia").await;
    newcomer.login("nia", PASSWORD).await;
    newcomer.join("gardens").await;
    let page = newcomer.get("/d/gardens").await;
    assert!(
        page.contains("Welcome to Gardens!")
            && page.contains("introduce yourself and your practice")
            && page.contains("href=\"/d/gardens/start\">Ways to start</a> lists questions")
    );
    let intro: i64 = sqlx::query_scalar("SELECT id FROM threads WHERE kind = 'introduction'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    newcomer.reply(intro, "Hi, I grow beans.").await;
    assert!(!newcomer
        .get("/d/gardens")
        .await
        .contains("introduce yourself and your practice"));
}

#[tokio::test]
async fn events_are_scheduled_in_a_time_zone_answered_and_downloaded() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.member("ana", domain, "member").await;
    let created = app
        .submit(
            "/d/gardens/events/new",
            "/d/gardens/events/new",
            &[
                ("title", "Seed swap, spring"),
                ("starts", "2027-07-01T18:00"),
                ("ends", "2027-07-01T20:30"),
                ("time_zone", "Europe/Lisbon"),
                ("place", "Allotment hut; gate 2"),
                ("agenda", "Bring *seeds*."),
            ],
        )
        .await;
    let url = created.location.expect("the event is created");
    let stored: (time::OffsetDateTime,) = sqlx::query_as("SELECT starts_at FROM events")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        stored.0,
        datetime!(2027-07-01 17:00 UTC),
        "18:00 in Lisbon in summer is 17:00 UTC"
    );
    let page = app.get(&url).await;
    assert!(page.contains("Thu 1 Jul 2027, 18:00 – 20:30 (Europe/Lisbon)"));
    assert!(app
        .get("/d/gardens/events")
        .await
        .contains("Seed swap, spring"));

    let rsvp = app
        .submit(&url, &format!("{url}/rsvp"), &[("status", "going")])
        .await;
    assert_eq!(rsvp.status, StatusCode::SEE_OTHER);
    let other = app.other_browser();
    other.member("bea", domain, "member").await;
    other
        .submit(&url, &format!("{url}/rsvp"), &[("status", "maybe")])
        .await;
    assert!(app
        .get(&url)
        .await
        .contains("1 going · 1 maybe · 0 not going"));
    app.submit(&url, &format!("{url}/rsvp"), &[("status", "not")])
        .await;
    assert!(
        app.get(&url)
            .await
            .contains("0 going · 1 maybe · 1 not going"),
        "answers change, one per member"
    );

    let ics = app.get(&format!("{url}/event.ics")).await;
    assert_eq!(ics.headers["content-type"], "text/calendar; charset=utf-8");
    assert!(ics.body.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(
        ics.contains("DTSTART:20270701T170000Z\r\n") && ics.contains("DTEND:20270701T193000Z\r\n")
    );
    assert!(
        ics.contains("SUMMARY:Seed swap\\, spring\r\n")
            && ics.contains("LOCATION:Allotment hut\\; gate 2\r\n")
    );
    assert!(ics.body.ends_with("END:VCALENDAR\r\n"));
}

#[tokio::test]
async fn bad_events_are_refused_with_the_form_kept() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    app.member("ana", domain, "member").await;
    let cases = [
        (
            "2027-07-01T20:00",
            "2027-07-01T18:00",
            "Europe/Lisbon",
            "ends-error",
            "must end after it starts",
        ),
        (
            "2027-07-01T18:00",
            "2027-07-01T20:00",
            "Mars/Olympus_Mons",
            "time_zone-error",
            "That time zone is unknown",
        ),
        // POSIX strings PostgreSQL would take with the sign inverted, and junk it would take too.
        (
            "2027-07-01T18:00",
            "2027-07-01T20:00",
            "UTC+3",
            "time_zone-error",
            "not an offset such as UTC+3",
        ),
        (
            "2027-07-01T18:00",
            "2027-07-01T20:00",
            "XYZ5ABC",
            "time_zone-error",
            "That time zone is unknown",
        ),
        (
            "tomorrow",
            "2027-07-01T20:00",
            "UTC",
            "starts-error",
            "Give a start date and time.",
        ),
    ];
    for (starts, ends, zone, field, message) in cases {
        let page = app
            .submit(
                "/d/gardens/events/new",
                "/d/gardens/events/new",
                &[
                    ("title", "Kept title"),
                    ("starts", starts),
                    ("ends", ends),
                    ("time_zone", zone),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(
            page.contains(&format!("id=\"{field}\"")) && page.contains(message),
            "{field}"
        );
        assert!(page.contains("value=\"Kept title\""));
    }
    assert_eq!(app.count("SELECT count(*) FROM events").await, 0);
}

#[tokio::test]
async fn a_past_event_takes_no_rsvp() {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let ana = app.member("ana", domain, "member").await;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO events (domain_id, created_by, title, starts_at, ends_at, time_zone)
         VALUES ($1, $2, 'Last year', now() - interval '2 days', now() - interval '1 day', 'UTC') RETURNING id",
    )
    .bind(domain)
    .bind(ana)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let page = app.get(&format!("/e/{id}")).await;
    assert!(page.contains("this event is over") && !page.contains("Will you come?"));
    let token = page.csrf();
    let refused = app
        .post(
            &format!("/e/{id}/rsvp"),
            &[("csrf", &token), ("status", "going")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT count(*) FROM event_rsvps").await, 0);
    assert!(
        app.get("/d/gardens/events").await.contains("Last year"),
        "listed under past"
    );
}

/// A domain whose health figures were worked out by hand, for "now" = Wed 2026-11-18 12:00 UTC.
async fn known_domain(app: &TestApp) -> i64 {
    let domain = app.create_domain("gardens", "public").await;
    let mut ids = std::collections::HashMap::new();
    for (name, joined) in [
        ("a", "2026-08-01"),
        ("b", "2026-11-16 10:00"),
        ("c", "2026-11-17"),
        ("d", "2026-11-10"),
        ("e", "2026-08-01"),
    ] {
        let id = app.create_user(&format!("user-{name}")).await;
        sqlx::query("INSERT INTO memberships (domain_id, user_id, joined_at) VALUES ($1, $2, $3::timestamptz)")
            .bind(domain).bind(id).bind(format!("{joined} UTC")).execute(&app.db).await.unwrap();
        ids.insert(name, id);
    }
    let thread = |author: &'static str, kind: &'static str, at: &'static str| {
        let (db, author) = (app.db.clone(), ids[author]);
        async move {
            let id: i64 = sqlx::query_scalar("INSERT INTO threads (domain_id, author_id, title, kind, created_at, last_posted_at) VALUES ($1, $2, 'T', $3, $4::timestamptz, $4::timestamptz) RETURNING id")
                .bind(domain).bind(author).bind(kind).bind(format!("{at} UTC")).fetch_one(&db).await.unwrap();
            sqlx::query("INSERT INTO posts (thread_id, author_id, body_md, body_html, created_at) VALUES ($1, $2, 'x', 'x', $3::timestamptz)")
                .bind(id).bind(author).bind(format!("{at} UTC")).execute(&db).await.unwrap();
            id
        }
    };
    let reply = |thread: i64, author: &'static str, at: &'static str| {
        let (db, author) = (app.db.clone(), ids[author]);
        async move {
            sqlx::query("INSERT INTO posts (thread_id, author_id, body_md, body_html, created_at) VALUES ($1, $2, 'x', 'x', $3::timestamptz)")
                .bind(thread).bind(author).bind(format!("{at} UTC")).execute(&db).await.unwrap();
        }
    };
    let intro = thread("a", "introduction", "2026-08-01 09:00").await;
    let _ = intro;
    let t1 = thread("a", "question", "2026-11-16 09:00").await;
    reply(t1, "b", "2026-11-16 13:00").await; // first reply after 4 hours
    reply(t1, "c", "2026-11-17 09:00").await;
    let t2 = thread("b", "discussion", "2026-11-10 08:00").await;
    reply(t2, "a", "2026-11-10 10:00").await; // first reply after 2 hours
    thread("c", "question", "2026-11-15 10:00").await; // unanswered for more than 48 hours
    thread("d", "question", "2026-11-17 12:00").await; // unanswered, but only for 24 hours
    let entry: i64 = sqlx::query_scalar("INSERT INTO repertoire_entries (domain_id, kind, title, created_at) VALUES ($1, 'lesson', 'L', '2026-11-16 12:00 UTC') RETURNING id")
        .bind(domain).fetch_one(&app.db).await.unwrap();
    sqlx::query("INSERT INTO practice_reports (entry_id, author_id, context, tried, outcome, created_at) VALUES ($1, $2, 'c', 't', 'worked', '2026-11-17 12:00 UTC')")
        .bind(entry).bind(ids["b"]).execute(&app.db).await.unwrap();
    domain
}

#[tokio::test]
async fn health_figures_match_a_data_set_with_known_answers() {
    let app = TestApp::spawn().await;
    let domain = known_domain(&app).await;
    let figures = health::health(&app.db, domain, datetime!(2026-11-18 12:00 UTC))
        .await
        .unwrap();
    assert_eq!(figures.weeks.len(), 12);
    let this_week = figures.weeks.last().unwrap();
    assert_eq!(this_week.week, time::macros::date!(2026 - 11 - 16));
    assert_eq!(
        (
            this_week.joined,
            this_week.active,
            this_week.threads,
            this_week.replies,
            this_week.entries_added,
            this_week.entries_applied
        ),
        (2, 4, 2, 2, 1, 1)
    );
    let last_week = &figures.weeks[10];
    assert_eq!(last_week.week, time::macros::date!(2026 - 11 - 09));
    assert_eq!(
        (
            last_week.joined,
            last_week.active,
            last_week.threads,
            last_week.replies
        ),
        (1, 3, 2, 1)
    );
    assert_eq!(figures.weeks[0].week, time::macros::date!(2026 - 08 - 31));
    assert_eq!(
        figures.unanswered.len(),
        1,
        "only the question older than 48 hours"
    );
    assert_eq!(
        figures.median_first_reply_hours,
        Some(3.0),
        "median of 4 h and 2 h"
    );
    assert_eq!(
        figures.silent,
        vec![("user-e".to_string(), "user-e".to_string())]
    );
    let not_introduced: Vec<&str> = figures
        .not_introduced
        .iter()
        .map(|(u, _)| u.as_str())
        .collect();
    assert_eq!(not_introduced.len(), 4);
    assert!(!not_introduced.contains(&"user-a"));
}

#[tokio::test]
async fn the_health_page_is_for_facilitators_and_admins_only() {
    let app = TestApp::spawn().await;
    let domain = known_domain(&app).await;
    let member = app.other_browser();
    member.member("plain", domain, "member").await;
    let refused = member.get("/d/gardens/health").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let facilitator = app.other_browser();
    facilitator.member("fay", domain, "facilitator").await;
    let page = facilitator.get("/d/gardens/health").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.contains("<svg")
            && page.contains("Members joined")
            && page.contains("<table class=\"health-table\">")
    );
    assert!(page.contains("id=\"median-first-reply\""));
    let other = app.other_browser();
    let kitchens = app.create_domain("kitchens", "public").await;
    other.member("kit", kitchens, "facilitator").await;
    assert_eq!(
        other.get("/d/gardens/health").await.status,
        StatusCode::FORBIDDEN,
        "a facilitator of another domain"
    );
    admin(&app).await;
    assert_eq!(app.get("/d/gardens/health").await.status, StatusCode::OK);
}

#[tokio::test]
async fn creating_a_domain_holds_the_charter_to_the_limits_editing_it_does() {
    let app = TestApp::spawn().await;
    admin(&app).await;
    let long_focus = "f".repeat(1001);
    let long_charter = "c".repeat(20_001);
    for (charter, focus, field) in [
        ("A fine charter", long_focus.as_str(), "practice_focus"),
        (long_charter.as_str(), "", "charter"),
    ] {
        let page = app
            .submit(
                "/admin/domains/new",
                "/admin/domains/new",
                &[
                    ("name", "Beekeeping"),
                    ("slug", "beekeeping"),
                    ("charter", charter),
                    ("practice_focus", focus),
                    ("audience", "Beekeepers"),
                    ("visibility", "public"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(page.contains(&format!("id=\"{field}-error\"")), "{field}");
        assert!(page.contains("characters or fewer"), "{field}");
        assert!(page.contains("Beekeepers</textarea>"), "the text is kept");
    }
    assert_eq!(app.count("SELECT count(*) FROM domains").await, 0);
    // The same limits hold for a facilitator editing the charter.
    let created = app
        .submit(
            "/admin/domains/new",
            "/admin/domains/new",
            &[
                ("name", "Beekeeping"),
                ("slug", "beekeeping"),
                ("charter", "Bees"),
                ("practice_focus", &"f".repeat(1000)),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_health_view_lists_newcomers_whose_first_post_nobody_answered_in_48_hours() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let mut ids = std::collections::HashMap::new();
    for (name, joined_days_ago) in [("oli", 90), ("nia", 5), ("ned", 5), ("nat", 2)] {
        let id = app.create_user(name).await;
        app.add_member(gardens, id, "member").await;
        sqlx::query("UPDATE memberships SET joined_at = now() - make_interval(days => $2) WHERE user_id = $1")
            .bind(id)
            .bind(joined_days_ago)
            .execute(&app.db)
            .await
            .unwrap();
        ids.insert(name, id);
    }
    // A first post, `hours_ago`; `answered_by` follows it an hour later.
    let first_post = |author: i64,
                      title: &'static str,
                      hours_ago: i32,
                      answered_by: Option<i64>| {
        let app = &app;
        async move {
            let thread = app.insert_thread(gardens, author, title, 0).await;
            sqlx::query("UPDATE posts SET created_at = now() - make_interval(hours => $2) WHERE thread_id = $1")
                .bind(thread)
                .bind(hours_ago)
                .execute(&app.db)
                .await
                .unwrap();
            if let Some(other) = answered_by {
                sqlx::query(
                    "INSERT INTO posts (thread_id, author_id, body_md, body_html, created_at)
                     VALUES ($1, $2, 'Welcome', '<p>Welcome</p>', now() - make_interval(hours => $3))",
                )
                .bind(thread)
                .bind(other)
                .bind(hours_ago - 1)
                .execute(&app.db)
                .await
                .unwrap();
            }
        }
    };
    first_post(ids["nia"], "Nia asks about beans", 72, None).await;
    first_post(ids["ned"], "Ned asks about peas", 72, Some(ids["oli"])).await;
    first_post(ids["nat"], "Nat asks about kale", 24, None).await;
    first_post(ids["oli"], "Oli asks about leeks", 72, None).await;

    let now = time::OffsetDateTime::now_utc();
    let found = health::health(&app.db, gardens, now).await.unwrap();
    let listed: Vec<(&str, &str)> = found
        .unanswered_newcomers
        .iter()
        .map(|n| (n.username.as_str(), n.thread_title.as_str()))
        .collect();
    assert_eq!(
        listed,
        [("nia", "Nia asks about beans")],
        "not Ned (answered), Nat (under 48 hours), Oli (no newcomer)"
    );
    // Four days on, Nat's first post has waited long enough too (both joined within 30 days).
    let later = now + time::Duration::days(4);
    let later_list = health::health(&app.db, gardens, later).await.unwrap();
    let names: Vec<&str> = later_list
        .unanswered_newcomers
        .iter()
        .map(|n| n.username.as_str())
        .collect();
    assert_eq!(names, ["nia", "nat"]);
}

#[tokio::test]
async fn a_newcomer_is_paired_with_a_mentor_who_offered_and_the_pair_shows_everywhere() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let moe = app.member_browser("moe", gardens, "member").await;
    let nia = app.member_browser("nia", gardens, "member").await;
    let ned = app.member_browser("ned", gardens, "member").await;
    let fay = app.member_browser("fay", gardens, "facilitator").await;
    let mentors = "/d/gardens/mentors";

    // An offer needs a topic; then it is listed.
    let empty = moe
        .submit(mentors, "/d/gardens/mentors/offer", &[("tags", " ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.contains("id=\"tags-error\""));
    assert!(moe
        .submit(
            mentors,
            "/d/gardens/mentors/offer",
            &[("tags", "Compost, no-dig")]
        )
        .await
        .done());
    assert!(nia
        .get(mentors)
        .await
        .contains("@moe): <span class=\"tag\">compost</span>"));

    // Asking someone who did not offer is named beside the field, the note kept, nothing made.
    let refused = nia
        .submit(
            mentors,
            "/d/gardens/mentors/request",
            &[("mentor", "ned"), ("note", "Beds on clay")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("id=\"mentor-error\"") && refused.contains("ned has not offered"));
    assert!(refused.contains("Beds on clay"));
    assert_eq!(app.count("SELECT count(*) FROM mentorships").await, 0);

    // Choosing one who offered pairs them at once; asking again is refused.
    assert!(nia
        .submit(
            mentors,
            "/d/gardens/mentors/request",
            &[("mentor", "moe"), ("note", "Beds on clay")]
        )
        .await
        .done());
    assert!(nia.get(mentors).await.contains("moe is your mentor here"));
    let twice = nia
        .act("/d/gardens/mentors/request", &[("mentor", "")])
        .await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);

    // Left to the facilitators: Ned waits until Fay pairs him; only a facilitator may.
    assert!(ned
        .submit(mentors, "/d/gardens/mentors/request", &[("mentor", "")])
        .await
        .done());
    let waiting = app
        .count("SELECT id FROM mentorships WHERE mentor_id IS NULL")
        .await;
    let pair = format!("/d/gardens/mentors/{waiting}/pair");
    assert_eq!(
        nia.act(&pair, &[("mentor", "moe")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(fay
        .get("/d/gardens/health")
        .await
        .contains("waits for a mentor"));
    let bad = fay.act(&pair, &[("mentor", "nia")]).await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "nia did not offer"
    );
    assert!(fay.act(&pair, &[("mentor", "moe")]).await.done());
    assert_eq!(
        fay.act(&pair, &[("mentor", "moe")]).await.status,
        StatusCode::BAD_REQUEST
    );

    // Everyone concerned was told; a notification opens the mentors page.
    assert!(moe
        .get("/notifications")
        .await
        .contains("nia chose you as their mentor in Gardens"));
    assert!(moe
        .get("/notifications")
        .await
        .contains("You mentor ned in Gardens"));
    assert!(ned
        .get("/notifications")
        .await
        .contains("moe is your mentor in Gardens"));
    let asked = fay.get("/notifications").await;
    assert!(
        asked.contains("ned asks for a mentor in Gardens: choose one"),
        "{}",
        asked.body
    );
    let id = app
        .count("SELECT id FROM notifications WHERE kind = 'mentor_requested'")
        .await;
    let opened = fay.get(&format!("/notifications/{id}")).await;
    assert_eq!(opened.location.as_deref(), Some(mentors));

    // Both profiles and the health view show the pairs.
    let moe_profile = ned.get("/u/moe").await;
    assert!(
        moe_profile.contains("Mentors <a href=\"/u/nia\">"),
        "{}",
        moe_profile.body
    );
    assert!(moe_profile.contains("Mentors <a href=\"/u/ned\">"));
    assert!(ned
        .get("/u/nia")
        .await
        .contains("Mentored by <a href=\"/u/moe\">"));
    let health = fay.get("/d/gardens/health").await;
    assert!(health.contains("mentored by moe") && !health.contains("waits for a mentor"));
}

/// Asks a question in Gardens with tags; returns its thread.
async fn ask_tagged(who: &TestApp, title: &str, tags: &str) -> i64 {
    let path = "/d/gardens/new";
    let fields = [
        ("title", title),
        ("kind", "question"),
        ("tags", tags),
        ("body", "?"),
    ];
    let asked = who.submit(path, path, &fields).await;
    asked
        .location
        .unwrap()
        .trim_start_matches("/t/")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_newcomer_is_offered_starter_contributions_from_the_domain_s_own_needs() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    app.create_domain("council", "private").await;
    let nia = app.member_browser("nia", gardens, "member").await;
    let oli = app.member_browser("oli", gardens, "member").await;
    let none_yet = nia.get("/d/gardens/start").await;
    assert!(
        none_yet.contains("List your expertise"),
        "{}",
        none_yet.body
    );
    sqlx::query("UPDATE users SET expertise = '{compost}' WHERE username = 'nia'")
        .execute(&app.db)
        .await
        .unwrap();
    ask_tagged(&oli, "Cold heap", "compost").await;
    let answered = ask_tagged(&oli, "Wet heap", "compost").await;
    oli.answer(answered, "Add browns.").await;
    ask_tagged(&oli, "Bean supports", "beans").await;
    ask_tagged(&nia, "My own heap", "compost").await;
    let entry = app.insert_entry(gardens, "Hot composting").await;
    sqlx::query("UPDATE repertoire_entries SET state = 'needs_review' WHERE id = $1")
        .bind(entry)
        .execute(&app.db)
        .await
        .unwrap();
    let oli_id = app
        .count("SELECT id FROM users WHERE username = 'oli'")
        .await;
    let intro: i64 = sqlx::query_scalar(
        "INSERT INTO threads (domain_id, author_id, title, kind) VALUES ($1, $2, 'Introduce yourself', 'introduction') RETURNING id",
    )
    .bind(gardens)
    .bind(oli_id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    oli.reply(intro, "I am Oli, I grow leeks.").await;

    let page = nia.get("/d/gardens/start").await;
    assert!(page.contains("Cold heap"), "{}", page.body);
    assert!(
        !page.contains("Wet heap")
            && !page.contains("Bean supports")
            && !page.contains("My own heap")
    );
    assert!(page.contains(&format!("href=\"/r/{entry}\">Hot composting</a>")));
    assert!(page.contains(">oli</a>"), "Oli's introduction to welcome");
    assert!(nia
        .get("/d/gardens")
        .await
        .contains("href=\"/d/gardens/start\""));
    assert_eq!(
        nia.get("/d/council/start").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn facilitators_set_how_often_entries_are_reviewed_and_when_askers_are_asked() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let fay = app.member_browser("fay", gardens, "facilitator").await;
    let charter = "/d/gardens/charter";
    let form = fay.get(charter).await;
    assert!(
        form.contains("name=\"review_months\" type=\"number\" min=\"1\" max=\"120\" value=\"12\"")
    );
    assert!(
        form.contains("name=\"followup_days\" type=\"number\" min=\"1\" max=\"365\" value=\"14\"")
    );
    let fields = |months: &'static str, days: &'static str| {
        [
            ("charter", "We grow food."),
            ("practice_focus", ""),
            ("audience", ""),
            ("review_months", months),
            ("followup_days", days),
        ]
    };
    let refused = fay.submit(charter, charter, &fields("0", "a week")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.contains("id=\"review_months-error\"")
            && refused.contains("id=\"followup_days-error\"")
    );
    assert!(refused.contains("value=\"a week\"") && refused.contains("We grow food."));
    assert!(fay.submit(charter, charter, &fields("6", "7")).await.done());
    let rhythm: (i32, i32) =
        sqlx::query_as("SELECT review_months, followup_days FROM domains WHERE id = $1")
            .bind(gardens)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(rhythm, (6, 7));
    // A new entry is due after the domain's six months.
    let entry = app.insert_entry(gardens, "Leaf mould").await;
    let due: time::Date =
        sqlx::query_scalar("SELECT review_by FROM repertoire_entries WHERE id = $1")
            .bind(entry)
            .fetch_one(&app.db)
            .await
            .unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    assert!(due > today + time::Duration::days(178) && due < today + time::Duration::days(186));
}
