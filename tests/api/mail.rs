//! Mail, delivered to a real SMTP server started by the test (Debian's aiosmtpd, saving what it
//! receives in a Maildir) and read back as a mail client would: the reset journey, the outbox,
//! the SMTP server going away, and two senders sharing one queue.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{free_port, TestApp, PASSWORD};
use commonplace::Config;
use reqwest::StatusCode;

/// The Python that Debian's `python3-aiosmtpd` installs into.
const PYTHON: &str = "/usr/bin/python3";

/// A real SMTP server on a port of its own, keeping each message it accepts as a file.
struct SmtpListener {
    address: SocketAddr,
    maildir: PathBuf,
    process: Child,
}

fn smtp_available() -> bool {
    let found = Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        eprintln!(
            "SKIPPED a mail test: no aiosmtpd for {PYTHON} (install Debian's python3-aiosmtpd, \
             as .ci/run does)"
        );
    }
    found
}

impl SmtpListener {
    async fn start_on(address: SocketAddr, maildir: PathBuf) -> SmtpListener {
        let process = Command::new(PYTHON)
            .args(["-m", "aiosmtpd", "-n", "-l", &address.to_string()])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd starts");
        let listener = SmtpListener {
            address,
            maildir,
            process,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(address).await.is_err() {
            assert!(Instant::now() < deadline, "aiosmtpd listens");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        listener
    }

    async fn start(name: &str) -> SmtpListener {
        let maildir = std::env::temp_dir().join(format!(
            "commonplace-test-{}-mail-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&maildir);
        SmtpListener::start_on(free_port(), maildir).await
    }

    fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    /// The raw messages received so far.
    fn received(&self) -> Vec<Vec<u8>> {
        let Ok(files) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        files
            .flatten()
            .filter_map(|file| std::fs::read(file.path()).ok())
            .collect()
    }

    /// Waits until `count` messages have arrived (and a moment longer, to catch extra ones).
    async fn wait_for(&self, count: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.received().len() < count {
            assert!(
                Instant::now() < deadline,
                "{count} messages arrive (got {})",
                self.received().len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
        self.received()
    }

    fn stop(mut self) -> PathBuf {
        let _ = self.process.kill();
        let _ = self.process.wait();
        self.maildir.clone()
    }
}

impl Drop for SmtpListener {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

async fn app_sending_to(smtp: &SmtpListener) -> TestApp {
    TestApp::spawn_with(Config {
        page_cache: false,
        smtp_url: Some(smtp.url()),
        mail_from: "Commonplace <noreply@garden.example>".into(),
        base_url: "http://garden.example".into(),
        ..Config::defaults()
    })
    .await
}

/// Asks for a reset link at `/forgot` for `login`; returns the page.
async fn forgot(app: &TestApp, login: &str) -> crate::helpers::Page {
    app.submit("/forgot", "/forgot", &[("login", login)]).await
}

/// A received message, parsed: its headers and its plain-text and HTML parts.
struct Received {
    header: Vec<(String, String)>,
    content_type: String,
    text: String,
    html: String,
}

fn parse(raw: &[u8]) -> Received {
    let mail = mailparse::parse_mail(raw).expect("a well-formed message");
    let header = mail
        .headers
        .iter()
        .map(|h| (h.get_key().to_lowercase(), h.get_value()))
        .collect();
    let part = |mime: &str| {
        mail.subparts
            .iter()
            .find(|p| p.ctype.mimetype == mime)
            .and_then(|p| p.get_body().ok())
            .unwrap_or_default()
    };
    Received {
        header,
        content_type: mail.ctype.mimetype.clone(),
        text: part("text/plain"),
        html: part("text/html"),
    }
}

impl Received {
    fn get(&self, name: &str) -> Option<&str> {
        self.header
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The path of the first link to this site in the plain-text part.
    fn link_path(&self) -> String {
        let start = self.text.find("http://garden.example/").expect("a link");
        let link = self.text[start..].split_whitespace().next().unwrap();
        link.trim_start_matches("http://garden.example").to_string()
    }
}

#[tokio::test]
async fn a_forgotten_password_is_reset_from_a_link_sent_by_mail() {
    if !smtp_available() {
        return;
    }
    let smtp = SmtpListener::start("reset").await;
    let app = app_sending_to(&smtp).await;
    let ana = app.create_user("ana").await;
    let elsewhere = app.other_browser();
    assert!(elsewhere.login("ana", PASSWORD).await.done());

    // The same answer whether or not the address has an account.
    let known = forgot(&app, "ana@example.org").await;
    let unknown = forgot(&app, "nobody@example.org").await;
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(unknown.status, StatusCode::OK);
    let answer = "a link to choose a new password is on its way";
    assert!(known.contains(answer) && unknown.contains(answer));
    assert_eq!(
        known.body.replace("ana@example.org", ""),
        unknown.body.replace("nobody@example.org", ""),
        "nothing tells the two apart"
    );

    let messages = smtp.wait_for(1).await;
    assert_eq!(messages.len(), 1, "one message, to the account that exists");
    let mail = parse(&messages[0]);
    assert_eq!(mail.get("to"), Some("ana@example.org"));
    assert_eq!(
        mail.get("from"),
        Some("Commonplace <noreply@garden.example>")
    );
    assert_eq!(
        mail.get("subject"),
        Some("Choose a new password for Commonplace")
    );
    assert!(mail.get("date").is_some());
    assert!(mail
        .get("message-id")
        .is_some_and(|id| id.starts_with('<') && id.ends_with("@garden.example>")));
    assert_eq!(mail.content_type, "multipart/alternative");
    assert!(mail.text.contains("Hello ana,") && mail.text.contains("within an hour"));
    assert!(mail.html.contains("Choose a new password</a>"));

    // The link works once, and ends the account's other sessions.
    let link = mail.link_path();
    assert!(mail.html.contains(&format!("http://garden.example{link}")));
    let stranger = app.other_browser();
    let form = stranger.get(&link).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let set = stranger
        .submit(
            &link,
            &link,
            &[
                ("password", "a brand new secret"),
                ("confirm", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    assert!(stranger.login("ana", "a brand new secret").await.done());
    assert_eq!(
        elsewhere.signed_in_as().await,
        None,
        "the other session ended"
    );
    let again = stranger.get(&link).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(
        again.contains("/forgot"),
        "the used link says where to get a new one"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM outbox WHERE user_id = {ana} AND sent_at IS NOT NULL"
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn without_smtp_admins_read_what_would_have_been_sent() {
    let app = TestApp::spawn().await;
    app.create_user("ana").await;
    let page = forgot(&app, "ana").await;
    assert!(page.contains("is on its way"));

    let admin = app.admin_browser().await;
    let outbox = admin.get("/admin/outbox").await;
    assert!(outbox.contains("Choose a new password for Commonplace"));
    assert!(outbox.contains("not sent: no SMTP server is configured"));
    let id: i64 = sqlx::query_scalar("SELECT id FROM outbox")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let message = admin.get(&format!("/admin/outbox/{id}")).await;
    assert!(message.contains("<iframe class=\"mail-preview\" sandbox srcdoc=\""));
    assert!(message.contains("/reset/"), "the link is shown");

    // Members do not read the outbox; a message that does not exist is a 404.
    let member = app.other_browser();
    member.login("ana", PASSWORD).await;
    assert_eq!(
        member.get("/admin/outbox").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin.get("/admin/outbox/999999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        admin.get("/admin/outbox/abc").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn asking_again_and_again_is_held_to_a_few_links() {
    let app = TestApp::spawn().await;
    app.create_user("ana").await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(forgot(&app, "ANA").await.status);
    }
    assert_eq!(&statuses[..3], &[StatusCode::OK; 3]);
    assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.count("SELECT count(*) FROM outbox").await, 3);
    let empty = forgot(&app, "   ").await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.contains("Enter the username or email address"));
}

#[tokio::test]
async fn mail_waits_while_the_smtp_server_is_away_and_is_sent_once_it_returns() {
    if !smtp_available() {
        return;
    }
    let smtp = SmtpListener::start("away").await;
    let app = app_sending_to(&smtp).await;
    let maildir = smtp.stop();
    app.create_user("ana").await;
    forgot(&app, "ana").await;

    let failed_once = "SELECT count(*) FROM outbox
                        WHERE sent_at IS NULL AND failed_at IS NULL AND attempts >= 1
                          AND last_error IS NOT NULL";
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.count(failed_once).await != 1 {
        assert!(Instant::now() < deadline, "the first try fails and is kept");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let retried = [("then", "retry")];
    assert_eq!(
        app.metric("commonplace_mail_failures_total", &retried)
            .await,
        Some(1.0)
    );
    assert_eq!(
        app.metric("commonplace_mail_queue_depth", &[]).await,
        Some(1.0)
    );
    assert_eq!(app.metric("commonplace_mail_sent_total", &[]).await, None);

    // The server comes back; the retry is due (the test moves the clock instead of waiting 30 s).
    let smtp =
        SmtpListener::start_on(url_address(&app.config.smtp_url.clone().unwrap()), maildir).await;
    sqlx::query("UPDATE outbox SET next_attempt_at = now()")
        .execute(&app.db)
        .await
        .unwrap();
    let messages = smtp.wait_for(1).await;
    assert_eq!(messages.len(), 1, "sent once, nothing lost, nothing twice");
    assert_eq!(
        app.count("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL")
            .await,
        1
    );
    assert_eq!(
        app.metric("commonplace_mail_sent_total", &[]).await,
        Some(1.0)
    );
    assert_eq!(
        app.metric("commonplace_mail_queue_depth", &[]).await,
        Some(0.0)
    );
}

fn url_address(url: &str) -> SocketAddr {
    url.trim_start_matches("smtp://")
        .parse()
        .expect("host:port")
}

#[tokio::test]
async fn two_servers_sharing_one_queue_send_each_message_once() {
    if !smtp_available() {
        return;
    }
    let smtp = SmtpListener::start("shared").await;
    let first = app_sending_to(&smtp).await;
    let second = TestApp::spawn_on(first.db.clone(), first.config.clone()).await;
    sqlx::query(
        "INSERT INTO outbox (to_address, subject, text_body, html_body, message_id)
         SELECT 'member' || n || '@example.org', 'Message ' || n, 'Text', '<p>HTML</p>',
                '<m' || n || '@garden.example>'
           FROM generate_series(1, 40) n",
    )
    .execute(&first.db)
    .await
    .unwrap();
    let messages = smtp.wait_for(40).await;
    let mut ids: Vec<String> = messages
        .iter()
        .map(|raw| parse(raw).get("message-id").unwrap_or_default().to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(messages.len(), 40, "no message sent twice");
    assert_eq!(ids.len(), 40, "every message sent");
    drop(second);
}

/// Lets `user_id` have last been on the site `how_long` ago (a new account counts as just seen).
async fn away(app: &TestApp, user_id: i64, how_long: &str) {
    sqlx::query("UPDATE member_presence SET seen_at = now() - $2::interval WHERE user_id = $1")
        .bind(user_id)
        .bind(how_long)
        .execute(&app.db)
        .await
        .unwrap();
}

/// What the notification-mail job does, run now, with no wait.
async fn mail_due(app: &TestApp) -> usize {
    commonplace::support::mailing::mail_due(&app.db, &app.config, Duration::ZERO)
        .await
        .unwrap()
}

/// Posts to a one-click unsubscribe link as a mail client does: no session, no CSRF token.
async fn one_click(app: &TestApp, url: &str) -> (StatusCode, String) {
    let path = url
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim_start_matches("http://garden.example");
    let response = reqwest::Client::new()
        .post(format!("http://{}{path}", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test]
async fn replies_are_mailed_to_an_away_member_threaded_once_and_stop_in_one_click() {
    if !smtp_available() {
        return;
    }
    let smtp = SmtpListener::start("notify").await;
    let app = app_sending_to(&smtp).await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana_browser = app.other_browser();
    let ana = ana_browser.member("ana", gardens, "member").await;
    let thread = ana_browser
        .start_thread("gardens", "Cold compost", "Why is my heap cold?")
        .await;
    let bea = app.other_browser();
    bea.member("bea", gardens, "member").await;
    away(&app, ana, "1 hour").await;

    bea.answer(thread, "Turn it and add **greens**: grass clippings work.")
        .await;
    assert_eq!(mail_due(&app).await, 1);
    assert_eq!(mail_due(&app).await, 0, "each notification is mailed once");
    let first = parse(&smtp.wait_for(1).await[0]);
    assert_eq!(first.get("to"), Some("ana@example.org"));
    assert_eq!(first.get("subject"), Some("[Gardens] Cold compost"));
    let thread_key = format!("<thread-{thread}@garden.example>");
    assert_eq!(first.get("in-reply-to"), Some(thread_key.as_str()));
    assert_eq!(first.get("references"), Some(thread_key.as_str()));
    assert_eq!(
        first.get("list-id"),
        Some("\"Gardens\" <gardens.garden.example>")
    );
    assert_eq!(
        first.get("list-unsubscribe-post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(
        first.text.contains("bea replied in “Cold compost”"),
        "{}",
        first.text
    );
    assert!(first.text.contains("grass clippings work"));
    assert!(first.html.contains("grass clippings work") && !first.html.contains("<strong>"));
    // The link opens the notification for its member, marking it read.
    let opened = ana_browser.get(&first.link_path()).await;
    assert_eq!(
        opened.location.as_deref().map(|l| l.starts_with("/p/")),
        Some(true)
    );

    // A member on the site when the reply arrives sees it there and is not mailed.
    ana_browser.get("/").await;
    bea.answer(thread, "Or cover it.").await;
    assert_eq!(mail_due(&app).await, 0, "Ana is on the site");

    // She reads it there, then goes away: the next reply is a second message in the thread.
    assert!(ana_browser.act("/notifications/read", &[]).await.done());
    away(&app, ana, "1 hour").await;
    bea.answer(thread, "And keep it damp.").await;
    assert_eq!(mail_due(&app).await, 1);
    let received = smtp.wait_for(2).await;
    let second = received
        .iter()
        .map(|raw| parse(raw))
        .find(|m| m.text.contains("keep it damp"))
        .expect("the second message");
    assert_eq!(second.get("in-reply-to"), Some(thread_key.as_str()));
    assert_ne!(second.get("message-id"), first.get("message-id"));

    // One click, with no session and no token, stops reply mail; nothing else changes.
    let unsubscribe = first.get("list-unsubscribe").unwrap().to_string();
    assert!(unsubscribe.contains("/reply>"), "{unsubscribe}");
    let (status, page) = one_click(&app, &unsubscribe).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("you will no longer get the emails for “<strong>Replies to your threads"));
    bea.answer(thread, "One more thing.").await;
    assert_eq!(mail_due(&app).await, 0, "reply mail is off");
    let settings = ana_browser.get("/me/settings").await;
    assert!(settings.contains("name=\"reply\" value=\"never\" checked"));
    assert!(settings.contains("name=\"mention\" value=\"immediately\" checked"));
    let (status, _) = one_click(&app, "http://garden.example/unsubscribe/not-a-token/reply").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_private_message_is_mailed_to_its_away_recipient_alone_and_stops_at_a_block() {
    if !smtp_available() {
        return;
    }
    let smtp = SmtpListener::start("messages").await;
    let app = app_sending_to(&smtp).await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.other_browser();
    ana.member("ana", gardens, "member").await;
    let bea = app.other_browser();
    let bea_id = bea.member("bea", gardens, "member").await;
    let cal = app.other_browser();
    let cal_id = cal.member("cal", gardens, "member").await;
    away(&app, bea_id, "1 hour").await;
    away(&app, cal_id, "1 hour").await;

    let started = ana
        .submit(
            "/messages/new",
            "/messages/new",
            &[
                ("to", "bea"),
                ("title", "Seed swap"),
                ("body", "Shall we swap **zymurgical** seeds?"),
            ],
        )
        .await;
    let conversation = started.location.clone().expect("a conversation");
    assert_eq!(mail_due(&app).await, 1, "Bea alone, not Cal, not Ana");
    let mail = parse(&smtp.wait_for(1).await[0]);
    assert_eq!(mail.get("to"), Some("bea@example.org"));
    assert_eq!(mail.get("subject"), Some("[Private message] Seed swap"));
    assert_eq!(
        mail.get("list-id"),
        Some("\"Private messages\" <messages.private.garden.example>")
    );
    let id = conversation.trim_start_matches("/messages/");
    let key = format!("<conversation-{id}@garden.example>");
    assert_eq!(mail.get("in-reply-to"), Some(key.as_str()));
    assert!(
        mail.text.contains("ana wrote to you: “Seed swap”"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("zymurgical seeds"));
    assert!(mail
        .text
        .contains("You get this from a private conversation"));
    assert!(mail.html.contains("zymurgical seeds") && !mail.html.contains("<strong>"));
    assert!(mail.get("list-unsubscribe").unwrap().contains("/message>"));
    assert_eq!(
        bea.get(&mail.link_path()).await.location.as_deref(),
        Some(conversation.as_str()),
        "the link opens the conversation"
    );

    // A message from someone Bea blocks before it is mailed is not mailed.
    let reply = format!("{conversation}/reply");
    assert!(ana.act(&reply, &[("body", "Tomorrow then?")]).await.done());
    assert!(bea
        .act("/messages/block", &[("username", "ana")])
        .await
        .done());
    away(&app, bea_id, "1 hour").await;
    assert_eq!(mail_due(&app).await, 0, "Bea blocked Ana");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(smtp.received().len(), 1);
}

#[tokio::test]
async fn mail_never_names_what_the_member_may_no_longer_read() {
    if !smtp_available() {
        return;
    }
    let smtp = SmtpListener::start("private").await;
    let app = app_sending_to(&smtp).await;
    let gardens = app.create_domain("gardens", "public").await;
    app.create_domain("council", "private").await;
    let ana_browser = app.other_browser();
    let ana = ana_browser.member("ana", gardens, "member").await;
    let thread = ana_browser
        .start_thread("gardens", "Budget talk", "Opening")
        .await;
    let bea = app.other_browser();
    bea.member("bea", gardens, "facilitator").await;
    away(&app, ana, "1 hour").await;
    bea.answer(thread, "The secret figure is 42.").await;
    let council: i64 = sqlx::query_scalar("SELECT id FROM domains WHERE slug = 'council'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE threads SET domain_id = $2 WHERE id = $1")
        .bind(thread)
        .bind(council)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        mail_due(&app).await,
        0,
        "the thread moved where Ana cannot read"
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(smtp.received().is_empty());
}

#[tokio::test]
async fn a_daily_summary_gathers_what_the_member_chose_to_have_daily() {
    if !smtp_available() {
        return;
    }
    let smtp = SmtpListener::start("summary").await;
    let app = app_sending_to(&smtp).await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana_browser = app.other_browser();
    let ana = ana_browser.member("ana", gardens, "member").await;
    let thread = ana_browser
        .start_thread("gardens", "Leaf mould", "How long?")
        .await;

    // A choice that is not offered comes back with the problem named and the rest kept.
    let refused = ana_browser
        .act(
            "/me/settings",
            &[
                ("mention", "never"),
                ("reply", "hourly"),
                ("accepted", "immediately"),
                ("commitment_due", "immediately"),
                ("flag_outcome", "daily"),
                ("digest", "never"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("name=\"digest\" value=\"never\" checked"));
    assert!(refused.contains("id=\"reply-error\""));
    assert!(refused.contains("name=\"mention\" value=\"never\" checked"));
    let saved = ana_browser
        .act(
            "/me/settings",
            &[
                ("mention", "immediately"),
                ("message", "immediately"),
                ("reply", "daily"),
                ("new_thread", "immediately"),
                ("accepted", "immediately"),
                ("did_it_work", "immediately"),
                ("bookmark_reminder", "immediately"),
                ("commitment_due", "immediately"),
                ("flag_outcome", "daily"),
                ("flagged", "immediately"),
                ("post_hidden", "immediately"),
                ("digest", "weekly"),
            ],
        )
        .await;
    assert!(saved.done(), "{}", saved.body);
    assert!(ana_browser
        .get("/me/settings")
        .await
        .contains("Your email settings are saved."));

    let bea = app.other_browser();
    bea.member("bea", gardens, "member").await;
    away(&app, ana, "1 hour").await;
    bea.answer(thread, "A year.").await;
    bea.answer(thread, "Two for fine mould.").await;
    assert_eq!(mail_due(&app).await, 0, "replies wait for the summary");
    let summaries = commonplace::support::mailing::mail_daily_summaries(&app.db, &app.config)
        .await
        .unwrap();
    assert_eq!(summaries, 1);
    let summary = parse(&smtp.wait_for(1).await[0]);
    assert_eq!(
        summary.get("subject"),
        Some("Your Commonplace summary: 2 notifications")
    );
    assert_eq!(
        summary.text.matches("bea replied in “Leaf mould”").count(),
        2
    );
    let again = commonplace::support::mailing::mail_daily_summaries(&app.db, &app.config)
        .await
        .unwrap();
    assert_eq!(again, 0, "nothing is summarised twice");

    let unsubscribe = summary.get("list-unsubscribe").unwrap().to_string();
    let (status, page) = one_click(&app, &unsubscribe).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let settings = ana_browser.get("/me/settings").await;
    assert!(settings.contains("name=\"reply\" value=\"never\" checked"));
    assert!(settings.contains("name=\"flag_outcome\" value=\"never\" checked"));
    assert!(settings.contains("name=\"mention\" value=\"immediately\" checked"));
}

#[tokio::test]
async fn an_invitation_by_email_lands_a_new_member_in_the_domain() {
    if !smtp_available() {
        return;
    }
    let smtp = SmtpListener::start("invite").await;
    let app = app_sending_to(&smtp).await;
    app.create_domain("gardens", "public").await;
    let root = app.create_user("root").await;
    sqlx::query("UPDATE users SET site_role = 'admin' WHERE id = $1")
        .bind(root)
        .execute(&app.db)
        .await
        .unwrap();
    assert!(app.login("root", PASSWORD).await.done());
    let bea = app.create_user("bea").await;

    // A list with a malformed address comes back with the list kept and the culprit named.
    let refused = app
        .act(
            "/admin/domains/gardens/invite",
            &[("addresses", "new@example.org\nnot-an-address")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.contains("These are not email addresses: not-an-address."));
    assert!(refused.contains("new@example.org\nnot-an-address</textarea>"));
    let sent = app
        .act(
            "/admin/domains/gardens/invite",
            &[("addresses", "new@example.org, bea@example.org")],
        )
        .await;
    assert!(sent.done(), "{}", sent.body);
    let received = smtp.wait_for(2).await;
    let messages: Vec<Received> = received.iter().map(|raw| parse(raw)).collect();
    let to_new = messages
        .iter()
        .find(|m| m.get("to") == Some("new@example.org"))
        .expect("the new address is invited");
    assert_eq!(
        to_new.get("subject"),
        Some("root invites you to Gardens on Commonplace")
    );
    assert!(to_new.html.contains("Join Gardens"));

    // Someone new chooses a name and password and lands in the domain, signed in.
    let newcomer = app.other_browser();
    let link = to_new.link_path();
    let form = newcomer.get(&link).await;
    assert!(form.contains("You were invited to Gardens at new@example.org"));
    let weak = newcomer
        .submit(&link, &link, &[("username", "nia"), ("password", "short")])
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.contains("id=\"password-error\"") && weak.contains("value=\"nia\""));
    let joined = newcomer
        .submit(
            &link,
            &link,
            &[
                ("username", "nia"),
                ("display_name", "Nia Okafor"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(
        joined.location.as_deref(),
        Some("/d/gardens"),
        "{}",
        joined.body
    );
    let landed = newcomer.get("/d/gardens").await;
    assert!(landed.contains("Welcome to Gardens, Nia Okafor"));
    assert!(
        landed.contains("action=\"/d/gardens/leave\"")
            && !landed.contains("action=\"/d/gardens/join\""),
        "a member now"
    );
    let member: i64 = app
        .count("SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id JOIN domains d ON d.id = m.domain_id WHERE u.username = 'nia' AND d.slug = 'gardens' AND u.email_confirmed_at IS NOT NULL")
        .await;
    assert_eq!(member, 1, "a confirmed member of the domain");
    let again = app.other_browser().get(&link).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "the link works once");
    assert!(again.contains("This link no longer works"));

    // Someone who has an account joins with one click, then logs in as usual.
    let to_bea = messages
        .iter()
        .find(|m| m.get("to") == Some("bea@example.org"))
        .expect("the member is invited");
    let bea_browser = app.other_browser();
    let bea_link = to_bea.link_path();
    assert!(bea_browser
        .get(&bea_link)
        .await
        .contains("already has an account"));
    let joined = bea_browser.submit(&bea_link, &bea_link, &[]).await;
    assert_eq!(
        joined.location.as_deref(),
        Some("/login?next=%2Fd%2Fgardens")
    );
    let is_member: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM memberships m JOIN domains d ON d.id = m.domain_id WHERE m.user_id = $1 AND d.slug = 'gardens'",
    )
    .bind(bea)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(is_member, 1);
}

async fn weekly_digests(app: &TestApp) -> usize {
    commonplace::digest::mail_weekly_digests(&app.db, &app.config)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_weekly_digest_tells_a_domain_s_week_by_the_five_functions() {
    if !smtp_available() {
        return;
    }
    let smtp = SmtpListener::start("digest").await;
    let app = app_sending_to(&smtp).await;
    let gardens = app.create_domain("gardens", "public").await;
    let quiet = app.create_domain("quiet", "public").await;
    let council = app.create_domain("council", "private").await;
    let ana_browser = app.other_browser();
    let ana = ana_browser.member("ana", gardens, "member").await;
    app.add_member(quiet, ana, "member").await;
    sqlx::query(
        "UPDATE memberships SET joined_at = now() - interval '1 year' WHERE domain_id = $1",
    )
    .bind(quiet)
    .execute(&app.db)
    .await
    .unwrap();
    let fay = app.other_browser();
    let fay_id = fay.member("fay", gardens, "facilitator").await;
    app.add_member(council, fay_id, "facilitator").await;
    let bea = app.other_browser();
    bea.member("bea", gardens, "member").await;
    let dan = app.create_user("dan").await;
    app.add_member(council, dan, "member").await;

    // A week in the gardens: a question solved and one waiting (Support), an entry added and
    // tried (Educate, Integrate), an answer featured and found helpful (Encourage), an event
    // coming (Cultivate), and a commitment falling due.
    let slimy = bea
        .ask("gardens", "Why is my compost slimy?", "It smells.")
        .await;
    let answer = fay.answer(slimy, "Too much green: add browns.").await;
    assert!(bea.accept(slimy, answer).await.done());
    bea.ask("gardens", "When to sow broad beans?", "Autumn or spring?")
        .await;
    let entry = app
        .insert_entry(gardens, "Balancing greens and browns")
        .await;
    assert!(bea.report(entry, "worked").await.done());
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::days(3)).date();
    assert!(bea.commit(entry, &soon.to_string()).await.done());
    let featured = fay
        .act(
            "/spotlight",
            &[("post", &answer.to_string()), ("reason", "A model answer")],
        )
        .await;
    assert!(featured.done(), "{}", featured.body);
    assert!(bea.react(answer, "helpful").await.done());
    let starts = time::OffsetDateTime::now_utc() + time::Duration::days(4);
    let day = starts.date();
    let event = fay
        .act(
            "/d/gardens/events/new",
            &[
                ("title", "Seed swap"),
                ("starts", &format!("{day}T18:00")),
                ("ends", &format!("{day}T20:00")),
                ("time_zone", "UTC"),
                ("place", "The hut"),
                ("agenda", ""),
            ],
        )
        .await;
    assert!(event.done(), "{}", event.body);
    // What a member may not see stays out: a hidden post's praise, the private council's work.
    let traps = fay
        .start_thread("gardens", "Beer traps for slugs", "They work.")
        .await;
    let opening: i64 = sqlx::query_scalar("SELECT min(id) FROM posts WHERE thread_id = $1")
        .bind(traps)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(bea.react(opening, "helpful").await.done());
    app.hide_post(opening).await;
    app.insert_entry(council, "Council budget").await;

    // Ana and Dan were away all week; Bea and Fay were here and see it all on the site.
    away(&app, ana, "8 days").await;
    away(&app, dan, "8 days").await;
    assert_eq!(
        weekly_digests(&app).await,
        2,
        "ana for gardens, dan for council"
    );
    let messages: Vec<Received> = smtp.wait_for(2).await.iter().map(|m| parse(m)).collect();
    let to = |who: &str| {
        messages
            .iter()
            .find(|m| m.get("to").is_some_and(|to| to.contains(who)))
            .unwrap_or_else(|| panic!("a digest for {who}"))
    };
    let digest = to("ana@example.org");
    assert_eq!(digest.get("subject"), Some("[Gardens] Your weekly digest"));
    assert!(digest.get("list-id").unwrap().contains("<gardens."));
    assert_eq!(
        digest.get("list-unsubscribe-post"),
        Some("List-Unsubscribe=One-Click")
    );
    for part in [&digest.text, &digest.html] {
        for heading in [
            "What we learned",
            "Who was helped",
            "What is growing",
            "Whose work was recognised",
            "What was put into practice",
        ] {
            assert!(part.contains(heading), "{heading} in {part}");
        }
    }
    let text = &digest.text.replace("\r\n", "\n");
    for line in [
        "New how-to: Balancing greens and browns",
        "Questions solved:\n- Why is my compost slimy?",
        "When to sow broad beans? (no replies yet)",
        "New members:",
        "- fay",
        "Seed swap,",
        "Why is my compost slimy?: A model answer",
        "fay in “Why is my compost slimy?” (1 member found it helpful)",
        "bea tried “Balancing greens and browns”: it worked",
        "Balancing greens and browns: 1 member plans to report back by",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    assert!(!text.contains("Beer traps"), "a hidden post is not praised");
    assert!(
        !text.contains("Council budget"),
        "nothing from another domain"
    );
    assert!(to("dan@example.org").text.contains("Council budget"));

    // Its links open the pages they name.
    let entry_link = format!("http://garden.example/r/{entry}");
    assert!(text.contains(&entry_link));
    let opened = ana_browser.get(&format!("/r/{entry}")).await;
    assert!(opened.contains("Balancing greens and browns"));

    // One click stops it; the next week ana gets nothing, and the quiet domain never sends.
    let unsubscribe = digest.get("list-unsubscribe").unwrap().to_string();
    assert!(unsubscribe.ends_with("/digest>"), "{unsubscribe}");
    let (status, page) = one_click(&app, &unsubscribe).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("weekly digest"));
    away(&app, ana, "8 days").await;
    assert_eq!(weekly_digests(&app).await, 1, "only dan's");
    let settings = ana_browser.get("/me/settings").await;
    assert!(settings.contains("name=\"digest\" value=\"never\" checked"));
}
