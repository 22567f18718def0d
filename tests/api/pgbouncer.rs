//! A server whose `DATABASE_URL` points at Debian's PgBouncer rather than PostgreSQL.
//!
//! sqlx prepares every statement under a name and binds it in a second exchange, so PgBouncer
//! must give a client the same server connection for both: session pooling does, and so does
//! transaction pooling from PgBouncer 1.21 on (`max_prepared_statements`). Debian 12 ships
//! 1.18, whose transaction pooling breaks at the first query ("prepared statement sqlx_s_1
//! already exists"), so this test runs session pooling (see docs/operations.md).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sqlx::postgres::PgConnectOptions;

use crate::command_line::serve_with;
use crate::helpers::{
    all_at_once, free_port, gardens_with_a_thread, installed, Started, TestApp, PASSWORD,
};
use crate::live::LiveStream;
use crate::load_balancer::Process;

const PGBOUNCER: &str = "/usr/sbin/pgbouncer";

struct PgBouncer(Started);

impl PgBouncer {
    fn available() -> bool {
        installed(PGBOUNCER, "the PgBouncer test", "pgbouncer")
    }

    /// PgBouncer in front of the database `url` names, in session pooling mode.
    async fn start(url: &str) -> (PgBouncer, String) {
        let target: PgConnectOptions = url.parse().unwrap();
        let database = target.get_database().unwrap().to_string();
        let user = target.get_username().to_string();
        let server = match target.get_socket() {
            Some(socket) => format!("host={}", socket.display()),
            None => format!("host={} port={}", target.get_host(), target.get_port()),
        };
        let address = free_port();
        let dir = std::env::temp_dir().join(format!("commonplace-pgbouncer-{}", address.port()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.display();
        let ini = format!(
            "[databases]
{database} = {server} dbname={database} user={user}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = session
max_client_conn = 100
default_pool_size = 30
ignore_startup_parameters = extra_float_digits
logfile = {d}/pgbouncer.log
",
            port = address.port()
        );
        std::fs::write(dir.join("pgbouncer.ini"), ini).unwrap();
        let mut command = Command::new(PGBOUNCER);
        // PgBouncer will not run as root; it runs as whoever owns the database's socket.
        if nix::unistd::geteuid().is_root() {
            let owner = target
                .get_socket()
                .and_then(|socket| std::fs::metadata(socket).ok())
                .map_or(0, |meta| std::os::unix::fs::MetadataExt::uid(&meta));
            let owner = nix::unistd::User::from_uid(owner.into())
                .ok()
                .flatten()
                .filter(|user| !user.uid.is_root())
                .or_else(|| nix::unistd::User::from_name("nobody").ok().flatten())
                .expect("a user to run PgBouncer as");
            nix::unistd::chown(&dir, Some(owner.uid), Some(owner.gid)).unwrap();
            command.args(["-u", &owner.name]);
        }
        let process = command
            .arg(dir.join("pgbouncer.ini"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pgbouncer starts");
        let bouncer = PgBouncer(Started { process, dir });
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(address).await.is_err() {
            let log =
                std::fs::read_to_string(bouncer.0.dir.join("pgbouncer.log")).unwrap_or_default();
            assert!(Instant::now() < deadline, "pgbouncer listens:\n{log}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let through = format!("postgres://{user}@{address}/{database}");
        (bouncer, through)
    }
}

#[tokio::test]
async fn a_server_runs_its_journeys_through_pgbouncer() {
    if !PgBouncer::available() {
        return;
    }
    let (db, url, thread) = gardens_with_a_thread("Mulch depth", 3).await;
    let (_bouncer, through) = PgBouncer::start(&url).await;

    // The search pool's statement timeout survives the pooler.
    let pool = commonplace::database::pool(through.parse().unwrap())
        .await
        .unwrap();
    let state = commonplace::AppState::new(pool, commonplace::Config::defaults());
    let timeout: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(&state.search_db)
        .await
        .expect("the search pool connects through PgBouncer");
    assert_eq!(timeout, "2s");

    let address = free_port();
    let mut server =
        Process(serve_with(&through, address, &[("RUST_LOG", "warn")], Stdio::null()).await);
    let ready = TestApp::at(address, db.clone()).open("/readyz", &[]).await;
    assert_eq!(ready.status(), StatusCode::OK);

    // Sign in, post, read back, search, and hear a reply live: all through PgBouncer.
    let browser = TestApp::at(address, db.clone());
    assert!(browser.login("ana", PASSWORD).await.done());
    let last = browser
        .count(&format!(
            "SELECT max(id) FROM posts WHERE thread_id = {thread}"
        ))
        .await;
    let mut stream = LiveStream::open(
        &browser,
        &format!("/live?thread={thread}&after={last}"),
        None,
    )
    .await;
    let reply = browser
        .reply(thread, "Wood chips, five centimetres deep")
        .await;
    assert!(reply.done(), "{} {}", reply.status, reply.body);
    let event = stream.next_of("reply").await;
    assert_eq!(
        reply.location.as_deref(),
        Some(format!("/p/{}", event.id.unwrap()).as_str())
    );
    assert!(browser
        .get(&format!("/t/{thread}"))
        .await
        .contains("five centimetres deep"));
    assert!(browser
        .get("/search?q=centimetres")
        .await
        .contains("Mulch depth"));

    // Many requests at once, each preparing its statements on a pooled connection.
    let readers: Vec<_> = (0..8)
        .map(|_| {
            let reader = browser.other_browser();
            async move {
                let mut statuses = Vec::new();
                for path in ["/", "/d/gardens", "/d", "/members", "/d/gardens/repertoire"] {
                    statuses.push(reader.get(path).await.status);
                    statuses.push(reader.get(&format!("/t/{thread}")).await.status);
                }
                statuses
            }
        })
        .collect();
    for statuses in all_at_once(readers).await {
        assert!(
            statuses.iter().all(|s| *s == StatusCode::OK),
            "{statuses:?}"
        );
    }

    server.stop();
}
