//! No script a member can store or send runs in a reader's browser (issue 11, "keep proving what
//! holds"). Every hostile input of `tests/hostile/xss.txt` is written through the real forms
//! into every field a member controls, then each page that shows them is loaded in headless
//! Chromium, which runs what the page would run; the DOM it built must carry no mark of a
//! script having fired and no `javascript:` URL in a link, frame, object or form.

use std::path::PathBuf;
use std::process::Stdio;

use crate::helpers::{all_at_once, TestApp, PASSWORD};
use reqwest::StatusCode;

/// What every payload runs when it gets to run: it marks the page.
const FIRE: &str = "document.documentElement.dataset.fired=1";

fn corpus() -> Vec<String> {
    include_str!("../hostile/xss.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| line.replace("FIRE", FIRE))
        .collect()
}

/// Debian's `chromium` (or `$CHROMIUM`); `None` when this machine has none.
fn chromium() -> Option<PathBuf> {
    let named = std::env::var_os("CHROMIUM").map(PathBuf::from);
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    let on_path = ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)))
        .find(|path| path.is_file());
    named.filter(|path| path.is_file()).or(on_path)
}

/// The DOM Chromium builds for `url` once the page has loaded (scripts, error handlers and all).
async fn dom_of(chromium: PathBuf, url: String, profile: PathBuf) -> (String, String) {
    let args = [
        "--headless".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--no-first-run".into(),
        "--disable-dev-shm-usage".into(),
        format!("--user-data-dir={}", profile.display()),
        "--dump-dom".into(),
        url.clone(),
    ];
    let run = move || {
        std::process::Command::new(chromium)
            .args(args)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
    };
    let output = tokio::task::spawn_blocking(run)
        .await
        .expect("the task ran")
        .expect("chromium runs");
    let _ = std::fs::remove_dir_all(&profile);
    (url, String::from_utf8_lossy(&output.stdout).into_owned())
}

/// What in a DOM shows that a hostile input got through, if anything.
fn got_through(dom: &str) -> Option<String> {
    if dom.contains("data-fired=\"1\"") {
        return Some("a script ran".into());
    }
    // In serialised HTML a text node's `<` is `&lt;` and an attribute's `"` is `&quot;`: a
    // `name="javascript:` after a real `<` (with no `>` between) is an attribute of an element.
    let lower = dom.to_ascii_lowercase();
    for attribute in ["href", "src", "data", "action", "formaction", "xlink:href"] {
        let needle = format!(" {attribute}=\"");
        let mut from = 0;
        while let Some(found) = lower[from..].find(&needle) {
            let at = from + found;
            let value = lower[at + needle.len()..].trim_start();
            let before = &lower[..at];
            let in_a_tag = before.rfind('<') > before.rfind('>');
            if in_a_tag && value.starts_with("javascript:") {
                let start = before.rfind('<').unwrap_or(0);
                return Some(format!("a javascript: URL: {:.120}", &dom[start..]));
            }
            from = at + needle.len();
        }
    }
    None
}

#[tokio::test]
async fn no_hostile_input_runs_script_in_chromium() {
    let Some(chromium) = chromium() else {
        eprintln!(
            "SKIPPED no_hostile_input_runs_script_in_chromium: no Chromium on this machine \
             (install Debian's `chromium`, as .ci/run does, or set CHROMIUM)"
        );
        return;
    };
    let payloads = corpus();
    let all = payloads.join("\n\n");
    let app = TestApp::spawn().await;
    let soil = app.create_domain("soil", "public").await;
    app.member("fay", soil, "facilitator").await;
    let charter = app
        .submit(
            "/d/soil/charter",
            "/d/soil/charter",
            &[
                ("charter", &all),
                ("practice_focus", &payloads[5]),
                ("audience", &payloads[6]),
            ],
        )
        .await;
    assert!(charter.done(), "charter: {}", charter.status);
    app.logout().await;
    let ana = app.create_user("ana").await;
    app.add_member(soil, ana, "member").await;
    app.login("ana", PASSWORD).await;

    // Titles are short: one thread per payload, each carrying every payload in its body.
    let mut threads = Vec::new();
    for payload in &payloads {
        let title: String = payload.chars().take(200).collect();
        threads.push(app.start_thread("soil", &title, &all).await);
    }
    assert!(app.reply(threads[0], &all).await.done());
    let profile = app
        .submit(
            "/me/profile",
            "/me/profile",
            &[
                (
                    "display_name",
                    "\"><img src=x onerror=document.documentElement.dataset.fired=1>",
                ),
                ("bio", &all),
                ("expertise", "compost, soil"),
            ],
        )
        .await;
    assert!(profile.done(), "profile: {}", profile.body);
    let entry = app
        .submit(
            "/d/soil/repertoire/new",
            "/d/soil/repertoire/new",
            &[
                ("kind", "story"),
                ("title", &payloads[1]),
                ("summary", &payloads[5]),
                ("body", &all),
                ("tags", "compost"),
            ],
        )
        .await;
    let entry_page = entry.location.clone().expect("the entry is created");
    let entry_id = entry_page.trim_start_matches("/r/");
    let report = app
        .submit(
            &format!("/r/{entry_id}/report"),
            &format!("/r/{entry_id}/report"),
            &[
                ("context", &payloads[2]),
                ("tried", &all),
                ("outcome", "worked"),
                ("reflection", &all),
            ],
        )
        .await;
    assert!(report.done());
    let event = app
        .submit(
            "/d/soil/events/new",
            "/d/soil/events/new",
            &[
                ("title", &payloads[1]),
                ("starts", "2030-07-01T18:00"),
                ("ends", "2030-07-01T20:00"),
                ("time_zone", "UTC"),
                ("place", &payloads[5]),
                ("link", "https://example.org/\"><img src=x onerror=document.documentElement.dataset.fired=1>"),
                ("agenda", &all),
            ],
        )
        .await;
    let event_page = event.location.clone().expect("the event is created");
    app.logout().await;

    let reflected =
        |path: &str, payload: &str| format!("{path}{}", commonplace::web::url_encode(payload));
    let mut pages = vec![
        "/".to_string(),
        "/d".to_string(),
        "/d/soil".to_string(),
        "/d/soil/repertoire".to_string(),
        "/d/soil/events".to_string(),
        "/u/ana".to_string(),
        entry_page,
        event_page,
        format!("/t/{}", threads[0]),
        format!("/t/{}", threads[threads.len() - 1]),
        reflected("/search?q=", &payloads[5]),
        reflected("/search?q=", &payloads[7]),
        reflected("/login?next=", &payloads[5]),
        reflected("/members?expertise=", &payloads[5]),
        reflected("/no-such-page/", &payloads[5]),
    ];
    for thread in &threads[1..threads.len() - 1] {
        pages.push(format!("/t/{thread}"));
    }
    for page in &pages {
        let answer = app.get(page).await;
        assert!(
            answer.status == StatusCode::OK || answer.status == StatusCode::NOT_FOUND,
            "{page}: {}",
            answer.status
        );
    }

    let scratch =
        std::env::temp_dir().join(format!("commonplace-test-{}-chromium", std::process::id()));
    let mut loaded = Vec::new();
    for batch in pages.chunks(3) {
        let done = loaded.len();
        let runs = batch.iter().enumerate().map(|(n, page)| {
            let profile = scratch.join(format!("{}", done + n));
            dom_of(chromium.clone(), app.url(page).to_string(), profile)
        });
        loaded.extend(all_at_once(runs.collect()).await);
    }
    let _ = std::fs::remove_dir_all(&scratch);
    for (url, dom) in &loaded {
        assert!(dom.contains("</html>"), "Chromium built {url}: {dom:.200}");
        assert_eq!(got_through(dom), None, "{url}");
    }
    println!(
        "{} payloads, {} pages loaded in Chromium: no script ran",
        payloads.len(),
        loaded.len()
    );
}

#[test]
fn the_check_sees_a_script_that_ran_and_a_javascript_link() {
    assert!(got_through("<html data-fired=\"1\"><body></body></html>").is_some());
    assert!(got_through("<a href=\" JavaScript:alert(1)\">x</a>").is_some());
    assert_eq!(
        got_through("<p>&lt;a href=\"javascript:x\"&gt; dataset.fired=1</p><input value=\"&quot;javascript:\">"),
        None
    );
}
