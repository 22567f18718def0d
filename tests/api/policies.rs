//! Each permission is decided by one function that the thread page and the handler both call.
//! These tests hold the two sides against each other: for every kind of viewer and every kind
//! of post, the page offers the control exactly when the handler carries out the request.

use crate::helpers::{TestApp, PASSWORD};

/// A question in a public domain with the posts a thread page shows in every state.
struct Scene {
    app: TestApp,
    thread: i64,
    opening: i64,
    answer: i64,
    own_reply: i64,
    hidden: i64,
    deleted: i64,
    /// (name, browser) for each kind of viewer.
    viewers: Vec<(&'static str, TestApp)>,
}

async fn scene() -> Scene {
    let app = TestApp::spawn().await;
    let domain = app.create_domain("gardens", "public").await;
    let asker = app.other_browser();
    asker.member("asker", domain, "member").await;
    let helper = app.other_browser();
    helper.member("helper", domain, "member").await;
    let thread = asker
        .ask("gardens", "Why is my compost cold?", "It never warms up.")
        .await;
    let opening: i64 = sqlx::query_scalar("SELECT min(id) FROM posts WHERE thread_id = $1")
        .bind(thread)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let answer = helper.answer(thread, "Turn it weekly.").await;
    let own_reply = asker.answer(thread, "Thanks, I will try.").await;
    let hidden = helper.answer(thread, "Buy my compost!").await;
    app.hide_post(hidden).await;
    let deleted = helper.answer(thread, "Oops, wrong thread.").await;
    app.delete_post(deleted).await;

    let member = app.other_browser();
    member.member("member", domain, "member").await;
    let banned = app.other_browser();
    let banned_id = banned.member("banned", domain, "member").await;
    app.ban(domain, banned_id).await;
    let facilitator = app.other_browser();
    facilitator
        .member("facilitator", domain, "facilitator")
        .await;
    let outsider = app.other_browser();
    outsider.outsider("outsider").await;
    let visitor = app.other_browser();
    let viewers = vec![
        ("asker", asker),
        ("helper", helper),
        ("member", member),
        ("banned", banned),
        ("facilitator", facilitator),
        ("outsider", outsider),
        ("visitor", visitor),
    ];
    Scene {
        app,
        thread,
        opening,
        answer,
        own_reply,
        hidden,
        deleted,
        viewers,
    }
}

impl Scene {
    fn posts(&self) -> [(&'static str, i64); 5] {
        [
            ("opening", self.opening),
            ("answer", self.answer),
            ("own reply", self.own_reply),
            ("hidden", self.hidden),
            ("deleted", self.deleted),
        ]
    }

    /// Checks page against handler for every viewer and post; returns how many pairs the
    /// handler allowed and refused, so a test can see both outcomes occurred.
    async fn agree<'a, F, Fut>(
        &'a self,
        control: impl Fn(i64) -> String,
        attempt: F,
    ) -> (usize, usize)
    where
        F: Fn(&'a TestApp, i64) -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let (mut allowed, mut refused) = (0, 0);
        for (who, browser) in &self.viewers {
            let page = browser.get(&format!("/t/{}", self.thread)).await;
            assert_eq!(page.status, 200, "{who} reads the thread");
            for (what, post) in self.posts() {
                let offered = page.post_markup(post).contains(&control(post));
                let carried_out = attempt(browser, post).await;
                assert_eq!(
                    offered,
                    carried_out,
                    "{who} on the {what} post: the page {} the control but the handler {}",
                    if offered { "offers" } else { "does not offer" },
                    if carried_out { "accepts" } else { "refuses" },
                );
                if carried_out {
                    allowed += 1;
                } else {
                    refused += 1;
                }
            }
        }
        (allowed, refused)
    }
}

#[tokio::test]
async fn reacting_is_offered_exactly_where_it_is_accepted() {
    let scene = scene().await;
    let (allowed, refused) = scene
        .agree(
            |post| format!("action=\"/p/{post}/react\""),
            |browser, post| async move {
                let done = browser.react(post, "thanks").await.done();
                if done {
                    // Take it back, so the next viewer sees the same page.
                    browser.react(post, "thanks").await;
                }
                done
            },
        )
        .await;
    assert!(
        allowed > 0 && refused > 0,
        "{allowed} allowed, {refused} refused"
    );
}

#[tokio::test]
async fn flagging_is_offered_exactly_where_it_is_accepted() {
    let scene = scene().await;
    let (allowed, refused) = scene
        .agree(
            |post| format!("href=\"/p/{post}/flag\""),
            |browser, post| async move {
                // The flag page opens exactly where the flag is then accepted.
                let asked = browser.get(&format!("/p/{post}/flag")).await.status == 200;
                let done = browser.flag(post, "spam").await.done();
                assert_eq!(
                    asked, done,
                    "the flag page and the flag agree on post {post}"
                );
                done
            },
        )
        .await;
    assert!(
        allowed > 0 && refused > 0,
        "{allowed} allowed, {refused} refused"
    );
}

#[tokio::test]
async fn promoting_is_offered_exactly_where_it_is_accepted() {
    let scene = scene().await;
    let (allowed, refused) = scene
        .agree(
            |post| format!("/repertoire/new?from={post}\""),
            |browser, post| async move {
                browser.promote_form("gardens", post).await.status == 200
            },
        )
        .await;
    assert!(
        allowed > 0 && refused > 0,
        "{allowed} allowed, {refused} refused"
    );
}

#[tokio::test]
async fn accepting_is_offered_exactly_where_it_is_accepted() {
    let scene = scene().await;
    let thread = scene.thread;
    let (allowed, refused) = scene
        .agree(
            |_| format!("action=\"/t/{thread}/accept\""),
            |browser, post| async move {
                let done = browser.accept(thread, post).await.done();
                if done {
                    browser.act(&format!("/t/{thread}/unaccept"), &[]).await;
                }
                done
            },
        )
        .await;
    assert!(
        allowed > 0 && refused > 0,
        "{allowed} allowed, {refused} refused"
    );
    // The asker and the facilitator may accept; nobody else may, and never the question itself.
    let asker = scene.app.other_browser();
    asker.login("asker", PASSWORD).await;
    assert!(!asker.accept(thread, scene.opening).await.done());
    assert!(asker.accept(thread, scene.answer).await.done());
}
