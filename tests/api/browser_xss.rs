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

/// Payloads short enough for a tag or an area of expertise (40 characters, no commas).
const SHORT: &str = "<img src=x onerror=alert(1)>, \"><svg onload=alert(1)>, \
    </textarea><iframe src=x>, javascript:alert(1)";

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

/// What in a DOM shows that a hostile input got through, if anything. Pages carry a strict
/// Content-Security-Policy, which would stop most payloads from running even if the escaping
/// failed; so the DOM itself is checked too: in Chromium's serialisation a text node's `<` is
/// `&lt;` and an attribute value escapes `<`, `>` and `"`, so every raw `<` starts a real element.
fn got_through(dom: &str) -> Option<String> {
    if dom.contains("data-fired=\"1\"") {
        return Some("a script ran".into());
    }
    let lower = dom.to_ascii_lowercase();
    for tag in lower.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or_default();
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let ours = tag.starts_with("script src=\"/static/");
        let forbidden = [
            "script", "iframe", "frame", "object", "embed", "base", "svg", "math", "style", "link",
            "meta",
        ];
        // The site's own: its script, its stylesheet and icon links, its head's meta tags.
        let in_head = matches!(name.as_str(), "link" | "meta") && !tag.contains("http-equiv");
        if forbidden.contains(&name.as_str()) && !ours && !in_head {
            return Some(format!("a <{name}> element: <{tag:.120}>"));
        }
        for (key, value) in attributes(&tag[name.len()..]) {
            if key.starts_with("on") && key.len() > 2 {
                return Some(format!("an event handler: <{tag:.120}>"));
            }
            let url = ["href", "src", "data", "action", "formaction", "xlink:href"];
            if url.contains(&key) && value.trim_start().starts_with("javascript:") {
                return Some(format!("a javascript: URL: <{tag:.120}>"));
            }
        }
    }
    None
}

/// The `name="value"` pairs of a serialised tag (values are always double-quoted, with `"`
/// escaped inside them).
fn attributes(mut rest: &str) -> Vec<(&str, &str)> {
    let mut found = Vec::new();
    loop {
        rest = rest.trim_start();
        let name_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let (name, after) = rest.split_at(name_end);
        if name.is_empty() || name == "/" {
            return found;
        }
        match after.strip_prefix("=\"") {
            Some(quoted) => {
                let end = quoted.find('"').unwrap_or(quoted.len());
                found.push((name, &quoted[..end]));
                rest = quoted.get(end + 1..).unwrap_or_default();
            }
            None => {
                found.push((name, ""));
                rest = after;
            }
        }
    }
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
                ("tags", SHORT),
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
    // An intention holds 1000 characters: as many payloads as fit.
    let intention: String = all.chars().take(1000).collect();
    let committed = app
        .act(
            &format!("/r/{entry_id}/commit"),
            &[("intention", &intention), ("due_on", "2030-01-01")],
        )
        .await;
    assert!(committed.done(), "commitment: {}", committed.status);

    // Another member replies (mentioning Ana, so she is notified) and flags her opening post
    // with a hostile note; the facilitator features it with a hostile reason.
    let bo = app.other_browser();
    bo.member("bob", soil, "member").await;
    assert!(bo.reply(threads[0], &format!("@ana {all}")).await.done());
    let opening: i64 = sqlx::query_scalar("SELECT min(id) FROM posts WHERE thread_id = $1")
        .bind(threads[0])
        .fetch_one(&app.db)
        .await
        .unwrap();
    let note: String = payloads[1].chars().take(1000).collect();
    let flagged = bo
        .act(
            &format!("/p/{opening}/flag"),
            &[("reason", "other"), ("note", &note)],
        )
        .await;
    assert!(flagged.done(), "flag: {}", flagged.status);
    let fay = app.other_browser();
    fay.login("fay", PASSWORD).await;
    let opening_id = opening.to_string();
    let featured = fay
        .act(
            "/spotlight",
            &[
                ("post", &opening_id),
                ("entry", ""),
                ("reason", &payloads[5]),
            ],
        )
        .await;
    assert!(featured.done(), "spotlight: {}", featured.status);

    // Pages only a signed-in member sees, as the server sent them, rendered from a file (where
    // no Content-Security-Policy applies, so a payload that got through would run).
    let mut private_pages = Vec::new();
    for page in [
        "/notifications".to_string(),
        "/me/profile".to_string(),
        "/me/commitments".to_string(),
        format!("/p/{opening}/edit"),
        format!("/r/{entry_id}/edit"),
        format!("/t/{}/reply?quote={opening}", threads[0]),
    ] {
        let answer = app.get(&page).await;
        assert_eq!(answer.status, StatusCode::OK, "{page}");
        private_pages.push((page, answer.body));
    }
    let queue = fay.get("/d/soil/flags").await;
    assert!(queue.contains("1 flag"), "the flag is queued");
    private_pages.push(("/d/soil/flags".to_string(), queue.body));
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
    std::fs::create_dir_all(&scratch).expect("a scratch directory");
    for (n, (page, html)) in private_pages.iter().enumerate() {
        let file = scratch.join(format!("signed-in-{n}.html"));
        std::fs::write(&file, html).expect("the page is written");
        let profile = scratch.join(format!("profile-signed-in-{n}"));
        let (_, dom) = dom_of(
            chromium.clone(),
            format!("file://{}", file.display()),
            profile,
        )
        .await;
        loaded.push((format!("{page} (signed in)"), dom));
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
fn the_check_sees_markup_that_got_through_and_nothing_else() {
    let through = [
        "<html data-fired=\"1\"><body></body></html>",
        "<a href=\" JavaScript:alert(1)\">x</a>",
        "<img src=\"x\" onerror=\"alert(1)\">",
        "<details open=\"\" ontoggle=\"x\">",
        "<p><script>alert(1)</script></p>",
        "<iframe srcdoc=\"x\"></iframe>",
        "<meta http-equiv=\"refresh\" content=\"0\">",
    ];
    for dom in through {
        assert!(got_through(dom).is_some(), "{dom}");
    }
    let harmless = "<head><meta charset=\"utf-8\"><link rel=\"stylesheet\" href=\"/static/a.css\">\
        <script src=\"/static/commonplace.js\" defer=\"\"></script></head>\
        <p>&lt;a href=\"javascript:x\" onerror=alert(1)&gt; dataset.fired=1</p>\
        <input value=\"&lt;iframe onload=x&gt; &quot;javascript:\">";
    assert_eq!(got_through(harmless), None);
}
