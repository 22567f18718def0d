//! Watching levels (issue 15, point 4): watching, tracking, normal and muted, on a thread, a
//! tag and a domain, decide who is told of a post and what a member's lists show.

use reqwest::StatusCode;

use crate::helpers::TestApp;

/// Who has been told of what, as `username:kind`, in order.
async fn told(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT u.username || ':' || n.kind FROM notifications n JOIN users u ON u.id = n.user_id
          ORDER BY n.id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

async fn set(app: &TestApp, path: &str, level: &str) {
    let answer = app.act(path, &[("level", level)]).await;
    assert!(
        answer.done(),
        "{path} {level}: {} {}",
        answer.status,
        answer.body
    );
}

#[tokio::test]
async fn a_muted_thread_tells_nothing_and_leaves_the_lists() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let bea = app.member_browser("bea", gardens, "member").await;
    let thread = ana
        .start_thread("gardens", "Slug pellets", "Yes or no?")
        .await;
    let other = ana.start_thread("gardens", "Leaf mould", "How long?").await;

    // The author watches her thread by default; she mutes it.
    assert!(ana
        .get(&format!("/t/{thread}"))
        .await
        .contains("<option value=\"watching\" selected>"));
    set(&ana, &format!("/t/{thread}/watch"), "muted").await;
    let page = ana.get(&format!("/t/{thread}")).await;
    assert!(page.contains("Muted this thread: never told; left out of your lists."));
    assert!(page.contains("<option value=\"muted\" selected>"));

    bea.reply(thread, "No, @ana: beer traps.").await;
    bea.reply(other, "A year.").await;
    assert_eq!(
        told(&app).await,
        ["ana:reply"],
        "only the thread she did not mute"
    );
    for list in ["/", "/d/gardens", "/?view=unread", "/d/gardens?view=unread"] {
        let page = ana.get(list).await;
        assert!(
            !page.contains("Slug pellets"),
            "{list} lists a muted thread"
        );
    }
    assert!(ana.get("/d/gardens").await.contains("Leaf mould"));
    // Others still see it.
    assert!(bea.get("/d/gardens").await.contains("Slug pellets"));
    // Set back to watching, it is told and listed again.
    set(&ana, &format!("/t/{thread}/watch"), "watching").await;
    bea.reply(thread, "Or copper tape.").await;
    assert_eq!(told(&app).await, ["ana:reply", "ana:reply"]);
    assert!(ana.get("/d/gardens").await.contains("Slug pellets"));
}

#[tokio::test]
async fn a_watched_domain_tells_of_each_new_thread_and_reply_and_a_muted_one_of_nothing() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let orchards = app.create_domain("orchards", "public").await;
    let ana = app.other_browser();
    let ana_id = ana.member("ana", gardens, "member").await;
    app.add_member(orchards, ana_id, "member").await;
    let cal = app.other_browser();
    let cal_id = cal.member("cal", gardens, "member").await;
    app.add_member(orchards, cal_id, "member").await;

    set(&cal, "/d/gardens/watch", "watching").await;
    assert!(cal
        .get("/d/gardens")
        .await
        .contains("Watching Gardens: told of every new thread and reply."));
    set(&cal, "/d/orchards/watch", "muted").await;
    let thread = ana.start_thread("gardens", "Frost cloth", "When?").await;
    ana.reply(thread, "Now, I think.").await;
    let quiet = ana
        .start_thread("orchards", "Pruning plums", "Summer, @cal?")
        .await;
    ana.reply(quiet, "After fruiting.").await;
    assert_eq!(
        told(&app).await,
        ["cal:new_thread", "cal:reply"],
        "a muted domain tells nothing, not even a mention"
    );
    let notifications = cal.get("/notifications").await;
    assert!(
        notifications.contains("ana started “Frost cloth”"),
        "{}",
        notifications.body
    );
    // The muted domain's threads are gone from his home page, but its own page lists them.
    let home = cal.get("/").await;
    assert!(home.contains("Frost cloth") && !home.contains("Pruning plums"));
    assert!(cal.get("/d/orchards").await.contains("Pruning plums"));
    // A thread's own level wins over its domain's.
    set(&cal, &format!("/t/{quiet}/watch"), "watching").await;
    ana.reply(quiet, "Or in winter.").await;
    assert_eq!(
        told(&app).await.last().map(String::as_str),
        Some("cal:reply")
    );
    assert!(cal
        .get(&format!("/t/{thread}"))
        .await
        .contains("<option value=\"watching\" selected>"));
}

#[tokio::test]
async fn a_thread_set_to_normal_counts_nothing_new_but_a_mention_still_arrives() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let bea = app.member_browser("bea", gardens, "member").await;
    let thread = ana.start_thread("gardens", "Frost cloth", "When?").await;
    bea.get(&format!("/t/{thread}")).await;
    ana.reply(thread, "Any thoughts?").await;
    assert!(bea.get("/d/gardens").await.contains("1 new"));
    set(&bea, &format!("/t/{thread}/watch"), "normal").await;
    let domain = bea.get("/d/gardens").await;
    assert!(domain.contains("Frost cloth") && !domain.contains("1 new"));
    assert!(!bea.get("/?view=unread").await.contains("Frost cloth"));
    ana.reply(thread, "@bea, you?").await;
    assert_eq!(told(&app).await, ["bea:mention"]);
}

#[tokio::test]
async fn bad_watching_requests_get_clear_answers() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let circle = app.create_domain("circle", "private").await;
    let ana = app.create_user("ana").await;
    let secret = app.insert_thread(circle, ana, "Secret", 0).await;
    let open = app.insert_thread(gardens, ana, "Open", 0).await;
    let bea = app.member_browser("bea", gardens, "member").await;
    let bogus = bea
        .act(&format!("/t/{open}/watch"), &[("level", "obsessed")])
        .await;
    assert_eq!(bogus.status, StatusCode::BAD_REQUEST);
    assert!(bogus.contains("Choose watching, tracking, normal or muted."));
    assert_eq!(
        bea.act(&format!("/t/{secret}/watch"), &[("level", "muted")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bea.act("/d/circle/watch", &[("level", "watching")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bea.act("/t/99999/watch", &[("level", "muted")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.count("SELECT count(*) FROM thread_watches").await, 0);
    assert_eq!(app.count("SELECT count(*) FROM domain_watches").await, 0);
    let visitor = app.other_browser();
    assert!(!visitor
        .act(&format!("/t/{open}/watch"), &[("level", "muted")])
        .await
        .done());
    // A visitor is offered no level to choose.
    assert!(!visitor
        .get(&format!("/t/{open}"))
        .await
        .contains("watch-level"));
    assert!(!visitor.get("/d/gardens").await.contains("watch-level"));
}

/// Starts a thread with tags through the form; returns its id.
async fn start_tagged(app: &TestApp, slug: &str, title: &str, tags: &str) -> i64 {
    let path = format!("/d/{slug}/new");
    let fields = [
        ("title", title),
        ("kind", "discussion"),
        ("tags", tags),
        ("body", "Opening words."),
    ];
    let answer = app.submit(&path, &path, &fields).await;
    answer
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("/t/"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a thread: {} {}", answer.status, answer.body))
}

#[tokio::test]
async fn a_watched_tag_tells_of_its_threads_and_a_muted_tag_takes_them_out_of_the_lists() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let council = app.create_domain("council", "private").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let bea = app.member_browser("bea", gardens, "member").await;
    let cal = app.member_browser("cal", gardens, "member").await;
    let bea_id = app
        .count("SELECT id FROM users WHERE username = 'bea'")
        .await;
    app.add_member(council, bea_id, "member").await;

    // A tag that is not one comes back named, with everything typed kept.
    let path = "/d/gardens/new";
    let refused = bea
        .submit(
            path,
            path,
            &[
                ("title", "Sheet mulch"),
                ("tags", "compost, !!!"),
                ("body", "Kept words"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("id=\"tags-error\"") && refused.contains("“!!!” is not a tag"));
    assert!(refused.contains("value=\"compost, !!!\"") && refused.contains("Kept words"));

    // Ana watches "compost"; Cal mutes "no dig" (a tag with a space, in a path).
    set(&ana, "/tags/compost/watch", "watching").await;
    set(&cal, "/tags/no%20dig/watch", "muted").await;
    assert!(cal
        .get("/tags/no%20dig")
        .await
        .contains("<option value=\"muted\" selected>"));
    assert!(cal
        .get("/me/settings")
        .await
        .contains("href=\"/tags/no%20dig\">no dig</a> muted"));

    let no_dig = start_tagged(&bea, "gardens", "Beds on grass", "No  Dig, Compost").await;
    let thread = bea.get(&format!("/t/{no_dig}")).await;
    assert!(
        thread.contains("href=\"/tags/no%20dig\">no dig</a>"),
        "{}",
        thread.body
    );
    start_tagged(&bea, "council", "Compost budget", "compost").await;
    assert_eq!(
        told(&app).await,
        ["ana:new_thread"],
        "Ana of the public thread only; Cal nothing"
    );
    bea.reply(no_dig, "Cardboard first.").await;
    assert_eq!(told(&app).await, ["ana:new_thread", "ana:reply"]);

    // Muted through its tag, the thread leaves Cal's lists but not the tag's own page.
    for list in ["/", "/d/gardens"] {
        assert!(!cal.get(list).await.contains("Beds on grass"), "{list}");
        assert!(ana.get(list).await.contains("Beds on grass"), "{list}");
    }
    assert!(cal.get("/tags/no%20dig").await.contains("Beds on grass"));
    // The thread's own level wins over its tags'.
    set(&cal, &format!("/t/{no_dig}/watch"), "watching").await;
    assert!(cal.get("/d/gardens").await.contains("Beds on grass"));
    bea.reply(no_dig, "Then compost.").await;
    assert!(told(&app).await.contains(&"cal:reply".to_string()));

    // A tag's page lists only what its reader may read.
    assert!(ana.get("/tags/compost").await.contains("Beds on grass"));
    assert!(!ana.get("/tags/compost").await.contains("Compost budget"));
    assert!(bea.get("/tags/compost").await.contains("Compost budget"));
    let visitor = app.other_browser();
    let public = visitor.get("/tags/compost").await;
    assert!(public.contains("Beds on grass") && !public.contains("Compost budget"));
    assert!(!public.contains("watch-level"), "a visitor sets no level");

    // Not a tag: the 404 page; a level that is not one: a clear answer.
    for bad in ["/tags/!!!", "/tags/a,b", "/tags/%20"] {
        assert_eq!(
            visitor.get(bad).await.status,
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
    let bad_level = ana.act("/tags/compost/watch", &[("level", "loud")]).await;
    assert_eq!(bad_level.status, StatusCode::BAD_REQUEST);
    assert!(bad_level.contains("Choose watching, tracking, normal or muted."));
    assert_eq!(
        app.count("SELECT count(*) FROM tag_watches WHERE level = 'muted'")
            .await,
        1,
        "nothing changed but Cal's one mute"
    );
}

#[tokio::test]
async fn a_thread_s_author_and_its_facilitators_change_its_tags_and_nobody_else() {
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.member_browser("ana", gardens, "member").await;
    let bea = app.member_browser("bea", gardens, "member").await;
    let fay = app.member_browser("fay", gardens, "facilitator").await;
    let thread = start_tagged(&ana, "gardens", "Leaf mould", "leaves").await;
    let path = format!("/t/{thread}/tags");

    assert!(ana
        .get(&format!("/t/{thread}"))
        .await
        .contains(&format!("href=\"{path}\">Edit tags</a>")));
    assert!(!bea.get(&format!("/t/{thread}")).await.contains(&path));
    assert_eq!(bea.get(&path).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        bea.act(&path, &[("tags", "spam")]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(ana.get("/t/99999/tags").await.status, StatusCode::NOT_FOUND);

    // A problem comes back named beside the field, with the text as typed.
    let refused = ana.submit(&path, &path, &[("tags", "leaves, ???")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("id=\"tags-error\"") && refused.contains("value=\"leaves, ???\""));

    assert!(ana
        .submit(&path, &path, &[("tags", "Leaves, Mould")])
        .await
        .done());
    let page = ana.get(&format!("/t/{thread}")).await;
    assert!(page.contains("Tags saved: leaves, mould."));
    assert!(page.contains("href=\"/tags/mould\">mould</a>"));
    assert!(fay.submit(&path, &path, &[("tags", "")]).await.done());
    assert!(!fay.get("/tags/mould").await.contains("Leaf mould"));
    assert_eq!(
        app.count("SELECT cardinality(tags)::bigint FROM threads")
            .await,
        0,
        "the facilitator cleared them"
    );
}
