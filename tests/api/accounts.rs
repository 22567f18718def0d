//! Registering, logging in and out, sessions, CSRF and rate limits.

use crate::helpers::{TestApp, PASSWORD};
use commonplace::Config;
use reqwest::StatusCode;

#[tokio::test]
async fn register_then_log_out_then_log_in_again() {
    let app = TestApp::spawn().await;
    let registered = app.register("ana").await;
    assert_eq!(registered.status, StatusCode::SEE_OTHER);
    assert_eq!(app.signed_in_as().await.as_deref(), Some("ana"));

    let out = app.logout().await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(app.signed_in_as().await, None);

    let login = app.login("ANA", PASSWORD).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    assert_eq!(app.signed_in_as().await.as_deref(), Some("ana"));
    // Logging in by email works too.
    app.logout().await;
    app.login("ana@example.org", PASSWORD).await;
    assert_eq!(app.signed_in_as().await.as_deref(), Some("ana"));
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_hashes() {
    let app = TestApp::spawn().await;
    app.register("ana").await;
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE username = 'ana'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(PASSWORD));
}

#[tokio::test]
async fn login_goes_back_to_where_the_member_was() {
    let app = TestApp::spawn().await;
    app.create_user("ana").await;
    let page = app
        .submit(
            "/login?next=/d",
            "/login",
            &[("login", "ana"), ("password", PASSWORD), ("next", "/d")],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/d"));
    // …but never to another site.
    app.logout().await;
    let page = app
        .submit(
            "/login",
            "/login",
            &[
                ("login", "ana"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/"));
}

fn form_error(page: &crate::helpers::Page) -> String {
    let start = page
        .body
        .find("class=\"form-error\"")
        .expect("a form error is shown");
    let end = page.body[start..].find("</p>").unwrap() + start;
    page.body[start..end].to_string()
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_the_login_kept() {
    let app = TestApp::spawn().await;
    app.create_user("ana").await;
    let page = app.login("ana", "not the password").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(form_error(&page).contains("do not match an account"));
    assert!(
        page.contains("value=\"ana\""),
        "the login field is refilled"
    );
    assert_eq!(app.signed_in_as().await, None);
}

#[tokio::test]
async fn an_unknown_account_gets_the_same_answer_as_a_wrong_password() {
    let app = TestApp::spawn().await;
    app.create_user("ana").await;
    let wrong_password = app.login("ana", "not the password").await;
    let unknown_user = app.login("nobody-here", "not the password").await;
    assert_eq!(wrong_password.status, unknown_user.status);
    assert_eq!(form_error(&wrong_password), form_error(&unknown_user));
}

#[tokio::test]
async fn a_username_taken_in_another_letter_case_is_refused() {
    let app = TestApp::spawn().await;
    app.create_user("ana").await;
    let page = app
        .submit(
            "/register",
            "/register",
            &[
                ("username", "ANA"),
                ("email", "other@example.org"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"username-error\">That username is taken"));
    assert!(
        page.contains("value=\"other@example.org\""),
        "the email is kept"
    );
    assert_eq!(app.count("SELECT count(*) FROM users").await, 1);
}

#[tokio::test]
async fn registering_answers_the_same_whether_or_not_the_address_has_an_account() {
    let app = TestApp::spawn().await;
    app.create_user("ana").await;
    let register = |username: &'static str, email: &'static str| {
        let browser = app.other_browser();
        async move {
            browser
                .submit(
                    "/register",
                    "/register",
                    &[
                        ("username", username),
                        ("email", email),
                        ("password", PASSWORD),
                    ],
                )
                .await
        }
    };
    // Ana's address in another letter case, and an address nobody uses.
    let taken = register("bea", "ANA@Example.org").await;
    let new = register("cai", "cai@example.org").await;
    assert_eq!((taken.status, new.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(
        taken.body.replace("ANA@Example.org", "…"),
        new.body.replace("cai@example.org", "…"),
        "nothing tells the two apart"
    );
    assert!(new.contains("Check your mail"));
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE username = 'bea'")
            .await,
        0
    );

    // Ana hears someone tried; Cai gets a link, and is not signed in or able to log in before
    // following it.
    let to_ana = "SELECT count(*) FROM outbox
                   WHERE to_address = 'ana@example.org'
                     AND subject = 'You already have an account on Commonplace'";
    assert_eq!(app.count(to_ana).await, 1);
    let cai = app.other_browser();
    let early = cai.login("cai", PASSWORD).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(early.contains("Confirm your address first: we have sent a new link"));
    assert_eq!(cai.signed_in_as().await, None);
    let link = cai
        .mailed_link("cai@example.org", "/confirm/")
        .await
        .expect("a confirmation link");
    let confirmed = cai.get(&link).await;
    assert_eq!(confirmed.location.as_deref(), Some("/d"));
    assert_eq!(cai.signed_in_as().await.as_deref(), Some("cai"));
    let again = app.other_browser().get(&link).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert!(again.contains("This link no longer works"));
}

#[tokio::test]
async fn a_short_password_is_refused_with_the_form_refilled() {
    let app = TestApp::spawn().await;
    let page = app
        .submit(
            "/register",
            "/register",
            &[
                ("username", "ana"),
                ("display_name", "Ana Ruiz"),
                ("email", "ana@example.org"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"password-error\">Use at least 10 characters."));
    assert!(page.contains("value=\"ana\""));
    assert!(page.contains("value=\"Ana Ruiz\""));
    assert!(page.contains("value=\"ana@example.org\""));
    assert!(
        !page.contains("value=\"short\""),
        "a password is never sent back"
    );
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0);
}

#[tokio::test]
async fn the_username_is_refused_as_a_password() {
    let app = TestApp::spawn().await;
    let page = app
        .submit(
            "/register",
            "/register",
            &[
                ("username", "gardener-ana"),
                ("email", "ana@example.org"),
                ("password", "Gardener-Ana"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("must not be your username"));
}

#[tokio::test]
async fn every_problem_is_named_next_to_its_field() {
    let app = TestApp::spawn().await;
    let page = app
        .submit(
            "/register",
            "/register",
            &[
                ("username", "a b"),
                ("email", "not-an-email"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"username-error\""));
    assert!(page.contains("id=\"email-error\""));
    assert!(page.contains("id=\"password-error\""));
    assert!(
        page.contains("value=\"a b\""),
        "bad input is kept so it can be corrected"
    );
}

#[tokio::test]
async fn a_missing_or_wrong_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.get("/register").await; // a session with a token exists
    let fields = [
        ("username", "ana"),
        ("email", "ana@example.org"),
        ("password", PASSWORD),
    ];
    let missing = app.post("/register", &fields).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    assert!(missing.contains("This form has expired or did not come from this site"));

    let mut forged = vec![("csrf", "0123456789abcdef")];
    forged.extend_from_slice(&fields);
    let wrong = app.post("/register", &forged).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("SELECT count(*) FROM users").await, 0);

    // A signed-in member cannot be logged out by another site either.
    app.register("bea").await;
    let logout = app.post("/logout", &[]).await;
    assert_eq!(logout.status, StatusCode::FORBIDDEN);
    assert_eq!(app.signed_in_as().await.as_deref(), Some("bea"));
}

#[tokio::test]
async fn a_token_from_another_session_is_refused() {
    let app = TestApp::spawn().await;
    let other = app.other_browser();
    let their_token = other.get("/login").await.csrf();
    app.get("/login").await;
    let page = app
        .post(
            "/login",
            &[
                ("csrf", &their_token),
                ("login", "ana"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_session_id_changes_at_login() {
    let app = TestApp::spawn().await;
    app.create_user("ana").await;
    let token = app.get("/login").await.csrf();
    let before = app
        .session_cookie()
        .expect("the login form starts a session");
    app.post(
        "/login",
        &[("csrf", &token), ("login", "ana"), ("password", PASSWORD)],
    )
    .await;
    let after = app.session_cookie().expect("still a session");
    assert_ne!(before, after);

    // The pre-login id (which an attacker could have planted) does not carry the login.
    let planted = app.other_browser();
    planted.set_cookie(&before);
    assert_eq!(planted.signed_in_as().await, None);
}

/// A member who only reads stays signed in while they keep coming: a session lasts 30 days
/// from the member's last day on the site, not from the last time something was written to it.
#[tokio::test]
async fn a_session_in_use_is_kept_alive_a_day_at_a_time() {
    use tower_sessions::SessionStore;

    let app = TestApp::spawn().await;
    app.register("ana").await;
    // The first page takes the welcome message out of the session, which writes it.
    app.get("/").await;
    let cookie = app.session_cookie().expect("signed in");
    let id: tower_sessions::session::Id = cookie
        .split_once('=')
        .expect("name=value")
        .1
        .parse()
        .expect("a session id");
    // Twenty-nine days on: the session was last written long ago and ends tomorrow.
    let store = commonplace::auth::store::SessionRows::new(app.db.clone());
    let mut record = store.load(&id).await.unwrap().expect("the stored session");
    record
        .data
        .insert("renewed_on".into(), serde_json::json!(0));
    record.expiry_date = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    store.save(&record).await.unwrap();
    let ends_within = |days: i32| {
        let db = app.db.clone();
        let id = id.to_string();
        async move {
            sqlx::query_scalar::<_, bool>(
                "SELECT expiry_date < now() + make_interval(days => $2)
                   FROM tower_sessions.session WHERE id = $1",
            )
            .bind(id)
            .bind(days)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    assert!(ends_within(2).await);

    // Reading a page today keeps it for another 30 days, in the database and in the browser.
    let page = app.get("/").await;
    assert!(page.contains("ana"));
    let renewed = page
        .set_cookie(commonplace::app::SESSION_COOKIE)
        .expect("the cookie is sent again");
    assert!(renewed.contains("Max-Age=2592000"), "{renewed}");
    assert!(!ends_within(29).await, "30 days from today");
    // Once a day: the next page writes nothing.
    let again = app.get("/").await;
    assert_eq!(again.set_cookie(commonplace::app::SESSION_COOKIE), None);
    assert_eq!(app.signed_in_as().await.as_deref(), Some("ana"));
}

#[tokio::test]
async fn a_logged_out_session_cookie_no_longer_works() {
    let app = TestApp::spawn().await;
    app.register("ana").await;
    let stolen = app.session_cookie().expect("a session cookie");
    let thief = app.other_browser();
    thief.set_cookie(&stolen);
    assert_eq!(
        thief.signed_in_as().await.as_deref(),
        Some("ana"),
        "the copy works while logged in"
    );

    app.logout().await;
    assert_eq!(thief.signed_in_as().await, None);
    assert_eq!(
        app.count("SELECT count(*) FROM tower_sessions.session")
            .await,
        0
    );
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let app = TestApp::spawn().await;
    let page = app.get("/login").await;
    let cookie = page.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("commonplace_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http base URL: {cookie}");

    let https = TestApp::spawn_with(Config {
        base_url: "https://forum.example.org".into(),
        ..Config::defaults()
    })
    .await;
    let page = https.get("/login").await;
    let cookie = page.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn repeated_login_failures_get_429_even_with_the_right_password() {
    let app = TestApp::spawn().await;
    app.create_user("ana").await;
    for _ in 0..10 {
        let page = app.login("ana", "wrong password!").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let blocked = app.login("ana", PASSWORD).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.contains("Too many attempts"));
    assert_eq!(app.signed_in_as().await, None);
}

/// A password try for `account` that the server sees coming from `address` (the test server
/// trusts 127.0.0.1 as its proxy when the config says so).
async fn login_from(app: &TestApp, address: &str, account: &str, password: &str) -> StatusCode {
    let request = app.login_request(Some(address), account, password).await;
    app.send(request).await.status
}

fn behind_a_proxy(rate_limit: u32) -> Config {
    Config {
        trusted_proxy: Some("127.0.0.1".parse().unwrap()),
        rate_limit,
        page_cache: false,
        ..Config::defaults()
    }
}

#[tokio::test]
async fn failures_from_one_address_do_not_lock_the_owner_out_from_another() {
    let app = TestApp::spawn_with(behind_a_proxy(10)).await;
    app.create_user("ana").await;
    for _ in 0..10 {
        let status = login_from(&app, "203.0.113.1", "ana", "wrong password!").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(
        login_from(&app, "203.0.113.1", "ana", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the attacker's address is blocked for this account"
    );
    assert_eq!(
        login_from(&app, "198.51.100.7", "ana", PASSWORD).await,
        StatusCode::SEE_OTHER,
        "the owner, elsewhere, still gets in"
    );
}

#[tokio::test]
async fn the_slower_account_limit_holds_from_many_addresses_behind_a_trusted_proxy() {
    // Allowances at rate_limit 2: 2 per account and address, 20 per account from anywhere.
    let app = TestApp::spawn_with(behind_a_proxy(2)).await;
    app.create_user("ana").await;
    for i in 0..20 {
        let status = login_from(&app, &format!("203.0.113.{i}"), "ana", "wrong password!").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "try {i}");
    }
    assert_eq!(
        login_from(&app, "198.51.100.7", "ana", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "twenty failures spread over twenty addresses use up the account's allowance"
    );
}

#[tokio::test]
async fn a_forwarded_for_header_from_an_untrusted_peer_does_not_dodge_the_limit() {
    // Allowance at rate_limit 3: 9 tries from one address, whatever the accounts.
    let app = TestApp::spawn_with(Config {
        rate_limit: 3,
        ..Config::defaults()
    })
    .await;
    for i in 0..9 {
        let status = login_from(
            &app,
            &format!("198.51.100.{i}"),
            &format!("nobody{i}"),
            "wrong",
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let page = app.login("someone-else", "wrong password!").await;
    assert_eq!(
        page.status,
        StatusCode::TOO_MANY_REQUESTS,
        "all nine came from 127.0.0.1"
    );
}

#[tokio::test]
async fn registrations_are_rate_limited_per_address() {
    let app = TestApp::spawn_with(Config {
        rate_limit: 3,
        ..Config::defaults()
    })
    .await;
    for name in ["ana", "bea", "cal"] {
        let browser = app.other_browser();
        assert_eq!(browser.register(name).await.status, StatusCode::SEE_OTHER);
    }
    let page = app.other_browser().register("dee").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.count("SELECT count(*) FROM users").await, 3);
}

#[tokio::test]
async fn a_suspended_account_cannot_log_in_and_its_sessions_end() {
    let app = TestApp::spawn().await;
    app.register("ana").await;
    sqlx::query("UPDATE users SET suspended_until = '9999-12-31' WHERE username = 'ana'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        app.signed_in_as().await,
        None,
        "the open session ends at once"
    );
    let page = app.login("ana", PASSWORD).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("This account is suspended."));
}

/// A session's row names its account, which is checked as the session loads; a session stored
/// before the row did (or by another build) is checked on its own, and names it once written.
#[tokio::test]
async fn a_session_is_checked_by_the_account_its_row_names_or_else_on_its_own() {
    let app = TestApp::spawn().await;
    app.register("ana").await;
    app.get("/").await;
    let named = || async {
        sqlx::query_as::<_, (Option<String>, Option<i32>)>(
            "SELECT u.username, s.epoch FROM tower_sessions.session s
               LEFT JOIN users u ON u.id = s.user_id",
        )
        .fetch_one(&app.db)
        .await
        .expect("the one session")
    };
    assert_eq!(named().await, (Some("ana".into()), Some(0)));

    // As a session written before migration 58: the account is still checked, on its own.
    let unnamed = "UPDATE tower_sessions.session SET user_id = NULL, epoch = NULL";
    sqlx::query(unnamed).execute(&app.db).await.unwrap();
    assert_eq!(app.signed_in_as().await.as_deref(), Some("ana"));
    // Written again (here by a flash message), the row names its account.
    let csrf = app.get("/appearance").await.csrf();
    let saved = app
        .post("/appearance", &[("csrf", &csrf), ("theme", "dark")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(named().await, (Some("ana".into()), Some(0)));

    // The check travels with the loaded session only; a check found stored is not believed.
    let stored = || async {
        let data: Vec<u8> = sqlx::query_scalar("SELECT data FROM tower_sessions.session")
            .fetch_one(&app.db)
            .await
            .expect("the one session");
        rmp_serde::from_slice::<tower_sessions::session::Record>(&data).expect("a record")
    };
    assert!(!stored().await.data.contains_key("_checked_account"));
    let mut planted = stored().await;
    let ana: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'ana'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    planted.data.insert(
        "_checked_account".into(),
        serde_json::json!({"user_id": ana, "epoch": 0, "account": {"id": ana,
            "username": "ana", "display_name": "Ana", "is_admin": true,
            "unread_notifications": 0}}),
    );
    sqlx::query("UPDATE tower_sessions.session SET data = $1, user_id = NULL, epoch = NULL")
        .bind(rmp_serde::to_vec(&planted).unwrap())
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(app.get("/admin").await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.signed_in_as().await.as_deref(), Some("ana"));

    // Either way a suspension ends the session at once.
    sqlx::query(unnamed).execute(&app.db).await.unwrap();
    sqlx::query("UPDATE users SET suspended_until = '9999-12-31' WHERE username = 'ana'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(app.signed_in_as().await, None, "checked on its own");
    assert_eq!(
        app.count("SELECT count(*) FROM tower_sessions.session")
            .await,
        0
    );
}

#[tokio::test]
async fn a_suspension_that_has_ended_lets_the_member_back_in() {
    let app = TestApp::spawn().await;
    app.create_user("ana").await;
    sqlx::query(
        "UPDATE users SET suspended_until = now() - interval '1 minute' WHERE username = 'ana'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    assert_eq!(
        app.login("ana", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}
