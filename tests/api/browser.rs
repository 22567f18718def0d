//! Journeys in Debian's Chromium, driven over the W3C WebDriver protocol by Debian's
//! `chromium-driver`, with the suite's own HTTP client: each with JavaScript on and off, at
//! 1280 px and at 360 px (a phone). On every page a journey reaches, nothing may scroll
//! sideways, no error page may appear, and axe-core may find no violation; the HTML of each kind
//! of page reached must pass the W3C Nu checker.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::{free_port, installed, load_community, Started, TestApp, PASSWORD};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The four ways every journey is taken: JavaScript on and off, on a laptop (1280 px, light
/// colours) and on a phone (360 px, dark colours).
const RUNS: [(bool, u32); 4] = [(true, 1280), (false, 1280), (true, 360), (false, 360)];

/// Where `.ci/run` installs axe-core and the Nu checker, from `tests/browser/package-lock.json`.
const BROWSER_CHECKS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/node_modules");

/// What every page a journey reaches is checked with besides its width: axe-core, injected into
/// the page as the browser shows it, and the W3C Nu checker, on the HTML the server sent (one
/// page of each kind, checked together when the journey ends).
struct Checks {
    axe: Option<String>,
    nu: Option<PathBuf>,
    /// The HTML served for each kind of page (its path with numbers left out) reached so far.
    served: Mutex<BTreeMap<String, String>>,
}

impl Checks {
    fn load() -> Checks {
        let axe = std::fs::read_to_string(format!("{BROWSER_CHECKS}/axe-core/axe.min.js")).ok();
        let nu = PathBuf::from(format!("{BROWSER_CHECKS}/vnu-jar/build/dist/vnu.jar"));
        let java = std::path::Path::new("/usr/bin/java").exists();
        if axe.is_none() {
            eprintln!("SKIPPED axe-core on the journeys' pages: run `npm ci --prefix tests/browser`, as .ci/run does");
        }
        if !nu.exists() || !java {
            eprintln!("SKIPPED the Nu checker on the journeys' pages: needs `npm ci --prefix tests/browser` and Debian's default-jre-headless, as .ci/run installs");
        }
        Checks {
            axe,
            nu: (nu.exists() && java).then_some(nu),
            served: Mutex::new(BTreeMap::new()),
        }
    }

    /// Runs the Nu checker over every kind of page served so far; panics naming each error.
    fn validate(&self) {
        let Some(jar) = &self.nu else { return };
        let served = std::mem::take(&mut *self.served.lock().unwrap());
        if served.is_empty() {
            return;
        }
        let dir = std::env::temp_dir().join(format!("commonplace-nu-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut files = BTreeMap::new();
        for (n, (kind, html)) in served.iter().enumerate() {
            let file = dir.join(format!("page-{n}.html"));
            std::fs::write(&file, html).unwrap();
            files.insert(format!("file:{}", file.display()), kind.clone());
        }
        let output = Command::new("/usr/bin/java")
            .arg("-jar")
            .arg(jar)
            .args(["--errors-only", "--format", "json"])
            .args(files.keys().map(|url| url.trim_start_matches("file:")))
            .output()
            .expect("java runs the Nu checker");
        let _ = std::fs::remove_dir_all(&dir);
        let report: Value = serde_json::from_slice(&output.stderr).unwrap_or_else(|_| {
            panic!(
                "the Nu checker's report: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        let errors: Vec<String> = report["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|message| {
                let url = message["url"].as_str().unwrap_or_default();
                let kind = files.get(url).map_or(url, String::as_str);
                format!("{kind}: {} ({})", message["message"], message["extract"])
            })
            .collect();
        assert!(
            errors.is_empty(),
            "the Nu checker finds errors:\n{}",
            errors.join("\n")
        );
        eprintln!("the Nu checker passed {} kinds of page", files.len());
    }
}

/// The WebDriver server, stopped (with every browser it started) when the test ends.
struct Driver {
    _process: Started,
    endpoint: String,
    checks: Arc<Checks>,
}

impl Driver {
    async fn start() -> Driver {
        let address = free_port();
        let dir = std::env::temp_dir().join(format!("commonplace-chromedriver-{}", address.port()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={}", address.port()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Driver {
            _process: Started { process, dir },
            endpoint: format!("http://{address}"),
            checks: Arc::new(Checks::load()),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(address).await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver listens");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        driver
    }

    /// The browser for one of the `RUNS` of a journey.
    async fn browser_for_run(&self, app: &TestApp, run: usize) -> Browser {
        let (javascript, width) = RUNS[run];
        let mut browser = self.browser(app, javascript, width).await;
        // The phone runs are in dark colours, so axe checks both themes' contrast.
        if width < 600 {
            browser.prefer_dark().await;
        }
        browser
    }

    /// A fresh headless Chromium with its own profile: JavaScript on or off, `width` px wide.
    async fn browser(&self, app: &TestApp, javascript: bool, width: u32) -> Browser {
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ];
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": args,
                // The content setting, not `--blink-settings=scriptEnabled=false`, under which
                // chromedriver never sees a form's page load finish.
                "prefs": { "profile.managed_default_content_settings.javascript":
                    if javascript { 1 } else { 2 } },
            },
        } } });
        let http = reqwest::Client::new();
        let created = call(
            &http,
            "POST",
            &format!("{}/session", self.endpoint),
            capabilities,
        )
        .await;
        let session = created["sessionId"]
            .as_str()
            .expect("a WebDriver session")
            .to_string();
        let session = format!("{}/session/{session}", self.endpoint);
        // The screen's width, set through DevTools: chromedriver's own mobile emulation never
        // sees a page load finish with JavaScript off, and a headless window is at least
        // 500 px wide.
        let screen = json!({
            "cmd": "Emulation.setDeviceMetricsOverride",
            "params": { "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600 },
        });
        call(
            &http,
            "POST",
            &format!("{session}/goog/cdp/execute"),
            screen,
        )
        .await;
        // A script's confirm() ("Suspend this account?") is answered yes, as the member who
        // clicked meant; with JavaScript off there is none.
        let yes = json!({
            "cmd": "Page.addScriptToEvaluateOnNewDocument",
            "params": { "source": "window.confirm = () => true;" },
        });
        call(&http, "POST", &format!("{session}/goog/cdp/execute"), yes).await;
        Browser {
            http,
            checks: self.checks.clone(),
            javascript,
            session,
            base: format!("http://{}", app.address),
            label: format!(
                "{} px, JavaScript {}",
                width,
                if javascript { "on" } else { "off" }
            ),
        }
    }
}

/// One WebDriver command; its `value`, or a panic naming the error.
async fn call(http: &reqwest::Client, method: &str, url: &str, body: Value) -> Value {
    let request = match method {
        "GET" => http.get(url),
        "DELETE" => http.delete(url),
        _ => http
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string()),
    };
    let response = request
        .timeout(Duration::from_secs(180))
        .send()
        .await
        .unwrap_or_else(|err| panic!("chromedriver answers {method} {url}: {err}"));
    let status = response.status();
    let answer: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
    assert!(status.is_success(), "{method} {url}: {answer}");
    answer["value"].clone()
}

struct Browser {
    http: reqwest::Client,
    checks: Arc<Checks>,
    javascript: bool,
    session: String,
    base: String,
    label: String,
}

impl Browser {
    async fn command(&self, method: &str, path: &str, body: Value) -> Value {
        call(&self.http, method, &format!("{}{path}", self.session), body).await
    }

    /// Opens `path` and checks the page.
    async fn open(&self, path: &str) {
        let url = format!("{}{path}", self.base);
        self.command("POST", "/url", json!({ "url": url })).await;
        self.check().await;
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .command(
                "POST",
                "/element",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{}: no {css}", self.label))
            .to_string()
    }

    async fn fill(&self, css: &str, text: &str) {
        let element = self.element(css).await;
        self.command("POST", &format!("/element/{element}/clear"), json!({}))
            .await;
        self.command(
            "POST",
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    /// Clicks, waits for the page it leads to, and checks that page.
    async fn click(&self, css: &str) {
        let element = self.element(css).await;
        // The mark tells this page from the next: a new document starts without it.
        self.script("window.leftBehind = true").await;
        let started = Instant::now();
        self.command("POST", &format!("/element/{element}/click"), json!({}))
            .await;
        // A form's answer may still be arriving when the click returns: wait for the next
        // page to have replaced this one and finished loading.
        let arrived = "return !window.leftBehind && document.readyState === 'complete'";
        while self.script(arrived).await != true {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{}: {css} leads nowhere",
                self.label
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.check().await;
    }

    async fn script(&self, script: &str) -> Value {
        self.command(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": [] }),
        )
        .await
    }

    /// The text of `css`, found again if the page it was found on has just been replaced.
    async fn text(&self, css: &str) -> String {
        for _ in 0..50 {
            let element = self.element(css).await;
            let url = format!("{}/element/{element}/text", self.session);
            let answer = self
                .http
                .get(&url)
                .send()
                .await
                .expect("chromedriver answers");
            let ok = answer.status().is_success();
            let answer: Value = serde_json::from_slice(&answer.bytes().await.unwrap()).unwrap();
            if ok {
                return answer["value"].as_str().unwrap_or_default().to_string();
            }
            assert_eq!(
                answer["value"]["error"], "stale element reference",
                "{answer}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{}: {css} keeps being replaced", self.label)
    }

    async fn path(&self) -> String {
        let url = self.command("GET", "/url", json!({})).await;
        let url = url.as_str().unwrap_or_default();
        url.strip_prefix(&self.base).unwrap_or(url).to_string()
    }

    /// What every page must be: not an error, and no wider than the screen.
    async fn check(&self) {
        let title = self.command("GET", "/title", json!({})).await;
        let title = title.as_str().unwrap_or_default().to_string();
        let path = self.path().await;
        let error = self
            .script("return document.querySelector('.error-status')?.textContent ?? ''")
            .await;
        assert_eq!(
            error.as_str(),
            Some(""),
            "{}: {path} is an error page: {title}",
            self.label
        );
        let widths = self
            .script("return [document.documentElement.scrollWidth, window.innerWidth]")
            .await;
        let (page, screen) = (widths[0].as_i64(), widths[1].as_i64());
        assert!(
            page <= screen,
            "{}: {path} scrolls sideways ({page:?} px on a {screen:?} px screen)",
            self.label
        );
        self.axe(&path).await;
        self.keep_served(&path).await;
    }

    /// axe-core's violations on the page as it is shown: none allowed.
    async fn axe(&self, path: &str) {
        let Some(axe) = &self.checks.axe else { return };
        if self.script("return typeof axe").await != "object" {
            // With JavaScript off the page's timers never fire, and axe waits on them: here they
            // run as soon as the script that set them yields.
            let timers = "if (!window.__timers) { window.__timers = true;
                window.setTimeout = (f, _ms, ...a) => { Promise.resolve().then(() => f(...a)); return 0; };
                window.clearTimeout = () => {}; }";
            if !self.javascript {
                self.script(timers).await;
            }
            self.script(axe).await;
        }
        let run = "const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'], rules: { 'target-size': { enabled: true } } }).then(
              (r) => done(r.violations.map((v) =>
                `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)),
              (e) => done([`axe failed: ${e}`]));";
        let violations = self
            .command(
                "POST",
                "/execute/async",
                json!({ "script": run, "args": [] }),
            )
            .await;
        assert_eq!(
            violations,
            json!([]),
            "{}: axe-core finds violations on {path}",
            self.label
        );
    }

    /// Keeps the HTML the server sends for this kind of page (fetched again with the browser's
    /// cookies), for the Nu checker at the end of the journey.
    async fn keep_served(&self, path: &str) {
        if self.checks.nu.is_none() {
            return;
        }
        let kind: String = path
            .split('?')
            .next()
            .unwrap_or_default()
            .split('/')
            .map(|part| {
                if part.parse::<i64>().is_ok() {
                    "{id}"
                } else {
                    part
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        if self.checks.served.lock().unwrap().contains_key(&kind) {
            return;
        }
        let cookies = self.command("GET", "/cookie", json!({})).await;
        let cookie = cookies
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                format!(
                    "{}={}",
                    c["name"].as_str().unwrap_or_default(),
                    c["value"].as_str().unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let url = format!("{}{path}", self.base);
        let answer = self
            .http
            .get(&url)
            .header("cookie", cookie)
            .send()
            .await
            .expect("the server answers");
        // A page that now sends the browser elsewhere is checked where it leads, if reached.
        if answer.status().is_success() && answer.url().as_str() == url {
            let html = answer.text().await.unwrap_or_default();
            self.checks.served.lock().unwrap().insert(kind, html);
        }
    }

    /// Clicks what changes the page in place (a summary that opens, a radio button).
    async fn press(&self, css: &str) {
        let element = self.element(css).await;
        self.command("POST", &format!("/element/{element}/click"), json!({}))
            .await;
    }

    /// Sets a field's value as a date picker would (typing into one depends on the locale).
    async fn set(&self, css: &str, value: &str) {
        self.command(
            "POST",
            "/execute/sync",
            json!({
                "script": "document.querySelector(arguments[0]).value = arguments[1]",
                "args": [css, value],
            }),
        )
        .await;
    }

    /// The id in the current path after `prefix` (`/t/` for a thread, `/r/` for an entry).
    async fn id_after(&self, prefix: &str) -> i64 {
        let path = self.path().await;
        path.strip_prefix(prefix)
            .and_then(|rest| rest.split(['?', '#', '/']).next())
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("{}: {path} is not under {prefix}", self.label))
    }

    /// Asserts the page's main part says `text`.
    async fn says(&self, text: &str) {
        let main = self.text("main").await;
        assert!(
            main.contains(text),
            "{}: {} does not say {text:?}: {main}",
            self.label,
            self.path().await
        );
    }

    /// Shows the page as for `media` ("print"; "" for the screen again).
    async fn media(&self, media: &str) {
        // The device's dark setting, if this browser has one, stays.
        let scheme = if self.label.contains("dark") {
            "dark"
        } else {
            "light"
        };
        let emulate = json!({ "cmd": "Emulation.setEmulatedMedia", "params": {
            "media": media,
            "features": [{ "name": "prefers-color-scheme", "value": scheme }],
        } });
        self.command("POST", "/goog/cdp/execute", emulate).await;
    }

    /// Shows pages as on a device set to dark colours, from the next page on.
    async fn prefer_dark(&mut self) {
        let dark = json!({
            "cmd": "Emulation.setEmulatedMedia",
            "params": { "features": [{ "name": "prefers-color-scheme", "value": "dark" }] },
        });
        self.command("POST", "/goog/cdp/execute", dark).await;
        self.label.push_str(", dark colours");
    }

    /// A screenshot of a main page from the laptop run in light colours (the first) and the
    /// phone run in dark ones (the third).
    async fn keep(&self, run: usize, page: &str) {
        match run {
            0 => self.screenshot(&format!("{page}-laptop-light")).await,
            2 => self.screenshot(&format!("{page}-phone-dark")).await,
            _ => {}
        }
    }

    /// Saves the whole page as `target/screenshots/{name}.png`, kept by CI as an artefact.
    async fn screenshot(&self, name: &str) {
        let shot = json!({
            "cmd": "Page.captureScreenshot",
            "params": { "captureBeyondViewport": true, "format": "png" },
        });
        let data = self.command("POST", "/goog/cdp/execute", shot).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data["data"].as_str().unwrap_or_default())
            .expect("a base64 screenshot");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    async fn sign_out(&self) {
        self.press("details.account-menu summary").await;
        self.click("form[action='/logout'] button").await;
    }

    async fn sign_in(&self, username: &str) {
        self.open("/login").await;
        self.fill("#login", username).await;
        self.fill("#password", PASSWORD).await;
        self.click("main form button[type=submit]").await;
        let header = self.text("header").await;
        assert!(
            header.contains(username),
            "{}: not signed in at {}: {header} / {}",
            self.label,
            self.path().await,
            self.text("main").await
        );
    }

    async fn close(self) {
        self.command("DELETE", "", json!({})).await;
    }
}

/// The admin's journey: sign in, create a domain, appoint its facilitator, load a community
/// file, suspend an account.
async fn admin_journey(app: &TestApp, browser: &Browser, run: usize) {
    let slug = format!("orchards-{run}");
    let file = std::env::temp_dir().join(format!("commonplace-journey-{run}.toml"));
    std::fs::write(
        &file,
        format!("[[domains]]\nslug = \"bees-{run}\"\nname = \"Bees {run}\"\ncharter = \"Keeping bees.\"\n"),
    )
    .unwrap();

    browser.sign_in("amara").await;

    browser.open("/admin").await;
    browser.keep(run, "admin").await;
    browser.click("a[href='/admin/domains/new']").await;
    browser.fill("#name", &format!("Orchards {run}")).await;
    browser.fill("#slug", &slug).await;
    browser
        .fill("#charter", "Growing fruit trees together.")
        .await;
    browser.click("main form button[type=submit]").await;
    assert_eq!(
        browser.path().await,
        format!("/admin/domains/{slug}"),
        "{}",
        browser.label
    );

    browser.fill("#username", "tomas").await;
    browser
        .click("form[action$='/facilitators'] button[type=submit]")
        .await;
    assert!(
        browser.text("main").await.contains("tomas"),
        "{}",
        browser.label
    );

    // Sent without a file, the form says so, and the token never lands in the address.
    browser.open("/admin/seed").await;
    browser.click("main form button[type=submit]").await;
    browser.says("Choose a community file to upload.").await;
    assert_eq!(browser.path().await, "/admin/seed", "{}", browser.label);
    let input = browser.element("#file").await;
    browser
        .command(
            "POST",
            &format!("/element/{input}/value"),
            json!({ "text": file.display().to_string() }),
        )
        .await;
    browser.click("main form button[type=submit]").await;
    assert!(
        browser.text("main").await.contains("added 1 domain"),
        "{}: {}",
        browser.label,
        browser.text("main").await
    );
    let _ = std::fs::remove_file(&file);

    // A search for one long word (a pasted URL, say) wraps rather than widening the page.
    let word = "compostingwithoutturningwhatsoeverinthecoldestmonthsoftheyear".repeat(3);
    browser.open(&format!("/search?q={word}")).await;

    browser.open(&format!("/admin/users/target{run}")).await;
    browser.fill("#reason", "Posting adverts").await;
    browser
        .click("form[action$='/suspend'] button[type=submit]")
        .await;
    let suspended = app
        .count(&format!(
            "SELECT count(*) FROM users WHERE username = 'target{run}' AND suspended_until > now()"
        ))
        .await;
    assert_eq!(suspended, 1, "{}", browser.label);
}

#[tokio::test]
async fn an_admin_seeds_a_community_in_chromium_with_and_without_javascript_on_a_laptop_and_a_phone(
) {
    if !installed(CHROMEDRIVER, "the browser journeys", "chromium-driver") {
        return;
    }
    let app = TestApp::spawn().await;
    let amara = app.create_user("amara").await;
    sqlx::query("UPDATE users SET site_role = 'admin' WHERE id = $1")
        .bind(amara)
        .execute(&app.db)
        .await
        .unwrap();
    app.create_user("tomas").await;
    let driver = Driver::start().await;
    for run in 0..RUNS.len() {
        app.create_user(&format!("target{run}")).await;
        let browser = driver.browser_for_run(&app, run).await;
        admin_journey(&app, &browser, run).await;
        browser.close().await;
    }
    driver.checks.validate();
}

/// Live streams open on the server now, as `/metrics` reports them.
async fn live_streams(app: &TestApp) -> u64 {
    let metrics = app.get("/metrics").await.body;
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("commonplace_live_streams "))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .expect("/metrics reports the open live streams") as u64
}

/// Live streams open once the server has seen the browser close those it closed.
async fn settled_live_streams(app: &TestApp) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut open = live_streams(app).await;
    while open != 1 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        open = live_streams(app).await;
    }
    open
}

/// Every signed-in page opens a live stream. A browser keeps at most six connections to a site
/// over HTTP/1.1, so unless a page closes its stream when it is left, the seventh page a member
/// opens waits a minute for a connection.
#[tokio::test]
async fn a_member_moving_between_pages_leaves_no_live_stream_open_behind() {
    if !installed(CHROMEDRIVER, "the browser journeys", "chromium-driver") {
        return;
    }
    let app = TestApp::spawn().await;
    app.create_user("raj").await;
    let driver = Driver::start().await;
    let browser = driver.browser(&app, true, 1280).await;
    browser.sign_in("raj").await;
    for path in [
        "/d",
        "/members",
        "/search?q=soil",
        "/d",
        "/members",
        "/search?q=soil",
        "/d",
        "/members",
    ] {
        browser.open(path).await;
    }
    assert_eq!(
        settled_live_streams(&app).await,
        1,
        "the streams of pages left behind are still open"
    );
    // A page brought back by the back button (whole, from the browser's memory) listens again.
    browser.command("POST", "/back", json!({})).await;
    assert_eq!(browser.path().await, "/d");
    assert_eq!(settled_live_streams(&app).await, 1, "after going back");
    browser.close().await;
    driver.checks.validate();
}

/// The header's notification count follows a member's notifications while the page is open,
/// drawn as the server draws it: the number, and "unread" for screen readers only.
#[tokio::test]
async fn the_notification_count_in_the_header_rises_while_the_page_is_open() {
    if !installed(CHROMEDRIVER, "the browser journeys", "chromium-driver") {
        return;
    }
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.other_browser();
    ana.member("ana", gardens, "member").await;
    let thread = ana.start_thread("gardens", "Frost cloth", "When?").await;
    let driver = Driver::start().await;
    let browser = driver.browser(&app, true, 1280).await;
    browser.sign_in("ana").await;
    browser.open("/d").await;

    let bea = app.other_browser();
    bea.member("bea", gardens, "member").await;
    bea.answer(thread, "Before the first frost.").await;
    let badge = "const badge = document.querySelector('header a[href=\"/notifications\"] .badge');
                 return badge && [badge.textContent, badge.hasAttribute('aria-label')]";
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut shown = browser.script(badge).await;
    while shown.is_null() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        shown = browser.script(badge).await;
    }
    assert_eq!(shown, json!(["1 unread", false]));
    browser.close().await;
    driver.checks.validate();
}

/// The community the newcomer's and the facilitator's journeys happen in.
const GARDENS: &str = r#"
[[users]]
username = "tomas"
email = "tomas@example.org"

[[users]]
username = "bea"
email = "bea@example.org"

[[users]]
username = "cal"
email = "cal@example.org"

[[domains]]
slug = "gardens"
name = "Gardens"
charter = "We grow food on small plots and share what works on **heavy clay**."
facilitators = ["tomas"]
members = ["bea", "cal"]
"#;

/// A server with the gardens community loaded, and a WebDriver server; none where Debian's
/// chromium-driver is missing.
async fn gardens() -> Option<(TestApp, Driver)> {
    if !installed(CHROMEDRIVER, "the browser journeys", "chromium-driver") {
        return None;
    }
    let app = TestApp::spawn().await;
    load_community(&app.db, "gardens.toml", GARDENS, Some(PASSWORD))
        .await
        .expect("the community loads");
    Some((app, Driver::start().await))
}

/// The newcomer's journey: register, read the charter, join, introduce themselves, ask; bea
/// answers; they accept; tomas adds the answer to the repertoire; they commit to try it and
/// report back, and the entry shows the tally.
async fn newcomer_journey(app: &TestApp, browser: &Browser, run: usize) {
    let name = format!("newcomer{run}");
    let email = format!("{name}@example.org");
    browser.open("/register").await;
    browser.fill("#username", &name).await;
    browser.fill("#email", &email).await;
    browser.fill("#password", PASSWORD).await;
    browser.click("main form button[type=submit]").await;
    if browser.text("main").await.contains("Check your mail") {
        let link = app
            .mailed_link(&email, "/confirm/")
            .await
            .expect("a confirmation link is mailed");
        browser.open(&link).await;
    }
    assert!(
        browser.text("header").await.contains(&name),
        "{}",
        browser.label
    );

    browser.open("/d/gardens").await;
    browser.says("heavy clay").await;
    browser.click("form[action='/d/gardens/join'] button").await;
    browser.says("Welcome to Gardens!").await;
    browser.keep(run, "domain").await;
    browser.click(".welcome-box a").await;
    browser
        .fill("#body", "Hello! I grow leeks on a windy allotment.")
        .await;
    browser.click("form.composer button[value=post]").await;
    browser.says("I grow leeks on a windy allotment").await;

    browser.open("/d/gardens/new").await;
    browser
        .fill("#title", &format!("Clay that cracks, question {run}"))
        .await;
    browser.press("input[name=kind][value=question]").await;
    browser
        .fill("#body", "My beds crack open every August. What helps?")
        .await;
    browser.click("form.composer button[value=post]").await;
    let thread = browser.id_after("/t/").await;

    let bea = app.other_browser();
    bea.login("bea", PASSWORD).await;
    let answer = bea
        .answer(
            thread,
            "A thick mulch of leaf mould keeps the clay from drying out.",
        )
        .await;
    browser.open(&format!("/t/{thread}")).await;
    browser
        .click(&format!(
            "button[formaction='/t/{thread}/accept'][value='{answer}']"
        ))
        .await;
    browser.says("Solved.").await;
    browser.keep(run, "thread").await;

    let tomas = app.other_browser();
    tomas.login("tomas", PASSWORD).await;
    let from = answer.to_string();
    let promoted = tomas
        .submit(
            &format!("/d/gardens/repertoire/new?from={answer}"),
            "/d/gardens/repertoire/new",
            &[
                ("from", from.as_str()),
                ("kind", "how-to"),
                ("title", &format!("Mulch clay against cracking {run}")),
                ("summary", "Leaf mould keeps clay from drying out."),
                ("body", "Spread 5 cm of leaf mould in spring."),
                ("tags", "clay, mulch"),
            ],
        )
        .await;
    assert!(promoted.done(), "promoted: {}", promoted.body);

    browser.open(&format!("/t/{thread}")).await;
    browser.click("p.in-repertoire a").await;
    let entry = browser.id_after("/r/").await;
    browser.press("details.commit summary").await;
    browser
        .fill("#intention", "Mulch the leek bed this spring.")
        .await;
    // Without a date the form comes back on its own page, the intention kept.
    browser.click("form[action$='/commit'] button").await;
    browser
        .says("Choose the date by which you will try it.")
        .await;
    let due = (time::OffsetDateTime::now_utc().date() + time::Duration::days(30)).to_string();
    browser.set("#due_on", &due).await;
    browser.click("form[action$='/commit'] button").await;
    browser.says("Committed.").await;
    browser.open("/me/commitments").await;
    browser.says("Mulch the leek bed this spring.").await;

    browser.open(&format!("/r/{entry}")).await;
    browser.click(&format!("a[href='/r/{entry}/report']")).await;
    browser.fill("#context", "A windy allotment on clay.").await;
    browser.fill("#tried", "Leaf mould, 5 cm, in April.").await;
    browser.press("input[name=outcome][value=worked]").await;
    browser.fill("#reflection", "No cracks this August.").await;
    browser.click("main form button[type=submit]").await;
    browser.open(&format!("/r/{entry}")).await;
    browser
        .says("Applied 1 time: 1 worked, 0 partly, 0 did not.")
        .await;
    browser.keep(run, "entry").await;

    // On paper: the entry and its reports, without navigation, forms or buttons.
    browser.media("print").await;
    let hidden = "return ['.site-header', '.site-footer', 'main form', 'main .button']
        .map((css) => document.querySelector(css))
        .filter((element) => element && getComputedStyle(element).display !== 'none')
        .map((element) => element.outerHTML.slice(0, 80))";
    assert_eq!(browser.script(hidden).await, json!([]), "{}", browser.label);
    let shown = "return getComputedStyle(document.querySelector('article.report')).display";
    assert_eq!(browser.script(shown).await, "block", "{}", browser.label);
    browser.media("").await;

    // Dark colours, chosen from the footer, without JavaScript too.
    browser.click("footer a[href='/appearance']").await;
    browser.press("input[name=theme][value=dark]").await;
    browser.click("main form button[type=submit]").await;
    assert_eq!(browser.path().await, format!("/r/{entry}"));
    let theme = browser
        .script("return document.documentElement.dataset.theme")
        .await;
    assert_eq!(theme, "dark", "{}", browser.label);
}

#[tokio::test]
async fn a_newcomer_asks_accepts_commits_and_reports_back_in_chromium() {
    let Some((app, driver)) = gardens().await else {
        return;
    };
    for run in 0..RUNS.len() {
        let browser = driver.browser_for_run(&app, run).await;
        newcomer_journey(&app, &browser, run).await;
        browser.close().await;
    }
    driver.checks.validate();
}

/// The facilitator's journey: tomas agrees with a flag, hides a post, pins and locks a thread,
/// features a reply, reads the health page and schedules an event; bea says she is going.
async fn facilitator_journey(app: &TestApp, browser: &Browser, run: usize) {
    let bea = app.other_browser();
    bea.login("bea", PASSWORD).await;
    let thread = bea
        .start_thread(
            "gardens",
            &format!("Seed swap {run}"),
            "Bring what you saved.",
        )
        .await;
    let spam = bea.answer(thread, "Cheap pills at pills.example!").await;
    let rant = bea.answer(thread, "Off topic: my neighbour's hedge.").await;
    let good = bea
        .answer(thread, "I have spare leek seed, 'Musselburgh'.")
        .await;
    browser.sign_in("cal").await;
    browser.open(&format!("/t/{thread}")).await;
    browser
        .click(&format!("#p{spam} a[href='/p/{spam}/flag']"))
        .await;
    browser.press("input[name=reason][value=spam]").await;
    browser.keep(run, "flag-post").await;
    browser
        .click(&format!("form[action='/p/{spam}/flag'] button"))
        .await;
    browser
        .says("The domain's facilitators will review the post")
        .await;
    browser.sign_out().await;

    browser.sign_in("tomas").await;
    browser.open("/d/gardens/flags").await;
    browser.says(&format!("Seed swap {run}")).await;
    browser
        .click(&format!("form[action='/p/{spam}/flags/agree'] button"))
        .await;

    browser.open(&format!("/t/{thread}")).await;
    browser
        .click(&format!("#p{rant} a[href='/p/{rant}/hide']"))
        .await;
    browser.fill("#reason", "Off topic here").await;
    browser.keep(run, "hide-post").await;
    browser
        .click(&format!("form[action='/p/{rant}/moderate'] button"))
        .await;

    browser.open(&format!("/t/{thread}")).await;
    browser
        .click(&format!("#p{good} a[href='/p/{good}/spotlight']"))
        .await;
    browser.fill("#reason", "Seed to share").await;
    browser.click("form[action='/spotlight'] button").await;

    for action in ["pin", "lock"] {
        browser.open(&format!("/t/{thread}")).await;
        browser.press("details.moderate summary").await;
        browser
            .click(&format!("details.moderate button[value={action}]"))
            .await;
    }
    browser.open(&format!("/t/{thread}")).await;
    browser.says("This thread is locked").await;
    browser.keep(run, "moderated-thread").await;
    let shown = app
        .count(&format!(
            "SELECT count(*) FROM posts WHERE id IN ({spam}, {rant}) AND hidden"
        ))
        .await;
    assert_eq!(shown, 2, "{}: both posts are hidden", browser.label);
    browser.open("/d/gardens").await;
    browser.says("Seed to share").await;

    browser.open("/d/gardens/health").await;
    browser.says("How Gardens is doing").await;
    browser.keep(run, "health").await;

    browser.open("/d/gardens/events").await;
    browser.click("a[href='/d/gardens/events/new']").await;
    let day = time::OffsetDateTime::now_utc().date() + time::Duration::days(14);
    browser
        .fill("#title", &format!("Seed swap evening {run}"))
        .await;
    browser.set("#starts", &format!("{day}T19:00")).await;
    browser.set("#ends", &format!("{day}T21:00")).await;
    browser.fill("#time_zone", "Europe/Lisbon").await;
    browser.fill("#place", "The allotment shed").await;
    browser.click("main form button[type=submit]").await;
    let event = browser.id_after("/e/").await;
    browser.sign_out().await;

    browser.sign_in("bea").await;
    browser.open(&format!("/e/{event}")).await;
    browser.press("input[name=status][value=going]").await;
    browser.click("form[action$='/rsvp'] button").await;
    browser.open(&format!("/e/{event}")).await;
    browser.says("1 going").await;
    browser.sign_out().await;
}

#[tokio::test]
async fn a_facilitator_moderates_features_and_schedules_in_chromium() {
    let Some((app, driver)) = gardens().await else {
        return;
    };
    for run in 0..RUNS.len() {
        let browser = driver.browser_for_run(&app, run).await;
        facilitator_journey(&app, &browser, run).await;
        browser.close().await;
    }
    driver.checks.validate();
}

/// With JavaScript, leaving a thread with a reply typed and not sent makes the browser ask
/// first: the page cancels `beforeunload`, which is what makes a browser ask. (The question
/// itself is the browser's; WebDriver answers it unseen, so the test asks the page.) Words
/// taken back, or sent, ask nothing.
#[tokio::test]
async fn leaving_a_half_written_reply_asks_first_and_sending_it_does_not() {
    let Some((app, driver)) = gardens().await else {
        return;
    };
    let bea = app.other_browser();
    bea.login("bea", PASSWORD).await;
    let thread = bea
        .start_thread("gardens", "Frost dates", "When is it safe?")
        .await;
    let browser = driver.browser(&app, true, 1280).await;
    browser.sign_in("bea").await;
    browser.open(&format!("/t/{thread}")).await;
    let would_ask = "const leaving = new Event('beforeunload', { cancelable: true });
        window.dispatchEvent(leaving);
        return leaving.defaultPrevented";
    assert_eq!(browser.script(would_ask).await, false, "nothing typed yet");
    browser
        .fill("#body", "Mid May, but watch the forecast")
        .await;
    assert_eq!(browser.script(would_ask).await, true, "words not sent");
    browser.fill("#body", " ").await;
    assert_eq!(browser.script(would_ask).await, false, "words taken back");
    browser
        .fill("#body", "Mid May, but watch the forecast")
        .await;
    browser.click("form.composer button[value=post]").await;
    browser.says("Mid May, but watch the forecast").await;
    assert_eq!(browser.script(would_ask).await, false, "words sent");
    browser.close().await;
}

/// With JavaScript a thread is read as far as it was on screen: a long thread opened and left at
/// its top is read only to the posts that were shown; scrolled to its end, to its last post.
#[tokio::test]
async fn a_long_thread_counts_as_read_only_as_far_as_it_was_scrolled() {
    if !installed(CHROMEDRIVER, "the browser journeys", "chromium-driver") {
        return;
    }
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(gardens, ana, "Long one", 29).await;
    let raj = app.create_user("raj").await;
    app.add_member(gardens, raj, "member").await;
    let read = || async {
        sqlx::query_scalar::<_, i32>(
            "SELECT last_read_number FROM thread_reads WHERE user_id = $1 AND thread_id = $2",
        )
        .bind(raj)
        .bind(thread)
        .fetch_optional(&app.db)
        .await
        .expect("read the read mark")
    };
    let settled = |wanted: &'static dyn Fn(Option<i32>) -> bool| async move {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut now = read().await;
        while !wanted(now) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            now = read().await;
        }
        now
    };
    let driver = Driver::start().await;
    let browser = driver.browser(&app, true, 1280).await;
    browser.sign_in("raj").await;

    browser.open(&format!("/t/{thread}")).await;
    browser.open("/d/gardens").await;
    let partly = settled(&|n| n.is_some()).await;
    assert!(
        partly.is_some_and(|n| (1..30).contains(&n)),
        "left at the top, the thread is read to the posts that were on screen: {partly:?}"
    );
    println!("left at the top: read to post {partly:?} of 30");
    assert!(browser.text("main").await.contains("new"));

    browser.open(&format!("/t/{thread}/unread")).await;
    browser
        .script("window.scrollTo(0, document.body.scrollHeight)")
        .await;
    let all = settled(&|n| n == Some(30)).await;
    assert_eq!(
        all,
        Some(30),
        "scrolled to the end, the whole thread is read"
    );
    browser.close().await;
    driver.checks.validate();
}

/// With JavaScript a reply being written is kept as a draft without pressing anything: typed,
/// left at once for another page, and found again on coming back.
#[tokio::test]
async fn a_reply_typed_and_left_comes_back_as_a_draft() {
    if !installed(CHROMEDRIVER, "the browser journeys", "chromium-driver") {
        return;
    }
    let app = TestApp::spawn().await;
    let gardens = app.create_domain("gardens", "public").await;
    let ana = app.create_user("ana").await;
    let thread = app.insert_thread(gardens, ana, "Frost cloth", 1).await;
    let raj = app.create_user("raj").await;
    app.add_member(gardens, raj, "member").await;
    let driver = Driver::start().await;
    let browser = driver.browser(&app, true, 1280).await;
    browser.sign_in("raj").await;

    browser.open(&format!("/t/{thread}")).await;
    browser
        .fill("form[data-draft] textarea", "Fleece on hoops, pegged down")
        .await;
    // Leaving straight away: the page sends the draft as it goes.
    browser.open("/d/gardens").await;
    let saved = "SELECT count(*) FROM drafts WHERE body = 'Fleece on hoops, pegged down'";
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.count(saved).await == 0 {
        assert!(Instant::now() < deadline, "the draft was not kept");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.open(&format!("/t/{thread}")).await;
    let text = browser
        .script("return document.querySelector('form[data-draft] textarea').value")
        .await;
    assert_eq!(text, "Fleece on hoops, pegged down");
    assert!(browser
        .text("main")
        .await
        .contains("Your draft reply is back"));
    browser.close().await;
    driver.checks.validate();
}
