//! Two `commonplace serve` processes on one database behind a real nginx, configured with the
//! proxy file operators use (`deploy/nginx/commonplace-proxy.conf`): a member logs in, posts
//! and reads back through either process; sessions, CSRF tokens, rate limits, live updates and
//! scheduled jobs behave as with one process; and when one process stops, the other serves.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::command_line::serve_with;
use crate::helpers::{
    free_port, gardens_with_a_thread, installed, metric_in, Started, TestApp, PASSWORD,
};
use crate::live::LiveStream;

const NGINX: &str = "/usr/sbin/nginx";

/// nginx in front of `upstreams`, with its files in a directory of its own.
struct Nginx {
    address: SocketAddr,
    started: Started,
}

impl Nginx {
    fn available() -> bool {
        installed(NGINX, "the load-balancer test", "nginx-light")
    }

    async fn start(upstreams: &[SocketAddr]) -> Nginx {
        let address = free_port();
        let dir = std::env::temp_dir().join(format!("commonplace-nginx-{}", address.port()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let proxy = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/deploy/nginx/commonplace-proxy.conf"
        );
        let servers: String = upstreams
            .iter()
            .map(|upstream| format!("        server {upstream};\n"))
            .collect();
        let d = dir.display();
        // Which process answered, so the test can see both at work.
        let conf = format!(
            "worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    upstream commonplace {{
{servers}        keepalive 8;
    }}
    server {{
        listen {address};
        add_header X-Upstream $upstream_addr always;
        include {proxy};
    }}
}}
"
        );
        let conf_path = dir.join("nginx.conf");
        std::fs::write(&conf_path, conf).unwrap();
        let process = Command::new(NGINX)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&conf_path)
            .arg("-e")
            .arg(dir.join("error.log"))
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let nginx = Nginx {
            address,
            started: Started { process, dir },
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let ready = reqwest::get(format!("http://{address}/readyz")).await;
            if ready.is_ok_and(|r| r.status() == StatusCode::OK) {
                return nginx;
            }
            let log =
                std::fs::read_to_string(nginx.started.dir.join("error.log")).unwrap_or_default();
            assert!(Instant::now() < deadline, "nginx answers /readyz:\n{log}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A `commonplace serve` process that is stopped when the test ends, however it ends.
pub(crate) struct Process(pub(crate) Child);

impl Process {
    /// SIGTERM, as an operator stops it, and wait for it to finish.
    pub(crate) fn stop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.0.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn upstream(page_headers: &reqwest::header::HeaderMap) -> String {
    page_headers["x-upstream"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn two_processes_behind_nginx_serve_one_site_as_one_process_would() {
    if !Nginx::available() {
        return;
    }
    let (db, url, thread) = gardens_with_a_thread("Mulch depth", 1).await;

    let (first, second) = (free_port(), free_port());
    // With the proxy on this machine, loopback proves nothing: metrics need the token.
    let env = [
        ("RUST_LOG", "warn"),
        ("COMMONPLACE_TRUSTED_PROXY", "127.0.0.1"),
        ("COMMONPLACE_METRICS_TOKEN", "lb-metrics-token"),
    ];
    let mut a = Process(serve_with(&url, first, &env, Stdio::null()).await);
    let _b = Process(serve_with(&url, second, &env, Stdio::null()).await);
    let nginx = Nginx::start(&[first, second]).await;
    let browser = TestApp::at(nginx.address, db.clone());

    // Each scheduled job ran once at start, in one process or the other.
    let scrape = |address: SocketAddr| {
        let db = db.clone();
        async move {
            let bearer = [("authorization", "Bearer lb-metrics-token")];
            let response = TestApp::at(address, db).open("/metrics", &bearer).await;
            let status = response.status();
            let text = response.text().await.unwrap();
            assert_eq!(status, StatusCode::OK, "{text}");
            text
        }
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    for job in commonplace::server::JOBS.iter().map(|job| job.name) {
        let ran = [("job", job), ("outcome", "ok")];
        loop {
            let (in_a, in_b) = (scrape(first).await, scrape(second).await);
            let runs = metric_in(&in_a, "commonplace_jobs_runs_total", &ran).unwrap_or(0.0)
                + metric_in(&in_b, "commonplace_jobs_runs_total", &ran).unwrap_or(0.0);
            if runs >= 1.0 {
                assert_eq!(runs, 1.0, "{job} ran once across both processes");
                break;
            }
            assert!(Instant::now() < deadline, "{job} ran at start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // A session started by one process is honoured by the other, and so is a CSRF token from
    // a page the other rendered.
    let login = browser.login("ana", PASSWORD).await;
    assert!(login.done(), "{}", login.body);
    let (mut wrote_on, mut token_crossed) = (HashSet::new(), false);
    for n in 1..=4 {
        let form = browser.get(&format!("/t/{thread}")).await;
        let key = form.field("key").expect("a submission key");
        let body = format!("Reply number {n} through the balancer");
        let fields = [
            ("csrf", form.csrf()),
            ("key", key),
            ("body", body),
            ("action", "post".to_string()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = browser.post(&format!("/t/{thread}/reply"), &fields).await;
        assert!(reply.done(), "reply {n}: {} {}", reply.status, reply.body);
        token_crossed |= upstream(&form.headers) != upstream(&reply.headers);
        wrote_on.insert(upstream(&reply.headers));
        // One more request, so the next reply lands on the other process.
        assert_eq!(browser.signed_in_as().await.as_deref(), Some("ana"));
    }
    assert!(
        token_crossed,
        "a form from one process was posted to the other"
    );
    assert_eq!(
        wrote_on.len(),
        2,
        "both processes took writes: {wrote_on:?}"
    );
    let mut read_from = HashSet::new();
    for _ in 0..4 {
        let page = browser.get(&format!("/t/{thread}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.contains("Reply number 4 through the balancer"));
        assert!(page.contains("class=\"account-name\""), "still signed in");
        read_from.insert(upstream(&page.headers));
    }
    assert_eq!(
        read_from.len(),
        2,
        "both processes showed the member's replies"
    );

    // Password tries are counted in the database, not per process, and by the address nginx
    // saw, whatever the client claims in X-Forwarded-For.
    let guesser = TestApp::at(nginx.address, db.clone());
    let mut answers = Vec::new();
    for n in 0..12 {
        let spoofed = format!("203.0.113.{n}");
        let request = guesser.login_request(Some(&spoofed), "ana", "wrong").await;
        let page = guesser.send(request).await;
        answers.push((page.status, upstream(&page.headers)));
        // One more request, so the next try lands on the other process.
        guesser.get("/").await;
    }
    let refused_from = answers
        .iter()
        .position(|(status, _)| *status == StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused_from,
        Some(10),
        "the eleventh try is refused: {answers:?}"
    );
    assert!(answers[10..]
        .iter()
        .all(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS));
    let tried_on: HashSet<_> = answers[..10].iter().map(|(_, u)| u).collect();
    assert_eq!(tried_on.len(), 2, "tries went to both processes");

    // A live stream held by one process hears a reply posted through the other.
    let last = browser
        .count(&format!(
            "SELECT max(id) FROM posts WHERE thread_id = {thread}"
        ))
        .await;
    let response = browser
        .open(&format!("/live?thread={thread}&after={last}"), &[])
        .await;
    let stream_on = upstream(response.headers());
    let mut stream = LiveStream::from_response(response);
    let mut crossed = None;
    for n in 5..=8 {
        let reply = browser.reply(thread, &format!("Live reply {n}")).await;
        assert!(reply.done());
        if upstream(&reply.headers) != stream_on {
            crossed = reply.location.clone();
            break;
        }
        browser.get("/").await;
    }
    let crossed = crossed.expect("a reply went through the other process");
    let post_id = crossed.trim_start_matches("/p/").to_string();
    loop {
        let event = stream.next_of("reply").await;
        if event.id.as_deref() == Some(post_id.as_str()) {
            break;
        }
    }

    // Metrics are not served through the public site.
    assert_eq!(
        browser.open("/metrics", &[]).await.status(),
        StatusCode::NOT_FOUND
    );

    // One process stops; nginx skips it and members keep reading.
    drop(stream);
    a.stop();
    for _ in 0..6 {
        let page = browser.get(&format!("/t/{thread}")).await;
        assert_eq!(
            page.status,
            StatusCode::OK,
            "served while a process is down"
        );
        // nginx names each process it tried: the stopped one, at first, then the other.
        let tried = upstream(&page.headers);
        assert!(tried.ends_with(&second.to_string()), "{tried}");
    }
}
