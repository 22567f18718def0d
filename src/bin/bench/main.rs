//! `cargo run --release --bin bench -- --scale small|large`: the benchmark harness.
//!
//! One command does everything: it starts a private PostgreSQL cluster (durable, with
//! `pg_stat_statements`) in `target/bench/<scale>`, kept between runs with its data set; loads
//! the data set the first time (COPY; see `data`); serves the real application and the floor B
//! in this process on loopback; signs a member in; warms up; drives each scenario with `wrk`;
//! and prints a table, one JSON line per scenario (rps, p50, p99, ratio to B), and the
//! statements on request paths slower than 5 ms on average.

mod data;
mod floor;
mod load;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use commonplace::database::{self, Durability, EmbeddedPostgres};
use commonplace::{app, AppState, Config};
use sqlx::PgPool;

use data::Scale;

const PASSWORD: &str = "bench-password-1";

#[derive(Parser)]
#[command(about = "Measure Commonplace's pages against the floor B on this machine")]
struct Args {
    /// small (50 000 posts) or large (1 000 000 posts)
    #[arg(long, default_value = "small")]
    scale: String,
    /// Seconds of load per scenario (after a warm-up of a third as long).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Open connections.
    #[arg(long, default_value_t = 16)]
    connections: u32,
    /// Only scenarios whose name contains one of these comma-separated words, or the one
    /// scenario named exactly so (some names hold a comma: "post a reply, 100 threads").
    /// May be given more than once.
    #[arg(long)]
    only: Vec<String>,
}

/// Whether `--only` `choice` takes the scenario `name`: the one named exactly so, or else every
/// scenario whose name contains one of its comma-separated words.
fn chooses(choice: &str, name: &str, names: &[&str]) -> bool {
    if names.contains(&choice) {
        return name == choice;
    }
    choice
        .split(',')
        .map(str::trim)
        .any(|word| !word.is_empty() && name.contains(word))
}

/// Members who reply at once in the many-members posting scenario (each signs in once, within
/// the per-address login allowance).
const POSTING_MEMBERS: usize = 16;

/// Connections in the overload scenarios: more than the server's turns and queue together
/// (`web::admission`: 32 and 256).
const OVERLOAD_CONNECTIONS: u32 = 512;

struct Scenario {
    name: String,
    path: String,
    signed_in: bool,
    /// Served by the second instance, whose anonymous page cache is on.
    cached: bool,
    script: Option<String>,
    /// More connections than the server can serve at once: measured after the rest, for how
    /// it sheds load (each answer's status counted), not for its rate.
    overload: Option<u32>,
}

fn scenario(name: &str, path: String, signed_in: bool) -> Scenario {
    Scenario {
        name: name.into(),
        path,
        signed_in,
        cached: false,
        script: None,
        overload: None,
    }
}

fn cached(name: &str, path: String) -> Scenario {
    Scenario {
        cached: true,
        ..scenario(name, path, false)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    commonplace::allocator::give_memory_back();
    let scale = Scale::parse(&args.scale).context("--scale is small or large")?;
    load::ensure_wrk()?;
    let dir = PathBuf::from("target/bench").join(scale.name());
    std::fs::create_dir_all(&dir)?;
    let dir = dir.canonicalize()?;
    let cluster = EmbeddedPostgres::start(&dir.join("postgres"), Durability::Measured).await?;
    database::create_database_if_missing(&cluster, "commonplace").await?;
    let db = database::pool(cluster.connect_options("commonplace")).await?;
    database::migrate(&db).await?;
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .execute(&db)
        .await?;
    // The last run's login burst spent this address's login allowance; a new run starts afresh.
    sqlx::query("DELETE FROM rate_counters")
        .execute(&db)
        .await?;
    let config = Config::defaults();
    commonplace::server::seed_demo_if_empty(
        &db,
        &Config {
            demo_password: Some(PASSWORD.into()),
            ..config.clone()
        },
    )
    .await?;
    if !data::present(&db).await? {
        println!("loading the {} data set…", scale.name());
        let started = std::time::Instant::now();
        let hash = commonplace::auth::password::hash_blocking(PASSWORD)?;
        data::load(&db, scale, &hash).await?;
        println!("loaded in {:.0} s", started.elapsed().as_secs_f64());
    }
    // As a server does when it starts (`server::JOBS`).
    let indexed = commonplace::educate::search::recent_index::move_forward(&db).await?;
    println!("search index of recent posts: {indexed}");
    let read = data::add_member_history(&db).await?;
    if read > 0 {
        println!("{} has read {read} more threads", data::SIGNED_IN_MEMBER);
    }

    // Every page is measured as rendered (cache off); the `cached` scenarios go to a second
    // instance with the anonymous page cache on, as `serve` runs by default.
    let app_port = serve_app(
        db.clone(),
        Config {
            page_cache: false,
            ..config.clone()
        },
    )
    .await?;
    let cached_port = serve_app(db.clone(), config).await?;
    let floor_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let floor_port = floor_listener.local_addr()?.port();
    tokio::spawn(floor::serve(db.clone(), floor_listener));

    let cookie = sign_in(app_port, data::SIGNED_IN_MEMBER).await?;
    let scenarios = scenarios(&db, scale, app_port, &cookie).await?;
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let selected: Vec<&Scenario> = scenarios
        .iter()
        .filter(|s| args.only.is_empty() || args.only.iter().any(|o| chooses(o, &s.name, &names)))
        .collect();

    let work = dir.clone();
    let run = |path: &str,
               port: u16,
               cookie: Option<&str>,
               script: Option<&str>,
               seconds: u64,
               connections: u32| {
        let url = format!("http://127.0.0.1:{port}{path}");
        load::wrk(&url, seconds, connections, cookie, script, &work)
    };
    let warm = (args.seconds / 3).max(1);
    let connections = args.connections;
    run("/floor", floor_port, None, None, warm, connections)?;
    let floor_before = run("/floor", floor_port, None, None, args.seconds, connections)?;
    reset_statements(&db).await?;
    let mut results = Vec::new();
    let (overloads, normal): (Vec<&Scenario>, Vec<&Scenario>) =
        selected.into_iter().partition(|s| s.overload.is_some());
    for s in &normal {
        load::wait_until_idle(app_port).await?;
        let cookie = s.signed_in.then_some(cookie.as_str());
        let port = if s.cached { cached_port } else { app_port };
        if s.script.is_none() {
            run(&s.path, port, cookie, None, warm, connections)?;
        }
        let measured = run(
            &s.path,
            port,
            cookie,
            s.script.as_deref(),
            args.seconds,
            connections,
        )?;
        results.push((*s, measured));
    }
    // Read before the overload scenarios, whose every statement waits for the CPU.
    let statements = slow_statements(&db).await?;
    for s in &overloads {
        load::wait_until_idle(app_port).await?;
        let measured = run(
            &s.path,
            app_port,
            None,
            s.script.as_deref(),
            args.seconds,
            s.overload.unwrap_or(connections),
        )?;
        results.push((*s, measured));
    }
    load::wait_until_idle(app_port).await?;
    let floor_after = run("/floor", floor_port, None, None, args.seconds, connections)?;
    let floor = (floor_before.rps + floor_after.rps) / 2.0;

    println!(
        "\n{} scale · {} connections · {} s per scenario · B = {:.0} req/s (before {:.0}, after {:.0})\n",
        scale.name(),
        args.connections,
        args.seconds,
        floor,
        floor_before.rps,
        floor_after.rps
    );
    println!(
        "{:<34} {:>9} {:>7} {:>9} {:>9} {:>7}",
        "scenario", "req/s", "×B", "p50 ms", "p99 ms", "errors"
    );
    for (s, m) in &results {
        println!(
            "{:<34} {:>9.0} {:>7.3} {:>9.2} {:>9.2} {:>7}",
            s.name,
            m.rps,
            m.rps / floor,
            m.p50_ms,
            m.p99_ms,
            m.errors
        );
    }
    for (s, m) in results.iter().filter(|(s, _)| s.overload.is_some()) {
        println!("  {}: answers by status {}", s.name, m.statuses);
    }
    println!();
    for (s, m) in &results {
        println!(
            "{{\"scale\":\"{}\",\"scenario\":\"{}\",\"path\":\"{}\",\"rps\":{:.1},\"p50_ms\":{:.3},\"p99_ms\":{:.3},\"ratio_to_floor\":{:.4},\"floor_rps\":{:.1},\"errors\":{},\"statuses\":\"{}\"}}",
            scale.name(), s.name, s.path.replace('"', "\\\""), m.rps, m.p50_ms, m.p99_ms, m.rps / floor, floor, m.errors, m.statuses
        );
    }
    print!("{statements}");
    println!("\nmemory after the scenarios: {}", memory());
    let answers = login_burst(app_port, 150).await?;
    println!("memory after 150 logins at once ({answers}): {}", memory());
    db.close().await;
    cluster.stop();
    Ok(())
}

async fn serve_app(db: PgPool, config: Config) -> anyhow::Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let state = AppState::new(
        db,
        Config {
            base_url: format!("http://127.0.0.1:{port}"),
            ..config
        },
    );
    let service = app::router(state).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    Ok(port)
}

/// Resident and peak memory of this process: both application instances and the floor.
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].trim().to_string())
            .unwrap_or_else(|| "?".into())
    };
    format!("{} resident, {} at peak", field("VmRSS:"), field("VmHWM:"))
}

/// Many members logging in at the same moment (each login hashes with 19 MiB of argon2).
/// Every login is either checked, told to come back (503: the hashing turns are taken) or
/// refused by the per-address limit (429: they all come from 127.0.0.1); says how many of each.
async fn login_burst(port: u16, count: usize) -> anyhow::Result<String> {
    let logins: Vec<_> = (0..count)
        .map(|i| tokio::spawn(async move { login_status(port, &format!("member{i}")).await }))
        .collect();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for login in logins {
        *statuses.entry(login.await??).or_default() += 1;
    }
    let tally: Vec<String> = statuses.iter().map(|(s, n)| format!("{n} × {s}")).collect();
    Ok(tally.join(", "))
}

async fn login_status(port: u16, username: &str) -> anyhow::Result<u16> {
    let (status, _) = submit_login(port, username).await?;
    anyhow::ensure!(
        matches!(status, 303 | 429 | 503),
        "logging {username} in answered {status}"
    );
    Ok(status)
}

/// Logs a member in through the real form; returns the session cookie.
async fn sign_in(port: u16, username: &str) -> anyhow::Result<String> {
    let (status, cookies) = submit_login(port, username).await?;
    anyhow::ensure!(status == 303, "logging {username} in answered {status}");
    cookies
        .first()
        .cloned()
        .context("a new session cookie after login")
}

/// Opens the login form and sends it back filled in: the answer's status and cookies.
async fn submit_login(port: u16, username: &str) -> anyhow::Result<(u16, Vec<String>)> {
    let (status, cookies, page) = load::request(port, "GET", "/login", None, None).await?;
    if status != 200 {
        // Busy: the form itself was not served.
        return Ok((status, cookies));
    }
    let cookie = cookies
        .first()
        .cloned()
        .context("a session cookie on /login")?;
    let token = load::csrf_of(&page).context("a CSRF token on /login")?;
    let form = format!("csrf={token}&login={username}&password={PASSWORD}");
    let (status, cookies, _) =
        load::request(port, "POST", "/login", Some(&cookie), Some(&form)).await?;
    Ok((status, cookies))
}

async fn scenarios(
    db: &PgPool,
    scale: Scale,
    port: u16,
    cookie: &str,
) -> anyhow::Result<Vec<Scenario>> {
    let big = data::BIG_DOMAIN;
    // A thread of about 50 replies, a deep page of the big domain's list (page 1 000, or its
    // last page at the small scale), and below, the longest thread's last page.
    let thread: i64 = sqlx::query_scalar(
        "SELECT id FROM threads WHERE reply_count BETWEEN 45 AND 55 ORDER BY id LIMIT 1",
    )
    .fetch_one(db)
    .await?;
    let threads_in_big: i64 =
        sqlx::query_scalar("SELECT thread_count::bigint FROM domains WHERE slug = $1")
            .bind(big)
            .fetch_one(db)
            .await?;
    let deep_page = (threads_in_big / 30).clamp(1, 1000);
    let cursor: (time::OffsetDateTime, i64) = sqlx::query_as(
        "SELECT t.last_posted_at, t.id FROM threads t JOIN domains d ON d.id = t.domain_id
          WHERE d.slug = $1 AND NOT t.pinned
          ORDER BY t.last_posted_at DESC, t.id DESC OFFSET $2 LIMIT 1",
    )
    .bind(big)
    .bind((deep_page - 1) * 30 - 1)
    .fetch_one(db)
    .await?;
    let before = format!("{}_{}", cursor.0.unix_timestamp_nanos() / 1000, cursor.1);
    // The big domain's hundred newest open threads: replies to the newest, and replies spread
    // over all of them, which do not queue on one row.
    let reply_threads: Vec<i64> = sqlx::query_scalar(
        "SELECT t.id FROM threads t JOIN domains d ON d.id = t.domain_id
          WHERE d.slug = $1 AND NOT t.locked AND NOT t.hidden ORDER BY t.id DESC LIMIT 100",
    )
    .bind(big)
    .fetch_all(db)
    .await?;
    let reply_thread = *reply_threads
        .first()
        .context("an open thread in the big domain")?;
    // The longest thread, and where its middle and last pages start. Not one the posting
    // scenarios write to: each run adds thousands of replies to the newest thread, which after
    // a few runs was longer than the data set's longest and was measured instead of it, a
    // little longer every run.
    let giant: (i64, i64, i64) = sqlx::query_as(
        "SELECT t.id, middle.id, last.id
           FROM threads t
           JOIN posts middle ON middle.thread_id = t.id
                            AND middle.number = (t.reply_count + 1) / 100 * 50 + 1
           JOIN posts last ON last.thread_id = t.id
                          AND last.number = t.reply_count - t.reply_count % 50 + 1
          WHERE t.id <> ALL ($1) ORDER BY t.reply_count DESC LIMIT 1",
    )
    .bind(&reply_threads)
    .fetch_one(db)
    .await?;
    let (_, _, home) = load::request(port, "GET", "/", Some(cookie), None).await?;
    let token = load::csrf_of(&home).context("a CSRF token on the signed-in home page")?;
    let (c, r, p) = (
        data::COMMON_WORD,
        data::RARE_WORD,
        data::PHRASE.replace(' ', "+"),
    );
    let mut list = vec![
        scenario("thread, anonymous", format!("/t/{thread}"), false),
        cached("thread, anonymous, cached", format!("/t/{thread}")),
        scenario("thread, signed in", format!("/t/{thread}"), true),
        scenario(
            "thread 5000 replies, first page",
            format!("/t/{}", giant.0),
            false,
        ),
        scenario(
            "thread 5000 replies, middle page",
            format!("/t/{}?from={}", giant.0, giant.1),
            false,
        ),
        scenario(
            "thread 5000 replies, last page",
            format!("/t/{}?from={}", giant.0, giant.2),
            false,
        ),
        scenario("domain page, anonymous", format!("/d/{big}"), false),
        cached("domain page, anonymous, cached", format!("/d/{big}")),
        scenario("domain page, signed in", format!("/d/{big}"), true),
        scenario(
            &format!("domain page {deep_page}"),
            format!("/d/{big}?before={before}"),
            false,
        ),
        scenario("home, anonymous", "/".into(), false),
        cached("home, anonymous, cached", "/".into()),
        scenario("home, signed in", "/".into(), true),
        scenario(
            "profile of an active member",
            format!("/u/{}", data::SIGNED_IN_MEMBER),
            false,
        ),
        scenario("repertoire list", format!("/d/{big}/repertoire"), false),
        scenario(
            "members by expertise",
            format!("/members?expertise={c}"),
            false,
        ),
        scenario("search rare word", format!("/search?q={r}"), false),
        scenario("search common word", format!("/search?q={c}"), false),
        scenario(
            "search common word, one domain",
            format!("/search?q={c}&domain={big}"),
            false,
        ),
        scenario("search two words", format!("/search?q=bean+{c}"), false),
        scenario("search phrase", format!("/search?q=%22{p}%22"), false),
        scenario("feed", format!("/d/{big}/feed.atom"), false),
    ];
    let mixed: Vec<String> = list
        .iter()
        .filter(|s| !s.signed_in && !s.cached && !s.name.starts_with("search common"))
        .map(|s| s.path.clone())
        .collect();
    list.push(Scenario {
        script: Some(load::mixed_script(&mixed)),
        ..scenario("mixed browse", "/".into(), false)
    });
    // Replies written like the data set's posts: search looks at the newest posts first, and
    // one repeated sentence would fill that window after a few runs.
    let bodies: Vec<String> = data::reply_texts(64)
        .into_iter()
        .map(|text| serde_urlencoded::to_string([("body", text)]))
        .collect::<Result<_, _>>()?;
    let member0 = [(cookie.to_string(), token.clone())];
    let one_thread = [format!("/t/{reply_thread}/reply")];
    list.push(Scenario {
        script: Some(load::post_replies_script(&one_thread, &member0, &bodies)),
        ..scenario("post a reply", one_thread[0].clone(), true)
    });
    let paths: Vec<String> = reply_threads
        .iter()
        .map(|t| format!("/t/{t}/reply"))
        .collect();
    list.push(Scenario {
        script: Some(load::post_replies_script(&paths, &member0, &bodies)),
        ..scenario("post a reply, 100 threads", one_thread[0].clone(), true)
    });
    let mut members = Vec::new();
    for i in 1..=POSTING_MEMBERS {
        let cookie = sign_in(port, &format!("member{i}")).await?;
        let (_, _, home) = load::request(port, "GET", "/", Some(&cookie), None).await?;
        let token = load::csrf_of(&home).context("a CSRF token on a member's home page")?;
        members.push((cookie, token));
    }
    list.push(Scenario {
        script: Some(load::post_replies_script(&paths, &members, &bodies)),
        ..scenario(
            &format!("post a reply, {POSTING_MEMBERS} members"),
            one_thread[0].clone(),
            true,
        )
    });
    // Far more members at once than the server can serve (it is CPU-bound at 16): the ones
    // beyond its queue must get the busy page at once, never an error or a timeout.
    list.push(Scenario {
        script: Some(load::mixed_script(&mixed) + load::BUSY_AWARE_CLIENTS),
        overload: Some(OVERLOAD_CONNECTIONS),
        ..scenario(
            &format!("overload: mixed, {OVERLOAD_CONNECTIONS} connections"),
            "/".into(),
            false,
        )
    });
    // Every connection searching for a word in a third of all posts.
    list.push(Scenario {
        script: Some(load::BUSY_AWARE_CLIENTS.into()),
        overload: Some(64),
        ..scenario(
            "overload: search, 64 connections",
            format!("/search?q={}", data::COMMON_WORD),
            false,
        )
    });
    let _ = scale;
    Ok(list)
}

async fn reset_statements(db: &PgPool) -> anyhow::Result<()> {
    sqlx::query("SELECT pg_stat_statements_reset()")
        .execute(db)
        .await?;
    Ok(())
}

/// Statements the pages ran that took more than 5 ms on average, as lines to print.
async fn slow_statements(db: &PgPool) -> anyhow::Result<String> {
    let slow: Vec<(f64, i64, String)> = sqlx::query_as(
        "SELECT mean_exec_time, calls, left(regexp_replace(query, '\\s+', ' ', 'g'), 140)
           FROM pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND mean_exec_time > 5 AND calls > 10
          ORDER BY mean_exec_time DESC LIMIT 15",
    )
    .fetch_all(db)
    .await?;
    let mut lines = format!("\nstatements above 5 ms on average: {}\n", slow.len());
    for (mean, calls, query) in slow {
        lines += &format!("  {mean:>8.1} ms × {calls:>6}  {query}\n");
    }
    Ok(lines + &replanned_statements(db).await?)
}

/// Statements PostgreSQL planned again on most calls (a custom plan each time, usually because
/// a parameter decides the statement's shape), with what the planning cost them.
async fn replanned_statements(db: &PgPool) -> anyhow::Result<String> {
    let replanned: Vec<(f64, f64, i64, String)> = sqlx::query_as(
        "SELECT mean_plan_time, mean_exec_time, calls,
                left(regexp_replace(query, '\\s+', ' ', 'g'), 140)
           FROM pg_stat_statements
          WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND calls > 100 AND plans > calls / 2 AND mean_plan_time > 0.2
          ORDER BY mean_plan_time * calls DESC LIMIT 15",
    )
    .fetch_all(db)
    .await?;
    let mut lines = format!(
        "statements planned again on most calls: {}\n",
        replanned.len()
    );
    for (plan, exec, calls, query) in replanned {
        lines += &format!("  plan {plan:>6.2} ms, run {exec:>6.2} ms × {calls:>6}  {query}\n");
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::chooses;

    #[test]
    fn only_takes_a_name_with_a_comma_whole_and_words_otherwise() {
        let names = [
            "post a reply",
            "post a reply, 100 threads",
            "thread, anonymous",
        ];
        let taken = |choice: &str| -> Vec<&str> {
            names
                .iter()
                .copied()
                .filter(|name| chooses(choice, name, &names))
                .collect()
        };
        assert_eq!(
            taken("post a reply, 100 threads"),
            ["post a reply, 100 threads"]
        );
        assert_eq!(
            taken("reply"),
            ["post a reply", "post a reply, 100 threads"]
        );
        assert_eq!(
            taken("100 threads, anonymous"),
            ["post a reply, 100 threads", "thread, anonymous"]
        );
        assert!(taken("search").is_empty());
    }
}
