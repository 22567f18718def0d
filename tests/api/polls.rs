//! Polls (issue 15, point 7): made with a new thread, voted on without JavaScript, once per
//! member however the votes arrive, results after voting or after the poll closes.

use reqwest::StatusCode;

use crate::helpers::{all_at_once, Page, TestApp};

/// Starts a thread with a poll through the form; returns the form's answer.
async fn start_poll(app: &TestApp, options: &str, multiple: bool, closes: &str) -> Page {
    let mut fields = vec![
        ("title", "Which mulch?"),
        ("kind", "question"),
        ("body", "For paths between beds."),
        ("poll_options", options),
        ("poll_closes", closes),
        ("action", "post"),
    ];
    if multiple {
        fields.push(("poll_multiple", "on"));
    }
    app.submit("/d/gardens/new", "/d/gardens/new", &fields)
        .await
}

async fn options_of(app: &TestApp) -> (i64, Vec<i64>) {
    let poll: i64 = app.count("SELECT max(id) FROM polls").await;
    let options =
        sqlx::query_scalar("SELECT id FROM poll_options WHERE poll_id = $1 ORDER BY position")
            .bind(poll)
            .fetch_all(&app.db)
            .await
            .unwrap();
    (poll, options)
}

#[tokio::test]
async fn members_vote_once_and_see_the_results_after_voting() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let made = start_poll(&ana, "Wood chips\nStraw\n\nLeaves\n", false, "").await;
    assert!(made.done(), "{}", made.body);
    let thread = made.location.clone().unwrap();
    let (poll, options) = options_of(&app).await;
    assert_eq!(options.len(), 3, "blank lines are not options");

    let bea = app.member_browser("bea", gardens, "member").await;
    let ballot = bea.get(&thread).await;
    assert!(ballot.contains(&format!("action=\"/polls/{poll}/vote\"")));
    assert!(ballot.contains("type=\"radio\" name=\"option\""));
    assert!(ballot.contains("results show after you vote"));
    assert!(!ballot.contains("poll-results"), "no results before voting");

    let vote = format!("/polls/{poll}/vote");
    let straw = options[1].to_string();
    let counted = bea.act(&vote, &[("option", &straw)]).await;
    assert!(counted.done());
    let after = bea.get(&thread).await;
    assert!(after.contains("Your vote is counted."));
    assert!(after.contains("poll-results") && after.contains("100% (1)"));
    assert!(after.contains("Straw <span class=\"tag\">your vote</span>"));
    assert!(after.contains("1 voter"));

    // A second vote, even for another option, changes nothing and says so.
    let chips = options[0].to_string();
    bea.act(&vote, &[("option", &chips)]).await;
    assert!(bea
        .get(&thread)
        .await
        .contains("You have already voted in this poll"));
    assert_eq!(app.count("SELECT count(*) FROM poll_votes").await, 1);

    // Ten votes at once from one member count once.
    let cal = app.member_browser("cal", gardens, "member").await;
    let token = cal.get("/").await.csrf();
    let votes = (0..10).map(|_| {
        let (cal, vote, token, chips) = (
            cal.same_browser(),
            vote.clone(),
            token.clone(),
            chips.clone(),
        );
        async move {
            cal.post(&vote, &[("csrf", &token), ("option", &chips)])
                .await
        }
    });
    let answers = all_at_once(votes.collect()).await;
    assert!(answers.iter().all(|a| a.status == StatusCode::SEE_OTHER));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM poll_votes v JOIN users u ON u.id = v.user_id WHERE u.username = 'cal' AND v.poll_id = {poll}"
        ))
        .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM poll_voters").await, 2);
    assert!(cal.get(&thread).await.contains("2 voters"));
}

#[tokio::test]
async fn a_multiple_choice_poll_takes_several_and_a_closed_one_takes_none() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let made = start_poll(&ana, "Monday\nTuesday\nWednesday", true, "2099-01-01T09:00").await;
    assert!(made.done(), "{}", made.body);
    let thread = made.location.clone().unwrap();
    let (poll, options) = options_of(&app).await;
    let bea = app.member_browser("bea", gardens, "member").await;
    let ballot = bea.get(&thread).await;
    assert!(ballot.contains(&format!("name=\"option-{}\"", options[0])));
    assert!(ballot.contains("closes <time"));
    let vote = format!("/polls/{poll}/vote");
    let (monday, wednesday) = (
        format!("option-{}", options[0]),
        format!("option-{}", options[2]),
    );
    assert!(bea
        .act(&vote, &[(&monday, "on"), (&wednesday, "on")])
        .await
        .done());
    assert_eq!(app.count("SELECT count(*) FROM poll_votes").await, 2);

    // Closed: a visitor sees the results; a vote is refused and changes nothing.
    sqlx::query("UPDATE polls SET closes_at = now() - interval '1 minute'")
        .execute(&app.db)
        .await
        .unwrap();
    let cal = app.member_browser("cal", gardens, "member").await;
    let closed = cal.get(&thread).await;
    assert!(closed.contains("poll-results") && closed.contains("closed <time"));
    assert!(!closed.contains(&format!("action=\"{vote}\"")));
    cal.act(&vote, &[(&monday, "on")]).await;
    assert!(cal
        .get(&thread)
        .await
        .contains("This poll has closed; your vote was not counted."));
    assert_eq!(app.count("SELECT count(*) FROM poll_votes").await, 2);
    // Each option's share is of the voters: the one voter chose two of the three.
    let visitor = app.other_browser().get(&thread).await;
    assert_eq!(
        visitor.body.matches("100% (1)").count(),
        2,
        "{}",
        visitor.body
    );
    assert!(visitor.contains("0% (0)"));
}

#[tokio::test]
async fn bad_polls_and_bad_votes_get_clear_answers_and_change_nothing() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let circle = app.create_domain("circle", "private").await;
    let ana = app.other_browser();
    let ana_id = ana.member("ana", gardens, "member").await;
    app.add_member(circle, ana_id, "member").await;
    for (options, closes, field, problem) in [
        ("Only one", "", "poll_options", "from 2 to 20 options"),
        (
            "Same\nSame",
            "",
            "poll_options",
            "Each option appears once.",
        ),
        (
            "",
            "2099-01-01T09:00",
            "poll_options",
            "leave the closing time empty",
        ),
        (
            "Yes\nNo",
            "yesterday",
            "poll_closes",
            "like 2026-12-01T08:00",
        ),
        (
            "Yes\nNo",
            "2001-01-01T09:00",
            "poll_closes",
            "That time has passed",
        ),
    ] {
        let refused = start_poll(&ana, options, false, closes).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{options:?} {closes}"
        );
        assert!(
            refused.contains(&format!("id=\"{field}-error\"")),
            "{}",
            refused.body
        );
        assert!(refused.contains(problem), "{problem}");
        assert!(
            refused.contains("For paths between beds."),
            "the text is kept"
        );
        assert!(refused.contains("<details class=\"poll-fields\" open>"));
    }
    let too_many: String = (0..21).map(|i| format!("Option {i}\n")).collect();
    assert_eq!(
        start_poll(&ana, &too_many, false, "").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(app.count("SELECT count(*) FROM threads").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM polls").await, 0);

    let made = start_poll(&ana, "Yes\nNo", false, "").await;
    let thread = made.location.unwrap();
    let (poll, options) = options_of(&app).await;
    let vote = format!("/polls/{poll}/vote");
    let bea = app.other_browser();
    let bea_id = bea.member("bea", gardens, "member").await;
    let (first, second) = (
        format!("option-{}", options[0]),
        format!("option-{}", options[1]),
    );
    for (fields, said) in [
        (vec![], "Choose an option to vote."),
        (vec![("option", "99999")], "not one of this poll"),
        (vec![("option", "banana")], "not one of this poll"),
        (
            vec![(first.as_str(), "on"), (second.as_str(), "on")],
            "This poll takes one choice.",
        ),
    ] {
        let answer = bea.act(&vote, &fields).await;
        assert_eq!(
            answer.location.as_deref().map(|l| l.starts_with("/p/")),
            Some(true)
        );
        assert!(bea.get(&thread).await.contains(said), "{said}");
    }
    assert_eq!(app.count("SELECT count(*) FROM poll_voters").await, 0);
    // Someone who may not post in the domain, or read it, or a visitor, votes nothing.
    let cal = app.member_browser("cal", circle, "member").await;
    let yes = options[0].to_string();
    assert_eq!(
        cal.act(&vote, &[("option", &yes)]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        bea.act("/polls/99999/vote", &[("option", &yes)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    sqlx::query("DELETE FROM memberships WHERE user_id = $1")
        .bind(bea_id)
        .execute(&app.db)
        .await
        .unwrap();
    assert!(
        !bea.get(&thread).await.contains("poll-ballot"),
        "no ballot for a non-member"
    );
    assert!(!app
        .other_browser()
        .act(&vote, &[("option", &yes)])
        .await
        .done());
    assert_eq!(app.count("SELECT count(*) FROM poll_voters").await, 0);
}
