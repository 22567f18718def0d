//! The test harness. One private PostgreSQL cluster serves the whole run (started by the same
//! launcher as `commonplace serve`), or the server named by `DATABASE_URL`. A template database
//! is migrated once; every test gets its own database cloned from it, and its own server on a
//! random port, driven over real HTTP with a cookie jar, CSRF tokens and explicit redirects.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use commonplace::database::{self, Durability, EmbeddedPostgres};
use commonplace::{app, AppState, Config};
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{redirect, StatusCode, Url};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgPool};
use tokio::sync::OnceCell;

/// The password every test account has.
pub const PASSWORD: &str = "correct horse battery";

static HASH: LazyLock<String> =
    LazyLock::new(|| commonplace::auth::password::hash_blocking(PASSWORD).expect("hashing works"));

struct Harness {
    /// Kept alive for the whole run; the cluster stops when the test process exits.
    _cluster: Option<EmbeddedPostgres>,
    server: PgConnectOptions,
    template: String,
    /// With `COMMONPLACE_TEST_READ_REPLICA=on`: a hot standby of the cluster, applying every
    /// commit before it returns (`remote_apply`), which every test's server reads from.
    standby: Option<(EmbeddedPostgres, PgConnectOptions)>,
}

/// Runs the whole suite with every server reading from a streaming replica (`.ci/run` does
/// this once more after the plain run).
const READ_REPLICA: &str = "COMMONPLACE_TEST_READ_REPLICA";

static HARNESS: OnceCell<Harness> = OnceCell::const_new();
static NEXT_DATABASE: AtomicUsize = AtomicUsize::new(0);

async fn harness() -> &'static Harness {
    HARNESS
        .get_or_init(|| async {
            let (cluster, server) = match std::env::var("DATABASE_URL") {
                Ok(url) if !url.is_empty() => {
                    let options: PgConnectOptions = url.parse().expect("DATABASE_URL parses");
                    (None, options.database("postgres"))
                }
                _ => {
                    let dir = test_data_dir();
                    let cluster = EmbeddedPostgres::start(&dir, Durability::Throwaway)
                        .await
                        .expect("the test cluster starts");
                    let options = cluster.connect_options("postgres");
                    (Some(cluster), options)
                }
            };
            let standby = match (&cluster, std::env::var(READ_REPLICA).as_deref()) {
                (Some(cluster), Ok("on")) => Some(replicate(cluster, &server).await),
                _ => None,
            };
            let template = format!("cp_template_{}", std::process::id());
            let mut conn = server.connect().await.expect("connect to the test server");
            sqlx::query(&format!("DROP DATABASE IF EXISTS {template}"))
                .execute(&mut conn)
                .await
                .expect("drop an old template");
            sqlx::query(&format!("CREATE DATABASE {template}"))
                .execute(&mut conn)
                .await
                .expect("create the template");
            conn.close().await.ok();
            // Migrate, then close every connection: a template must be idle to be cloned.
            let pool = database::pool(server.clone().database(&template))
                .await
                .expect("connect to the template");
            database::migrate(&pool).await.expect("migrations run");
            // Every clone can count the statements its pages run.
            sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
                .execute(&pool)
                .await
                .expect("pg_stat_statements is available (shared_preload_libraries)");
            pool.close().await;
            Harness {
                _cluster: cluster,
                server,
                template,
                standby,
            }
        })
        .await
}

/// Starts a standby of `cluster` and makes every commit wait until the standby has applied
/// it, so a test may write and read back at once, whichever server it reads.
async fn replicate(
    cluster: &EmbeddedPostgres,
    server: &PgConnectOptions,
) -> (EmbeddedPostgres, PgConnectOptions) {
    let dir = std::env::temp_dir().join(format!("commonplace-test-{}-standby", std::process::id()));
    let standby = cluster
        .start_standby(&dir, Durability::Throwaway)
        .await
        .expect("pg_basebackup builds the test cluster's standby, and it starts");
    let mut conn = server.connect().await.expect("connect to the test server");
    for setting in [
        "ALTER SYSTEM SET synchronous_standby_names = '*'",
        "ALTER ROLE CURRENT_USER SET synchronous_commit = 'remote_apply'",
        "SELECT pg_reload_conf()",
    ] {
        sqlx::query(setting)
            .execute(&mut conn)
            .await
            .expect("make the standby synchronous");
    }
    conn.close().await.ok();
    eprintln!("every test server reads from a streaming replica ({READ_REPLICA}=on)");
    let options = standby.connect_options("postgres");
    (standby, options)
}

/// A fresh directory for this run's cluster; clusters of runs that died are cleaned up.
fn test_data_dir() -> PathBuf {
    let base = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&base) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let Some(pid) = name.strip_prefix("commonplace-test-") else {
                continue;
            };
            // `commonplace-test-{pid}`, or `…-{pid}-{what}` for a test's own cluster.
            let pid = pid.split('-').next().unwrap_or_default();
            let alive = pid
                .parse::<i32>()
                .is_ok_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
            if !alive {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    base.join(format!("commonplace-test-{}", std::process::id()))
}

/// A database of this test's own, cloned from the migrated template.
pub async fn fresh_database() -> PgPool {
    fresh_database_with_url().await.0
}

/// The same, with a `DATABASE_URL` for it, for running the `commonplace` command against it.
pub async fn fresh_database_with_url() -> (PgPool, String) {
    let harness = harness().await;
    let name = format!(
        "cp_test_{}_{}",
        std::process::id(),
        NEXT_DATABASE.fetch_add(1, Ordering::SeqCst)
    );
    let mut conn = harness
        .server
        .connect()
        .await
        .expect("connect to the test server");
    sqlx::query(&format!(
        "CREATE DATABASE {name} TEMPLATE {}",
        harness.template
    ))
    .execute(&mut conn)
    .await
    .expect("clone the template");
    conn.close().await.ok();
    let options = harness.server.clone().database(&name);
    let url = url_of(&options);
    let pool = database::pool(options)
        .await
        .expect("connect to the test database");
    (pool, url)
}

/// The `DATABASE_URL` for a database of the test cluster (or its standby).
fn url_of(options: &PgConnectOptions) -> String {
    let name = options.get_database().unwrap_or_default();
    match options.get_socket() {
        Some(socket) => format!(
            "postgres:///{name}?host={}&user={}",
            socket.display(),
            options.get_username()
        ),
        None => format!(
            "postgres://{}@{}:{}/{name}",
            options.get_username(),
            options.get_host(),
            options.get_port()
        ),
    }
}

/// A loopback address with a port nobody is listening on, for a server or program a test starts.
pub fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
}

/// A database of its own (with its URL, for `commonplace serve` processes) holding the public
/// domain `gardens`, where the member `ana` started the thread `title` with `replies` replies;
/// returns the thread's id too.
pub async fn gardens_with_a_thread(title: &str, replies: i64) -> (PgPool, String, i64) {
    let (db, url) = fresh_database_with_url().await;
    let setup = TestApp::at("127.0.0.1:9".parse().unwrap(), db.clone());
    let gardens = setup.create_domain("gardens", "public").await;
    let ana = setup.create_user("ana").await;
    setup.add_member(gardens, ana, "member").await;
    let thread = setup.insert_thread(gardens, ana, title, replies).await;
    (db, url, thread)
}

/// A running server on its own database, and a browser talking to it.
/// Runs every future at once, each on its own task; their outputs in order.
pub async fn all_at_once<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        outputs.push(handle.await.expect("the task ran"));
    }
    outputs
}

/// Loads a community file as the command line does (no admin; invitations from the site).
pub async fn load_community(
    db: &PgPool,
    file: &str,
    source: &str,
    initial_password: Option<&str>,
) -> Result<commonplace::admin::seed::SeedReport, commonplace::admin::seed::SeedFailure> {
    let config = Config::defaults();
    let loading = commonplace::admin::seed::Loading {
        config: &config,
        initial_password,
        admin: None,
    };
    commonplace::admin::seed::load(db, file, source, &loading).await
}

/// A site with the demo community loaded, its accounts sharing `DEMO_PASSWORD`.
pub async fn demo_site() -> TestApp {
    let app = TestApp::spawn().await;
    let demo = commonplace::admin::seed::DEMO;
    load_community(
        &app.db,
        commonplace::admin::seed::DEMO_NAME,
        demo,
        Some(DEMO_PASSWORD),
    )
    .await
    .expect("the demo seeds");
    app
}

pub const DEMO_PASSWORD: &str = "demo-password-1";

pub struct TestApp {
    pub address: SocketAddr,
    pub db: PgPool,
    pub config: Config,
    jar: Arc<Jar>,
    client: reqwest::Client,
    /// The mail sender of this server, when its config names an SMTP server; it stops when the
    /// last handle on the server is dropped.
    mail: Option<Arc<commonplace::mail::worker::Sender>>,
    /// The replica the server reads from, if any, for counting the statements it runs there.
    replica: Option<PgPool>,
}

#[derive(Clone)]
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The post a reply (or any answer sending the browser to `/p/{id}`) leads to.
    pub fn post_id(&self) -> i64 {
        self.location
            .as_deref()
            .and_then(|l| l.strip_prefix("/p/"))
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("an answer leading to a post: {:?}", self.location))
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        self.csrf_if_any().unwrap_or_else(|| {
            let main = self
                .body
                .find("<main")
                .map_or(&self.body[..], |at| &self.body[at..]);
            panic!(
                "the page has a CSRF field; it was {} (location {:?}): {}",
                self.status,
                self.location,
                &main[..main.len().min(600)]
            )
        })
    }

    /// The `Set-Cookie` this answer sends for the cookie `name`, if any. A page may send other
    /// cookies too: with a replica, the one naming the member's last write is cleared once the
    /// replica has it.
    pub fn set_cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|cookie| cookie.split_once('=').is_some_and(|(n, _)| n == name))
    }

    pub fn csrf_if_any(&self) -> Option<String> {
        self.field("csrf")
    }

    /// The value of the first `name="…" value="…"` field on the page (hidden fields mostly).
    pub fn field(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_string())
    }

    /// Whether the request was carried out: a redirect onwards, not to the login page.
    pub fn done(&self) -> bool {
        self.status == StatusCode::SEE_OTHER
            && !self
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with("/login"))
    }

    /// The markup of one post on a thread page: from its `<li … id="p{id}">` to the end of its
    /// actions (`</footer>`), or to the next post where it shows none (a placeholder). Read by
    /// tags, not indentation: the templates' whitespace is minimised.
    pub fn post_markup(&self, post_id: i64) -> &str {
        let marker = format!("id=\"p{post_id}\"");
        let Some(start) = self.body.find(&marker) else {
            return "";
        };
        let rest = &self.body[start..];
        let end = [rest.find("</footer>"), rest.find("<li class=\"post")]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(rest.len());
        &rest[..end]
    }

    pub fn contains(&self, text: &str) -> bool {
        self.body.contains(text)
    }
}

impl TestApp {
    /// The page cache is off: tests write straight to the database and read the page at once,
    /// faster than a notification travels. `page_cache.rs` tests the cache itself.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(Config {
            page_cache: false,
            ..Config::defaults()
        })
        .await
    }

    /// On a database of its own; with `COMMONPLACE_TEST_READ_REPLICA=on`, reading from the
    /// standby's copy of it.
    pub async fn spawn_with(mut config: Config) -> TestApp {
        let db = fresh_database().await;
        if let Some((_, standby)) = &harness().await.standby {
            let database = db
                .connect_options()
                .get_database()
                .unwrap_or_default()
                .to_string();
            config.read_database_url = Some(url_of(&standby.clone().database(&database)));
        }
        TestApp::spawn_on(db, config).await
    }

    /// A server on an existing database: a second process of the same site.
    pub async fn spawn_on(db: PgPool, config: Config) -> TestApp {
        TestApp::spawn_serving(db.clone(), db, config).await
    }

    /// A server whose pool is `server_db`, while the test sets up and inspects through `db`
    /// (the same database reached another way, as `round_trips.rs` does through a slow link).
    pub async fn spawn_serving(server_db: PgPool, db: PgPool, mut config: Config) -> TestApp {
        // Uploads go to this run's scratch directory (removed with it), never ./data.
        config.data_dir =
            std::env::temp_dir().join(format!("commonplace-test-{}-data", std::process::id()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("local address");
        let state = AppState::new(server_db, config.clone());
        let metrics = state.metrics.clone();
        let limits = config.clone();
        tokio::spawn(async move {
            let app = app::router(state);
            commonplace::web::connections::serve(listener, app, &limits, std::future::pending())
                .await
        });
        let mail = commonplace::mail::worker::spawn(db.clone(), Arc::new(config.clone()), metrics);
        let replica = config.read_database_url.as_deref().map(|url| {
            let options: PgConnectOptions = url.parse().expect("the replica's URL parses");
            sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect_lazy_with(options)
        });
        let jar = Arc::new(Jar::default());
        TestApp {
            address,
            db,
            config,
            client: client_with(jar.clone()),
            jar,
            mail: mail.map(Arc::new),
            replica,
        }
    }

    /// A browser talking to a server running elsewhere (a `commonplace serve` process).
    pub fn at(address: SocketAddr, db: PgPool) -> TestApp {
        let jar = Arc::new(Jar::default());
        TestApp {
            address,
            db,
            config: Config::defaults(),
            client: client_with(jar.clone()),
            jar,
            mail: None,
            replica: None,
        }
    }

    /// Posts a form like `post`, but a server that does not answer is `None`, not a panic.
    pub async fn try_post(&self, path: &str, fields: &[(&str, &str)]) -> Option<Page> {
        let body = serde_urlencoded::to_string(fields).expect("encodable form");
        let response = self
            .client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .ok()?;
        let (status, headers) = (response.status(), response.headers().clone());
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.text().await.ok()?;
        Some(Page {
            status,
            location,
            headers,
            body,
        })
    }

    /// Another handle on this browser (the same cookie jar), for requests sent from a task.
    pub fn same_browser(&self) -> TestApp {
        TestApp {
            address: self.address,
            db: self.db.clone(),
            config: self.config.clone(),
            client: self.client.clone(),
            jar: self.jar.clone(),
            mail: self.mail.clone(),
            replica: self.replica.clone(),
        }
    }

    /// The same server seen from a second browser, with an empty cookie jar.
    /// A browser signed in as "root", a site admin.
    pub async fn admin_browser(&self) -> TestApp {
        let browser = self.other_browser();
        let id = browser.create_user("root").await;
        sqlx::query("UPDATE users SET site_role = 'admin' WHERE id = $1")
            .bind(id)
            .execute(&self.db)
            .await
            .expect("make root an admin");
        browser.login("root", PASSWORD).await;
        browser
    }

    pub fn other_browser(&self) -> TestApp {
        let jar = Arc::new(Jar::default());
        TestApp {
            address: self.address,
            db: self.db.clone(),
            config: self.config.clone(),
            client: client_with(jar.clone()),
            jar,
            mail: self.mail.clone(),
            replica: self.replica.clone(),
        }
    }

    /// Opens a response without reading it, for streams (`/live`), as this browser.
    pub async fn open(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.expect("the server answers")
    }

    pub fn url(&self, path: &str) -> Url {
        Url::parse(&format!("http://{}{}", self.address, path)).expect("a valid test URL")
    }

    pub async fn get(&self, path: &str) -> Page {
        self.send(self.client.get(self.url(path))).await
    }

    /// Posts a form as a browser would: fields URL-encoded, no redirect followed.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = serde_urlencoded::to_string(fields).expect("encodable form");
        let request = self
            .client
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    /// Fetches `form_page`, then posts `fields` to `action` with the hidden fields a browser
    /// would send back: the CSRF token, and the submission key and version where the page has
    /// them (unless `fields` gives them).
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let form = self.get(form_page).await;
        let token = form.csrf();
        let mut hidden = vec![("csrf", token)];
        for name in ["key", "version"] {
            if let (Some(value), false) = (form.field(name), fields.iter().any(|(k, _)| *k == name))
            {
                hidden.push((name, value));
            }
        }
        let mut all: Vec<(&str, &str)> = hidden.iter().map(|(k, v)| (*k, v.as_str())).collect();
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// As `submit`, with files too: the form goes multipart, as a browser sends a form with a
    /// file input. Each file is (field, file name, bytes).
    pub async fn submit_with_files(
        &self,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, Vec<u8>)],
    ) -> Page {
        let page = self.get(form_page).await;
        let mut form = reqwest::multipart::Form::new().text("csrf", page.csrf());
        for name in ["key", "version"] {
            if let (Some(value), false) = (page.field(name), fields.iter().any(|(k, _)| *k == name))
            {
                form = form.text(name, value);
            }
        }
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        for (field, file_name, bytes) in files {
            let part =
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(file_name.to_string());
            form = form.part(field.to_string(), part);
        }
        self.send(self.client.post(self.url(action)).multipart(form))
            .await
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let response = request.send().await.expect("the request is answered");
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.text().await.expect("a readable body");
        Page {
            status,
            location,
            headers,
            body,
        }
    }

    /// Registers through the form; the new member is logged in afterwards.
    /// Registers through the form and follows the confirmation link mailed to the new address,
    /// as the new member would; returns the answer to the link (the new member is then logged
    /// in), or the form's answer if it was refused.
    pub async fn register(&self, username: &str) -> Page {
        let email = format!("{username}@example.org");
        let answer = self
            .submit(
                "/register",
                "/register",
                &[
                    ("username", username),
                    ("email", &email),
                    ("password", PASSWORD),
                ],
            )
            .await;
        if !answer.contains("Check your mail") {
            return answer;
        }
        match self.mailed_link(&email, "/confirm/").await {
            Some(link) => self.get(&link).await,
            None => answer,
        }
    }

    /// The path of the newest link starting with `prefix` mailed to `address` (read from the
    /// outbox, where every message is written before it is sent).
    pub async fn mailed_link(&self, address: &str, prefix: &str) -> Option<String> {
        let text: Option<String> = sqlx::query_scalar(
            "SELECT text_body FROM outbox WHERE to_address = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(address)
        .fetch_optional(&self.db)
        .await
        .expect("the outbox is readable");
        let text = text?;
        let start = text.find(prefix)?;
        let link = text[start..].split_whitespace().next()?;
        Some(link.to_string())
    }

    /// Logs in through the form. Password hashing is bounded per process, and tests share the
    /// process (one of them fills the queue on purpose), so a "busy" answer is tried again a
    /// little later, as a member would.
    pub async fn login(&self, login: &str, password: &str) -> Page {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let page = self
                .submit(
                    "/login",
                    "/login",
                    &[("login", login), ("password", password)],
                )
                .await;
            if page.status != StatusCode::SERVICE_UNAVAILABLE
                || std::time::Instant::now() > deadline
            {
                return page;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    /// The login form's post as this browser sends it, built but not sent (so a test can send
    /// many at once), optionally as if from `address` through a proxy (believed only when the
    /// server trusts 127.0.0.1 as its proxy).
    pub async fn login_request(
        &self,
        address: Option<&str>,
        login: &str,
        password: &str,
    ) -> reqwest::RequestBuilder {
        let token = self.get("/login").await.csrf();
        let body = serde_urlencoded::to_string([
            ("csrf", token.as_str()),
            ("login", login),
            ("password", password),
        ])
        .expect("encodable form");
        let request = self
            .client
            .post(self.url("/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        match address {
            Some(address) => request.header("x-forwarded-for", address),
            None => request,
        }
    }

    pub async fn logout(&self) -> Page {
        self.submit("/", "/logout", &[]).await
    }

    /// Creates an account directly in the database (fast: the hash is computed once per run).
    pub async fn create_user(&self, username: &str) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO users (username, display_name, email, password_hash)
             VALUES ($1, $1, $1 || '@example.org', $2) RETURNING id",
        )
        .bind(username)
        .bind(&*HASH)
        .fetch_one(&self.db)
        .await
        .expect("create a test user")
    }

    /// The session cookie this browser holds, if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.cookie(app::SESSION_COOKIE)
    }

    /// The cookie `name` this browser holds (as `name=value`), if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let cookies = self.jar.cookies(&self.url("/"))?;
        cookies
            .to_str()
            .ok()?
            .split("; ")
            .find(|c| c.split_once('=').is_some_and(|(n, _)| n == name))
            .map(str::to_string)
    }

    /// Puts a cookie into this browser's jar, as a thief replaying it would.
    pub fn set_cookie(&self, cookie: &str) {
        self.jar.add_cookie_str(cookie, &self.url("/"));
    }

    /// The username shown as signed in on the home page, if any.
    pub async fn signed_in_as(&self) -> Option<String> {
        let page = self.get("/").await;
        let element = page.body.find("class=\"account-name\"")?;
        let start = page.body[element..].find('>')? + element + 1;
        let end = page.body[start..].find('<')? + start;
        Some(page.body[start..end].to_string())
    }

    /// A domain made directly in the database.
    pub async fn create_domain(&self, slug: &str, visibility: &str) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO domains (slug, name, charter_md, charter_html, visibility)
             VALUES ($1, initcap(replace($1, '-', ' ')), 'About ' || $1, '<p>About ' || $1 || '</p>', $2)
             RETURNING id",
        )
        .bind(slug)
        .bind(visibility)
        .fetch_one(&self.db)
        .await
        .expect("create a test domain")
    }

    pub async fn add_member(&self, domain_id: i64, user_id: i64, role: &str) {
        sqlx::query("INSERT INTO memberships (domain_id, user_id, role) VALUES ($1, $2, $3)")
            .bind(domain_id)
            .bind(user_id)
            .bind(role)
            .execute(&self.db)
            .await
            .expect("add a member");
    }

    /// A new account with `role` in `domain_id`, logged in in this browser.
    pub async fn member(&self, username: &str, domain_id: i64, role: &str) -> i64 {
        let id = self.create_user(username).await;
        self.add_member(domain_id, id, role).await;
        let page = self.login(username, PASSWORD).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{username} logs in");
        id
    }

    /// Another browser, signed in as a new account with `role` in `domain_id`.
    pub async fn member_browser(&self, username: &str, domain_id: i64, role: &str) -> TestApp {
        let browser = self.other_browser();
        browser.member(username, domain_id, role).await;
        browser
    }

    /// Starts a thread through the form; returns its id.
    pub async fn start_thread(&self, slug: &str, title: &str, body: &str) -> i64 {
        let page = self
            .submit(
                &format!("/d/{slug}/new"),
                &format!("/d/{slug}/new"),
                &[
                    ("title", title),
                    ("kind", "discussion"),
                    ("body", body),
                    ("action", "post"),
                ],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "thread created: {}",
            page.body
        );
        let location = page.location.expect("a redirect to the thread");
        location
            .trim_start_matches("/t/")
            .parse()
            .expect("a thread id")
    }

    /// Replies through the thread page's form; returns the response (a redirect to `/p/{id}`).
    pub async fn reply(&self, thread_id: i64, body: &str) -> Page {
        self.submit(
            &format!("/t/{thread_id}"),
            &format!("/t/{thread_id}/reply"),
            &[("body", body), ("action", "post")],
        )
        .await
    }

    /// A thread's post ids, oldest first.
    pub async fn post_ids(&self, thread_id: i64) -> Vec<i64> {
        sqlx::query_scalar("SELECT id FROM posts WHERE thread_id = $1 ORDER BY id")
            .bind(thread_id)
            .fetch_all(&self.db)
            .await
            .expect("the thread's posts")
    }

    /// A thread with `replies` replies, written straight to the database (for volume).
    pub async fn insert_thread(
        &self,
        domain_id: i64,
        author_id: i64,
        title: &str,
        replies: i64,
    ) -> i64 {
        let thread_id: i64 = sqlx::query_scalar(
            "INSERT INTO threads (domain_id, author_id, title) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(domain_id)
        .bind(author_id)
        .bind(title)
        .fetch_one(&self.db)
        .await
        .expect("insert a thread");
        sqlx::query(
            "INSERT INTO posts (thread_id, author_id, body_md, body_html)
             SELECT $1, $2, 'Post number ' || n, '<p>Post number ' || n || '</p>'
               FROM generate_series(0, $3) AS n ORDER BY n",
        )
        .bind(thread_id)
        .bind(author_id)
        .bind(replies)
        .execute(&self.db)
        .await
        .expect("insert posts");
        thread_id
    }

    // Verbs a member performs, through the same forms a browser posts. Each takes the session's
    // CSRF token from the home page (any page with a form carries it).

    /// Posts `fields` to `action` with this session's CSRF token (none for a visitor).
    pub async fn act(&self, action: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.get("/").await.csrf_if_any().unwrap_or_default();
        let mut with_token = vec![("csrf", token.as_str())];
        with_token.extend_from_slice(fields);
        self.post(action, &with_token).await
    }

    pub async fn join(&self, slug: &str) -> Page {
        self.act(&format!("/d/{slug}/join"), &[]).await
    }

    /// Asks a question through the new-thread form; returns the thread's id.
    pub async fn ask(&self, slug: &str, title: &str, body: &str) -> i64 {
        self.ask_tagged(slug, title, "", body).await
    }

    /// Asks a question with tags (comma-separated, as typed); returns the new thread's id.
    pub async fn ask_tagged(&self, slug: &str, title: &str, tags: &str, body: &str) -> i64 {
        let page = self
            .act(
                &format!("/d/{slug}/new"),
                &[
                    ("title", title),
                    ("kind", "question"),
                    ("tags", tags),
                    ("body", body),
                    ("action", "post"),
                ],
            )
            .await;
        assert!(page.done(), "question asked: {}", page.body);
        id_after(page.location.as_deref(), "/t/")
    }

    /// Replies; returns the new post's id.
    pub async fn answer(&self, thread_id: i64, body: &str) -> i64 {
        let page = self.reply(thread_id, body).await;
        assert!(page.done(), "reply posted: {}", page.body);
        id_after(page.location.as_deref(), "/p/")
    }

    pub async fn accept(&self, thread_id: i64, post_id: i64) -> Page {
        let post = post_id.to_string();
        self.act(&format!("/t/{thread_id}/accept"), &[("post", &post)])
            .await
    }

    pub async fn react(&self, post_id: i64, kind: &str) -> Page {
        self.act(&format!("/p/{post_id}/react"), &[("kind", kind)])
            .await
    }

    pub async fn flag(&self, post_id: i64, reason: &str) -> Page {
        self.act(
            &format!("/p/{post_id}/flag"),
            &[("reason", reason), ("note", "")],
        )
        .await
    }

    /// Opens "Add to repertoire" for a post (the form, pre-filled).
    pub async fn promote_form(&self, slug: &str, post_id: i64) -> Page {
        self.get(&format!("/d/{slug}/repertoire/new?from={post_id}"))
            .await
    }

    /// Files a practice report on a repertoire entry.
    pub async fn report(&self, entry_id: i64, outcome: &str) -> Page {
        self.act(
            &format!("/r/{entry_id}/report"),
            &[
                ("context", "My allotment"),
                ("tried", "Two layers of cardboard"),
                ("outcome", outcome),
                ("reflection", "Wet it first"),
            ],
        )
        .await
    }

    /// Commits to trying an entry by `due_on` (YYYY-MM-DD).
    pub async fn commit(&self, entry_id: i64, due_on: &str) -> Page {
        self.act(
            &format!("/r/{entry_id}/commit"),
            &[("intention", "Try it on my plot"), ("due_on", due_on)],
        )
        .await
    }

    /// Logs this browser in as a new account that belongs to no domain.
    pub async fn outsider(&self, username: &str) -> i64 {
        let id = self.create_user(username).await;
        let page = self.login(username, PASSWORD).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{username} logs in");
        id
    }

    /// Bans a member of a domain for a day, as a facilitator would.
    pub async fn ban(&self, domain_id: i64, user_id: i64) {
        sqlx::query(
            "UPDATE memberships SET banned_until = now() + interval '1 day' WHERE domain_id = $1 AND user_id = $2",
        )
        .bind(domain_id)
        .bind(user_id)
        .execute(&self.db)
        .await
        .expect("ban a member");
    }

    /// Hides a post as a facilitator would.
    pub async fn hide_post(&self, post_id: i64) {
        sqlx::query("UPDATE posts SET hidden = true, hidden_reason = 'test' WHERE id = $1")
            .bind(post_id)
            .execute(&self.db)
            .await
            .expect("hide a post");
    }

    /// Marks a post deleted by its author.
    pub async fn delete_post(&self, post_id: i64) {
        sqlx::query("UPDATE posts SET deleted_at = now() WHERE id = $1")
            .bind(post_id)
            .execute(&self.db)
            .await
            .expect("delete a post");
    }

    /// A repertoire entry written straight to the database (a fixture, not a story step).
    pub async fn insert_entry(&self, domain_id: i64, title: &str) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO repertoire_entries (domain_id, kind, title, summary) VALUES ($1, 'how-to', $2, 'Smother weeds') RETURNING id",
        )
        .bind(domain_id)
        .bind(title)
        .fetch_one(&self.db)
        .await
        .expect("insert an entry")
    }

    /// A repertoire entry made from `post_id` (its thread is the entry's source too).
    pub async fn insert_entry_from(
        &self,
        domain_id: i64,
        kind: &str,
        title: &str,
        summary: &str,
        post_id: i64,
    ) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO repertoire_entries
                    (domain_id, kind, title, summary, source_thread_id, source_post_id)
             SELECT $1, $2, $3, $4, p.thread_id, p.id FROM posts p WHERE p.id = $5
             RETURNING id",
        )
        .bind(domain_id)
        .bind(kind)
        .bind(title)
        .bind(summary)
        .bind(post_id)
        .fetch_one(&self.db)
        .await
        .expect("insert an entry from a post")
    }

    /// Statements the server has run on this test's database, on the primary and, when the
    /// server reads from one, on the replica (leaving out the replica watcher's own checks, and
    /// the setting a new connection of the generic-plan pool starts with).
    pub async fn statements(&self) -> i64 {
        let mut total = 0;
        for db in self.databases() {
            total += sqlx::query_scalar::<_, i64>(
                "SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements
                  WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND query NOT LIKE '%_wal_%lsn()%'
                    AND query NOT LIKE 'SET plan_cache_mode%'",
            )
            .fetch_one(&db)
            .await
            .expect("read pg_stat_statements");
        }
        total
    }

    /// Statements run by the server to answer one GET.
    pub async fn statements_for(&self, path: &str) -> i64 {
        let before = self.statements().await;
        let page = self.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        // Each read of the counter runs one statement on each server.
        let reads = self.databases().len() as i64;
        self.statements().await - before - reads
    }

    /// This test's database, and its replica when the server reads from one.
    fn databases(&self) -> Vec<PgPool> {
        std::iter::once(self.db.clone())
            .chain(self.replica.clone())
            .collect()
    }

    /// One series from `/metrics` (read as this machine's scraper does), by name and labels;
    /// `None` when the server does not report it.
    pub async fn metric(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let scrape = self.open("/metrics", &[]).await;
        assert_eq!(scrape.status(), StatusCode::OK, "/metrics answers loopback");
        let text = scrape.text().await.expect("the metrics");
        metric_in(&text, name, labels)
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql)
            .fetch_one(&self.db)
            .await
            .expect("a count query")
    }

    /// Waits up to four seconds for a statement to wait for a row lock, or for `request` to
    /// end first; returns how many statements wait.
    pub async fn lock_waits_of<T>(&self, request: &tokio::task::JoinHandle<T>) -> i64 {
        let waiting = "SELECT count(*) FROM pg_stat_activity
                        WHERE datname = current_database() AND wait_event_type = 'Lock'";
        for _ in 0..200 {
            if request.is_finished() || self.count(waiting).await > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        self.count(waiting).await
    }
}

/// Whether the distribution's `program` is installed; if not, says which test is skipped and
/// which package `.ci/run` installs for it.
pub fn installed(program: &str, test: &str, package: &str) -> bool {
    let found = std::path::Path::new(program).exists();
    if !found {
        eprintln!("SKIPPED {test}: no {program} (install Debian's {package}, as .ci/run does)");
    }
    found
}

/// A program a test started, and its scratch directory: both are gone when the test ends,
/// however it ends.
pub struct Started {
    pub process: std::process::Child,
    pub dir: std::path::PathBuf,
}

impl Drop for Started {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The value of the series `name` with exactly `labels` in Prometheus text.
pub fn metric_in(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut wanted: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    wanted.sort();
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, series_labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let mut have: Vec<String> = series_labels
                .split(',')
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            have.sort();
            (series_name == name && have == wanted).then(|| value.parse().ok())?
        })
}

/// The id at the end of a redirect such as `/t/12` or `/p/40`.
fn id_after(location: Option<&str>, prefix: &str) -> i64 {
    location
        .and_then(|l| l.strip_prefix(prefix))
        .and_then(|rest| rest.split(['#', '?', '/']).next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a redirect to {prefix}{{id}}, not {location:?}"))
}

fn client_with(jar: Arc<Jar>) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(redirect::Policy::none())
        .build()
        .expect("a test client")
}
