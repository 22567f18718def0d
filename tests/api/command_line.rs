//! The `commonplace` command itself, run as an operator would.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::{
    free_port, fresh_database_with_url, gardens_with_a_thread, metric_in, TestApp, PASSWORD,
};
use crate::live::LiveStream;

fn commonplace(url: &str, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_commonplace"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().expect("the command ends")
}

#[tokio::test]
async fn the_first_admin_is_created_from_the_command_line() {
    let (db, url) = fresh_database_with_url().await;
    let args = [
        "admin",
        "create-user",
        "--admin",
        "--username",
        "root",
        "--email",
        "root@example.org",
        "--password-stdin",
    ];
    let short = commonplace(&url, &args, "short\n");
    assert!(!short.status.success());
    assert!(
        String::from_utf8_lossy(&short.stderr).contains("password: Use at least 10 characters.")
    );
    let made = commonplace(&url, &args, "a long enough password\n");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let (role, hash): (String, String) =
        sqlx::query_as("SELECT site_role, password_hash FROM users WHERE username = 'root'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(role, "admin");
    assert!(hash.starts_with("$argon2id$"));
    let again = commonplace(&url, &args, "a long enough password\n");
    assert!(String::from_utf8_lossy(&again.stderr).contains("the username `root` is taken"));
    // Without --password-stdin a random password is printed once; there is no default.
    let generated = commonplace(
        &url,
        &[
            "admin",
            "create-user",
            "--username",
            "bea",
            "--email",
            "bea@example.org",
        ],
        "",
    );
    assert!(String::from_utf8_lossy(&generated.stdout).contains("Its password is "));
}

#[tokio::test]
async fn seed_names_the_file_and_line_of_a_problem_and_loads_nothing() {
    let (db, url) = fresh_database_with_url().await;
    let dir = std::env::temp_dir().join(format!("commonplace-seed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        "[[domains]]\nslug = \"a\"\nname = \"A\"\ncharter = \"x\"\nfacilitators = [\"ghost\"]\n",
    )
    .unwrap();
    let out = commonplace(&url, &["seed", file.to_str().unwrap()], "");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml:5: facilitators: no user `ghost`"),
        "{stderr}"
    );
    let domains: i64 = sqlx::query_scalar("SELECT count(*) FROM domains")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(domains, 0);
    let latin1 = dir.join("latin1.toml");
    std::fs::write(&latin1, [b'#', 0xE9, b'\n']).unwrap();
    let out = commonplace(&url, &["seed", latin1.to_str().unwrap()], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not UTF-8 text"));
    let good = commonplace(
        &url,
        &[
            "seed",
            concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/demo.toml"),
        ],
        "",
    );
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
    let twice = commonplace(
        &url,
        &[
            "seed",
            concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/demo.toml"),
        ],
        "",
    );
    assert!(String::from_utf8_lossy(&twice.stdout).contains("nothing changed"));
    std::fs::remove_dir_all(&dir).ok();
}

/// `commonplace serve` on `url`, listening on `address`; answers `/healthz` when this returns.
async fn serve(url: &str, address: std::net::SocketAddr) -> std::process::Child {
    serve_with(url, address, &[("RUST_LOG", "warn")], Stdio::null()).await
}

/// `serve` with more environment, its log (standard output) going to `log`. The caller owns the
/// process and waits for it (clippy cannot follow it out of here).
#[allow(clippy::zombie_processes)]
pub(crate) async fn serve_with(
    url: &str,
    address: std::net::SocketAddr,
    env: &[(&str, &str)],
    log: Stdio,
) -> std::process::Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_commonplace"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("COMMONPLACE_BIND", address.to_string())
        .envs(env.iter().copied())
        .stdout(log)
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let health = reqwest::get(format!("http://{address}/healthz")).await;
        if health.is_ok_and(|r| r.status().is_success()) {
            return child;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server did not answer within 20 s");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// What one member's writes the server acknowledged (answered with a redirect) before it died.
#[derive(Default)]
struct Acknowledged {
    replies: Vec<String>,
    threads: Vec<String>,
    reports: Vec<String>,
    reactions: Vec<i64>,
}

/// Writes as fast as the server answers: a reply each turn, a thread every third, a practice
/// report every fourth, a reaction to one of the host's posts each turn; until the server dies.
async fn write_until_killed(
    app: TestApp,
    name: String,
    entry: i64,
    thread: i64,
    host_posts: Vec<i64>,
) -> Acknowledged {
    let mut done = Acknowledged::default();
    let token = app.get("/").await.csrf();
    for turn in 0.. {
        let text = format!("{name} turn {turn}");
        let reply = [
            ("csrf", token.as_str()),
            ("body", text.as_str()),
            ("action", "post"),
        ];
        let Some(answer) = app.try_post(&format!("/t/{thread}/reply"), &reply).await else {
            break;
        };
        if answer.status.is_redirection() {
            done.replies.push(text.clone());
        }
        if turn % 3 == 0 {
            let fields = [
                ("csrf", token.as_str()),
                ("title", text.as_str()),
                ("kind", "discussion"),
                ("body", "Body"),
                ("action", "post"),
            ];
            match app.try_post("/d/soil/new", &fields).await {
                Some(answer) if answer.status.is_redirection() => done.threads.push(text.clone()),
                Some(_) => {}
                None => break,
            }
        }
        if turn % 4 == 0 {
            let fields = [
                ("csrf", token.as_str()),
                ("context", text.as_str()),
                ("tried", "Cardboard"),
                ("outcome", "worked"),
            ];
            match app.try_post(&format!("/r/{entry}/report"), &fields).await {
                Some(answer) if answer.status.is_redirection() => done.reports.push(text.clone()),
                Some(_) => {}
                None => break,
            }
        }
        if let Some(&post) = host_posts.get(turn) {
            let fields = [("csrf", token.as_str()), ("kind", "helpful")];
            match app.try_post(&format!("/p/{post}/react"), &fields).await {
                Some(answer) if answer.status.is_redirection() => done.reactions.push(post),
                Some(_) => {}
                None => break,
            }
        }
    }
    done
}

#[tokio::test]
async fn every_acknowledged_write_survives_kill_9_of_the_server() {
    let (db, url) = fresh_database_with_url().await;
    let setup = TestApp::at("127.0.0.1:9".parse().unwrap(), db.clone());
    let soil = setup.create_domain("soil", "public").await;
    let host = setup.create_user("host").await;
    setup.add_member(soil, host, "member").await;
    let thread = setup.insert_thread(soil, host, "Busy thread", 200).await;
    let host_posts: Vec<i64> = sqlx::query_scalar("SELECT id FROM posts ORDER BY id")
        .fetch_all(&db)
        .await
        .unwrap();
    let entry = setup.insert_entry(soil, "Sheet mulching").await;
    let names: Vec<String> = (1..=4).map(|n| format!("writer{n}")).collect();
    for name in &names {
        let id = setup.create_user(name).await;
        setup.add_member(soil, id, "member").await;
    }

    let address = free_port();
    let mut server = serve(&url, address).await;
    let mut writers = Vec::new();
    for name in &names {
        let app = TestApp::at(address, db.clone());
        assert!(app.login(name, PASSWORD).await.done());
        let (name, posts) = (name.clone(), host_posts.clone());
        writers.push(tokio::spawn(write_until_killed(
            app, name, entry, thread, posts,
        )));
    }
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    server.wait().unwrap();
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.push(writer.await.unwrap());
    }

    let mut server = serve(&url, address).await;
    let count = |sql: String| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&sql)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    let mut total = 0;
    for (name, done) in names.iter().zip(&acknowledged) {
        for text in &done.replies {
            let sql = format!("SELECT count(*) FROM posts WHERE body_md = '{text}'");
            assert_eq!(count(sql).await, 1, "reply {text}");
        }
        for text in &done.threads {
            let sql = format!("SELECT count(*) FROM threads WHERE title = '{text}'");
            assert_eq!(count(sql).await, 1, "thread {text}");
        }
        for text in &done.reports {
            let sql = format!("SELECT count(*) FROM practice_reports WHERE context = '{text}'");
            assert_eq!(count(sql).await, 1, "report {text}");
        }
        for post in &done.reactions {
            let sql = format!(
                "SELECT count(*) FROM reactions r JOIN users u ON u.id = r.user_id
                  WHERE r.post_id = {post} AND u.username = '{name}' AND r.kind = 'helpful'"
            );
            assert_eq!(count(sql).await, 1, "{name}'s reaction to {post}");
        }
        total +=
            done.replies.len() + done.threads.len() + done.reports.len() + done.reactions.len();
    }
    assert!(
        total > 40,
        "the writers got going: {total} acknowledged writes"
    );

    // Every counter equals its rows.
    let mismatched = [
        "SELECT count(*) FROM threads t WHERE reply_count <> (SELECT count(*) - 1 FROM posts p WHERE p.thread_id = t.id)",
        "SELECT count(*) FROM domains d WHERE thread_count <> (SELECT count(*) FROM threads t WHERE t.domain_id = d.id)",
        "SELECT count(*) FROM posts p WHERE helpful_count <> (SELECT count(*) FROM reactions r WHERE r.post_id = p.id AND r.kind = 'helpful')",
        "SELECT count(*) FROM repertoire_entries e WHERE reports_count <> (SELECT count(*) FROM practice_reports r WHERE r.entry_id = e.id)",
        "SELECT count(*) FROM repertoire_entries e WHERE worked_count <> (SELECT count(*) FROM practice_reports r WHERE r.entry_id = e.id AND r.outcome = 'worked')",
    ];
    for sql in mismatched {
        assert_eq!(count(sql.to_string()).await, 0, "{sql}");
    }
    let reader = TestApp::at(address, db.clone());
    assert_eq!(
        reader.get(&format!("/t/{thread}")).await.status,
        reqwest::StatusCode::OK
    );
    println!("{total} acknowledged writes, all present after kill -9 and restart");
    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test]
async fn two_server_processes_run_each_scheduled_job_once() {
    let (db, url) = fresh_database_with_url().await;
    let setup = TestApp::at("127.0.0.1:9".parse().unwrap(), db.clone());
    let root = setup.create_user("root").await;
    sqlx::query("UPDATE users SET site_role = 'admin' WHERE id = $1")
        .bind(root)
        .execute(&db)
        .await
        .unwrap();
    // A commitment that fell due yesterday: the reminder job has one member to remind.
    let soil = setup.create_domain("soil", "public").await;
    let entry = setup.insert_entry(soil, "Sheet mulching").await;
    sqlx::query(
        "INSERT INTO commitments (user_id, entry_id, intention, due_on)
         VALUES ($1, $2, 'Try it', current_date - 1)",
    )
    .bind(root)
    .bind(entry)
    .execute(&db)
    .await
    .unwrap();

    let addresses = [free_port(), free_port()];
    let (first, second) = tokio::join!(serve(&url, addresses[0]), serve(&url, addresses[1]));
    let mut processes = [first, second];
    let all_ran = "SELECT count(*) FROM jobs WHERE last_finished_at IS NOT NULL";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let job_count = commonplace::server::JOBS.len() as i64;
    while setup.count(all_ran).await < job_count {
        assert!(std::time::Instant::now() < deadline, "every job runs");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // Both processes have looked again since (they look every 5 s).
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let runs: Vec<(String, i64)> = sqlx::query_as("SELECT name, runs FROM jobs ORDER BY name")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(runs.len() as i64, job_count);
    assert!(
        runs.iter().all(|(_, n)| *n == 1),
        "each job ran once: {runs:?}"
    );
    let reminders = "SELECT count(*) FROM notifications WHERE kind = 'commitment_due'";
    assert_eq!(
        setup.count(reminders).await,
        1,
        "one reminder, not one per process"
    );

    // Admins see the runs, through either process.
    let admin = TestApp::at(addresses[1], db.clone());
    assert!(admin.login("root", PASSWORD).await.done());
    let jobs = admin.get("/admin/jobs").await;
    assert!(jobs.contains("commitment reminders"), "{}", jobs.body);
    assert!(jobs.contains("ok: 1 member reminded of commitments that fell due"));
    assert!(jobs.contains("every 10 minutes; 1 so far"));
    for process in &mut processes {
        process.kill().unwrap();
        process.wait().unwrap();
    }
}

#[tokio::test]
async fn a_reply_through_one_process_reaches_a_live_page_on_the_other_within_a_second() {
    let (db, url, thread) = gardens_with_a_thread("Frost cloth", 0).await;

    let addresses = [free_port(), free_port()];
    let (first, second) = tokio::join!(serve(&url, addresses[0]), serve(&url, addresses[1]));
    let mut processes = [first, second];
    let writer = TestApp::at(addresses[0], db.clone());
    assert!(writer.login("ana", PASSWORD).await.done());
    let reader = TestApp::at(addresses[1], db.clone());
    let mut page = LiveStream::open(&reader, &format!("/live?thread={thread}"), None).await;

    let posted = std::time::Instant::now();
    let reply = writer.answer(thread, "From the other process.").await;
    let heard = page.next_of("reply").await;
    let took = posted.elapsed();
    assert_eq!(heard.data, reply.to_string());
    assert!(took < std::time::Duration::from_secs(1), "took {took:?}");
    println!("posted through one process, heard on the other after {took:?}");

    // SIGTERM: the open stream is closed and the process stops, without waiting out the drain.
    let stopping = std::time::Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(processes[1].id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert!(page.ends_within(std::time::Duration::from_secs(5)).await);
    let deadline = stopping + std::time::Duration::from_secs(8);
    while processes[1].try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "the process stops");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(processes[1].wait().unwrap().success());
    processes[0].kill().unwrap();
    processes[0].wait().unwrap();
}

#[tokio::test]
async fn each_request_is_logged_once_with_its_id_and_never_a_secret() {
    let (db, url) = fresh_database_with_url().await;
    let setup = TestApp::at("127.0.0.1:9".parse().unwrap(), db.clone());
    setup.create_user("ana").await;
    let address = free_port();
    let log_path = std::env::temp_dir().join(format!("commonplace-log-{}.json", address.port()));
    let log = std::fs::File::create(&log_path).unwrap();
    let metrics_token = "metrics-token-5c1e";
    let env = [
        ("COMMONPLACE_LOG_FORMAT", "json"),
        ("RUST_LOG", "info"),
        ("COMMONPLACE_METRICS_TOKEN", metrics_token),
    ];
    let mut server = serve_with(&url, address, &env, Stdio::from(log)).await;

    // A password in a form, a session cookie, a reset token in a path and one in a query.
    let browser = TestApp::at(address, db.clone());
    let login = browser.login("ana", PASSWORD).await;
    assert!(login.done());
    let request_id = login.headers["x-request-id"].to_str().unwrap().to_string();
    let session = browser.session_cookie().expect("a session");
    browser.logout().await;
    let forgot = browser
        .submit("/forgot", "/forgot", &[("login", "ana")])
        .await;
    assert!(forgot.done() || forgot.status.is_success());
    let site = format!("http://{address}");
    let link = browser
        .mailed_link("ana@example.org", &format!("{site}/reset/"))
        .await
        .expect("a reset link");
    let path = link.trim_start_matches(&site).to_string();
    let token = path.rsplit('/').next().unwrap().to_string();
    assert_eq!(browser.get(&path).await.status, reqwest::StatusCode::OK);
    browser.get(&format!("/search?q={token}")).await;

    // The process's own figures, scraped as Prometheus would: the scheduled jobs it ran at
    // start, the login, and no secret among them.
    let scrape = || async {
        let response = browser
            .open(
                "/metrics",
                &[("authorization", &format!("Bearer {metrics_token}"))],
            )
            .await;
        assert_eq!(response.status(), reqwest::StatusCode::OK);
        response.text().await.unwrap()
    };
    let ran = [("job", "expired sessions"), ("outcome", "ok")];
    let started = std::time::Instant::now();
    let mut metrics = scrape().await;
    while metric_in(&metrics, "commonplace_jobs_runs_total", &ran) != Some(1.0) {
        assert!(
            started.elapsed().as_secs() < 15,
            "the jobs ran at start:\n{metrics}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        metrics = scrape().await;
    }
    let timed = [("job", "expired sessions")];
    assert_eq!(
        metric_in(&metrics, "commonplace_job_duration_seconds_count", &timed),
        Some(1.0)
    );
    let logged_in = [("method", "POST"), ("route", "/login"), ("status", "303")];
    assert_eq!(
        metric_in(&metrics, "commonplace_http_requests_total", &logged_in),
        Some(1.0)
    );
    let session_id = session.split_once('=').map_or(session.as_str(), |(_, v)| v);
    for secret in [PASSWORD, &token, session_id, metrics_token] {
        assert!(
            !metrics.contains(secret),
            "a secret in the metrics:\n{metrics}"
        );
    }

    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    server.wait().unwrap();

    let text = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    for secret in [PASSWORD, &token, session_id, metrics_token] {
        assert!(!text.contains(secret), "a secret in the log:\n{text}");
    }
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is one JSON object"))
        .collect();
    let requests: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["target"] == "commonplace::request")
        .collect();
    let login_lines: Vec<_> = requests
        .iter()
        .filter(|l| l["span"]["request_id"] == request_id.as_str())
        .collect();
    assert_eq!(login_lines.len(), 1, "the login is logged once:\n{text}");
    let fields = &login_lines[0]["fields"];
    assert_eq!(fields["method"], "POST");
    assert_eq!(fields["route"], "/login");
    assert_eq!(fields["status"], 303);
    assert!(fields["ms"].as_f64().is_some());
    assert!(
        requests
            .iter()
            .any(|l| l["fields"]["route"] == "/reset/{token}"),
        "the reset page is logged by its route"
    );
}

#[tokio::test]
async fn on_sigterm_a_request_in_flight_is_answered_and_the_process_stops() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (db, url) = fresh_database_with_url().await;
    TestApp::at("127.0.0.1:9".parse().unwrap(), db.clone())
        .create_user("ana")
        .await;
    let address = free_port();
    let mut server = serve(&url, address).await;

    // A login whose body is still arriving when the signal comes.
    let body = format!("login=ana&password={PASSWORD}");
    let (first, rest) = body.split_at(8);
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    // No new connection is taken once stopping has begun.
    let late = reqwest::get(format!("http://{address}/healthz")).await;
    assert!(late.is_err(), "a new request after SIGTERM: {late:?}");

    socket.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).await.unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 403"),
        "the request in flight is answered (no CSRF token, so 403): {answer}"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(8);
    while server.try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "the process stops");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(server.wait().unwrap().success(), "a clean exit");
}

#[tokio::test]
async fn with_the_demo_off_a_new_site_starts_empty_and_its_first_admin_signs_in() {
    let (db, url) = fresh_database_with_url().await;
    let address = free_port();
    let env = [("RUST_LOG", "warn"), ("COMMONPLACE_DEMO", "off")];
    let mut server =
        crate::load_balancer::Process(serve_with(&url, address, &env, Stdio::null()).await);
    let visitor = TestApp::at(address, db.clone());
    assert_eq!(
        visitor.count("SELECT count(*) FROM users").await,
        0,
        "no demo accounts"
    );
    assert_eq!(visitor.count("SELECT count(*) FROM domains").await, 0);
    assert_eq!(visitor.get("/d").await.status, reqwest::StatusCode::OK);

    let args = ["admin", "create-user", "--admin", "--username", "founder"];
    let args = [
        &args[..],
        &["--email", "founder@example.org", "--password-stdin"],
    ]
    .concat();
    let made = commonplace(&url, &args, "a long enough password\n");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(visitor
        .login("founder", "a long enough password")
        .await
        .done());
    assert_eq!(visitor.get("/admin").await.status, reqwest::StatusCode::OK);
    server.stop();
}
