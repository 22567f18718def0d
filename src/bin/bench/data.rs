//! The benchmark's data sets, bulk-loaded with COPY and kept between runs.
//!
//! Shapes follow a real community with a few years of history: thread lengths and authorship
//! are long-tailed (a few threads run to thousands of replies, a few members write thousands of
//! posts), Markdown bodies vary from a line to a page, and one domain holds a large share of the
//! threads so that page 1 000 of its list exists. Counter triggers are switched off during the
//! load (`session_replication_role = replica`) and every counter is then computed in bulk, so
//! the result is what the triggers would have produced, in minutes instead of hours.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::Context;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{Connection, PgConnection, PgPool};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Small,
    Large,
}

pub struct Shape {
    pub domains: usize,
    pub members: usize,
    pub threads: usize,
    pub posts: usize,
    pub entries: usize,
    pub reports: usize,
    /// Threads of exactly this many replies, for the "last page of a long thread" scenario.
    pub giant_threads: usize,
    pub giant_replies: usize,
}

impl Scale {
    pub fn parse(raw: &str) -> Option<Scale> {
        match raw {
            "small" => Some(Scale::Small),
            "large" => Some(Scale::Large),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scale::Small => "small",
            Scale::Large => "large",
        }
    }

    pub fn shape(self) -> Shape {
        match self {
            Scale::Small => Shape {
                domains: 5,
                members: 500,
                threads: 5_000,
                posts: 50_000,
                entries: 500,
                reports: 2_500,
                giant_threads: 1,
                giant_replies: 5_000,
            },
            Scale::Large => Shape {
                domains: 20,
                members: 20_000,
                threads: 100_000,
                posts: 1_000_000,
                entries: 10_000,
                reports: 50_000,
                giant_threads: 3,
                giant_replies: 5_000,
            },
        }
    }
}

/// The first domain holds this share of threads, so its list runs past page 1 000 at the
/// large scale.
const BIG_DOMAIN_SHARE: f64 = 0.4;
pub const BIG_DOMAIN: &str = "bench-0";
/// A word in about a third of all posts, one in a ten-thousandth, and a phrase in one in fifty.
pub const COMMON_WORD: &str = "compost";
pub const RARE_WORD: &str = "zymurgy";
pub const PHRASE: &str = "drip irrigation";

const WORDS: &[&str] = &[
    "soil",
    "seed",
    "bed",
    "water",
    "plant",
    "leaf",
    "root",
    "mulch",
    "weed",
    "row",
    "crop",
    "harvest",
    "season",
    "frost",
    "spring",
    "summer",
    "autumn",
    "winter",
    "bean",
    "pea",
    "kale",
    "onion",
    "garlic",
    "tomato",
    "squash",
    "carrot",
    "beet",
    "radish",
    "lettuce",
    "spinach",
    "chard",
    "compact",
    "loam",
    "clay",
    "sand",
    "pest",
    "slug",
    "aphid",
    "bee",
    "flower",
    "tunnel",
    "cover",
    "green",
    "manure",
    "worm",
    "tilth",
    "broadfork",
    "hoe",
    "rake",
    "tray",
    "module",
    "transplant",
    "direct",
    "sow",
    "spacing",
    "yield",
    "market",
    "customer",
    "price",
    "box",
    "scheme",
    "member",
    "volunteer",
    "plot",
    "allotment",
    "farm",
    "field",
    "hedge",
    "shade",
    "sun",
    "wind",
    "rain",
    "drought",
    "flood",
    "pond",
    "path",
    "fence",
    "tool",
    "cart",
    "we",
    "tried",
    "found",
    "that",
    "it",
    "worked",
    "better",
    "when",
    "the",
    "a",
    "and",
    "of",
    "to",
    "in",
    "for",
    "with",
    "after",
    "before",
    "every",
    "week",
    "day",
    "year",
    "again",
    "first",
    "then",
    "next",
    "time",
    "our",
    "my",
    "your",
    "this",
    "what",
    "how",
    "why",
    "which",
];

/// Text of `words` words with the benchmark's marker words sprinkled in at their rates.
fn prose(rng: &mut StdRng, words: usize) -> String {
    let mut text = String::with_capacity(words * 7);
    for i in 0..words {
        if i > 0 {
            text.push(if i % 40 == 0 { '\n' } else { ' ' });
            if i % 40 == 0 {
                text.push('\n');
            }
        }
        text.push_str(WORDS[rng.gen_range(0..WORDS.len())]);
    }
    if rng.gen_bool(0.34) {
        text.push_str(" and ");
        text.push_str(COMMON_WORD);
    }
    if rng.gen_bool(0.02) {
        text.push_str(" with ");
        text.push_str(PHRASE);
    }
    if rng.gen_bool(0.0001) {
        text.push(' ');
        text.push_str(RARE_WORD);
    }
    text
}

/// Texts for the posting scenarios' replies, written as the data set's posts are (its marker
/// words at their rates), up to 300 words each.
pub fn reply_texts(count: usize) -> Vec<String> {
    let mut rng = StdRng::seed_from_u64(11);
    (0..count)
        .map(|_| {
            let words = post_words(&mut rng).min(300);
            prose(&mut rng, words)
        })
        .collect()
}

/// A post's length in words: most a few lines, some a page (mean about 60).
fn post_words(rng: &mut StdRng) -> usize {
    let r: f64 = rng.gen_range(0.001..1.0);
    (8.0 + 20.0 * r.powf(-0.6)).min(1500.0) as usize
}

fn html_of(markdown: &str) -> String {
    markdown
        .split("\n\n")
        .map(|p| format!("<p>{p}</p>"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A time as COPY reads it.
fn timestamp(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Escapes a value for COPY's text format.
fn copy_text(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// Streams rows to `COPY table (columns) FROM STDIN`, a few megabytes at a time.
struct Copy<'c> {
    conn: &'c mut PgConnection,
    statement: String,
    buffer: String,
    rows: usize,
}

impl<'c> Copy<'c> {
    fn new(conn: &'c mut PgConnection, table: &str, columns: &str) -> Self {
        Copy {
            conn,
            statement: format!("COPY {table} ({columns}) FROM STDIN"),
            buffer: String::with_capacity(1 << 23),
            rows: 0,
        }
    }

    /// Adds one row; fields are already escaped and tab-separated by the caller's closure.
    async fn row(&mut self, write: impl FnOnce(&mut String)) -> anyhow::Result<()> {
        write(&mut self.buffer);
        self.buffer.push('\n');
        self.rows += 1;
        if self.buffer.len() > 1 << 23 {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> anyhow::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let mut copy = self.conn.copy_in_raw(&self.statement).await?;
        copy.send(self.buffer.as_bytes()).await?;
        copy.finish().await?;
        self.buffer.clear();
        Ok(())
    }
}

/// The id the next row of `table` will get.
async fn next_id(conn: &mut PgConnection, table: &str) -> anyhow::Result<i64> {
    let (last, called): (i64, bool) = sqlx::query_as(&format!(
        "SELECT last_value, is_called FROM {}",
        sqlx::query_scalar::<_, String>("SELECT pg_get_serial_sequence($1, 'id')")
            .bind(table)
            .fetch_one(&mut *conn)
            .await?
    ))
    .fetch_one(&mut *conn)
    .await?;
    Ok(if called { last + 1 } else { last })
}

/// Whether this database already holds the data set.
pub async fn present(db: &PgPool) -> anyhow::Result<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE tablename = 'bench_meta')
            AND EXISTS (SELECT 1 FROM domains WHERE slug = $1)",
    )
    .bind(BIG_DOMAIN)
    .fetch_one(db)
    .await?)
}

/// Loads the whole data set; prints how long each part took.
pub async fn load(db: &PgPool, scale: Scale, password_hash: &str) -> anyhow::Result<()> {
    let shape = scale.shape();
    let started = Instant::now();
    let mut conn = db.acquire().await?.detach();
    let mut rng = StdRng::seed_from_u64(2026);
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut conn)
        .await
        .context("the benchmark loads as the cluster's superuser")?;
    // GIN indexes are built once after the load rather than row by row.
    sqlx::query("DROP INDEX posts_search_idx, threads_search_idx, repertoire_search_idx")
        .execute(&mut conn)
        .await?;
    let years = 3.0 * 365.0 * 86_400.0;
    let now = time::OffsetDateTime::now_utc();
    let at = |fraction: f64| timestamp(now - time::Duration::seconds_f64(years * (1.0 - fraction)));

    let first_user = next_id(&mut conn, "users").await?;
    let mut copy = Copy::new(
        &mut conn,
        "users",
        "username, display_name, email, password_hash, expertise, created_at",
    );
    for i in 0..shape.members {
        let expertise = format!(
            "{{{},{}}}",
            WORDS[i % WORDS.len()],
            if i % 7 == 0 { COMMON_WORD } else { "soil" }
        );
        let created = at(rng.gen_range(0.0..0.3));
        copy.row(|out| {
            let _ = write!(
                out,
                "member{i}\tMember {i}\tmember{i}@bench.example\t{password_hash}\t{expertise}\t{created}"
            );
        })
        .await?;
    }
    copy.flush().await?;
    let user = |rng: &mut StdRng| -> i64 {
        // Zipf-like: a few members write most.
        let r: f64 = rng.gen_range(0.0..1.0);
        first_user + ((shape.members as f64) * r.powi(3)) as i64
    };

    let first_domain = next_id(&mut conn, "domains").await?;
    let mut copy = Copy::new(
        &mut conn,
        "domains",
        "slug, name, charter_md, charter_html, visibility",
    );
    for d in 0..shape.domains {
        let visibility = if d % 10 == 9 { "private" } else { "public" };
        copy.row(|out| {
            let _ = write!(
                out,
                "bench-{d}\tBench domain {d}\tA community of practice about growing things, number {d}.\t<p>A community of practice about growing things, number {d}.</p>\t{visibility}"
            );
        })
        .await?;
    }
    copy.flush().await?;
    let domain_of_thread = |rng: &mut StdRng| -> i64 {
        if rng.gen_bool(BIG_DOMAIN_SHARE) {
            first_domain
        } else {
            first_domain + rng.gen_range(0..shape.domains) as i64
        }
    };
    // Memberships: every member in the big domain and in two or three others.
    let mut copy = Copy::new(
        &mut conn,
        "memberships",
        "domain_id, user_id, role, joined_at",
    );
    for i in 0..shape.members as i64 {
        let mut domains = vec![0i64];
        for k in 1..=(2 + i % 2) {
            let d = (i * 7 + k * 3) % shape.domains as i64;
            if !domains.contains(&d) {
                domains.push(d);
            }
        }
        for d in domains {
            let role = if i < shape.domains as i64 && d == i {
                "facilitator"
            } else {
                "member"
            };
            copy.row(|out| {
                let _ = write!(
                    out,
                    "{}\t{}\t{role}\t{}",
                    first_domain + d,
                    first_user + i,
                    at(0.0)
                );
            })
            .await?;
        }
    }
    copy.flush().await?;
    println!(
        "  users, domains, memberships: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Thread lengths: long-tailed, plus a few giants, summing to the shape's post count.
    let mut lengths: Vec<usize> = (0..shape.threads)
        .map(|_| {
            let r: f64 = rng.gen_range(0.0005..1.0);
            (r.powf(-0.85) as usize).clamp(1, 2000)
        })
        .collect();
    for giant in lengths.iter_mut().take(shape.giant_threads) {
        *giant = shape.giant_replies + 1;
    }
    let mut total: usize = lengths.iter().sum();
    while total != shape.posts {
        let i = rng.gen_range(shape.giant_threads..shape.threads);
        if total < shape.posts {
            lengths[i] += 1;
            total += 1;
        } else if lengths[i] > 1 {
            lengths[i] -= 1;
            total -= 1;
        }
    }

    let first_thread = next_id(&mut conn, "threads").await?;
    let mut thread_domain = Vec::with_capacity(shape.threads);
    let mut thread_start = Vec::with_capacity(shape.threads);
    let mut copy = Copy::new(
        &mut conn,
        "threads",
        "domain_id, author_id, title, kind, created_at, last_posted_at",
    );
    for t in 0..shape.threads {
        let domain = if t < shape.giant_threads {
            first_domain
        } else {
            domain_of_thread(&mut rng)
        };
        let author = user(&mut rng);
        let title_words = rng.gen_range(3..10);
        let title = prose(&mut rng, title_words).replace('\n', " ");
        let title: String = title.chars().take(190).collect();
        let kind = if t % 3 == 0 { "question" } else { "discussion" };
        let started_at = now
            - time::Duration::seconds_f64(years * (1.0 - t as f64 / shape.threads as f64 * 0.98));
        let created = timestamp(started_at);
        thread_domain.push(domain);
        thread_start.push(started_at);
        copy.row(|out| {
            let _ = write!(out, "{domain}\t{author}\t");
            copy_text(out, &title);
            let _ = write!(out, "\t{kind}\t{created}\t{created}");
        })
        .await?;
    }
    copy.flush().await?;

    let first_post = next_id(&mut conn, "posts").await?;
    let mut post_thread = Vec::with_capacity(shape.posts);
    let mut copy = Copy::new(
        &mut conn,
        "posts",
        "thread_id, number, domain_id, author_id, body_md, body_html, created_at",
    );
    for (t, &length) in lengths.iter().enumerate() {
        let thread = first_thread + t as i64;
        let domain = thread_domain[t];
        let start = thread_start[t];
        for k in 0..length {
            let author = user(&mut rng);
            let words = post_words(&mut rng);
            let body = prose(&mut rng, words);
            let created = timestamp(start + time::Duration::minutes(k as i64 * 7 + 1));
            post_thread.push(thread);
            copy.row(|out| {
                let _ = write!(out, "{thread}\t{}\t{domain}\t{author}\t", k + 1);
                copy_text(out, &body);
                out.push('\t');
                copy_text(out, &html_of(&body));
                let _ = write!(out, "\t{created}");
            })
            .await?;
        }
    }
    copy.flush().await?;
    println!(
        "  threads and posts: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // Repertoire entries, some promoted from posts; practice reports on them.
    let first_entry = next_id(&mut conn, "repertoire_entries").await?;
    let kinds = ["story", "tool", "case", "lesson", "how-to"];
    let mut copy = Copy::new(
        &mut conn,
        "repertoire_entries",
        "domain_id, kind, title, summary, body_md, body_html, tags, curated_by, steward_id, \
         review_by, source_post_id, source_thread_id",
    );
    // Triggers are off while loading: what `repertoire_upkeep_defaults` would set, set here.
    let review_by = time::OffsetDateTime::now_utc().date() + time::Duration::days(365);
    for e in 0..shape.entries {
        let post = rng.gen_range(0..shape.posts);
        let thread = post_thread[post];
        let domain = thread_domain[(thread - first_thread) as usize];
        let kind = kinds[e % kinds.len()];
        let title: String = prose(&mut rng, 5).replace('\n', " ");
        let body = prose(&mut rng, 80);
        let tags = format!("{{{},{}}}", WORDS[e % 40], COMMON_WORD);
        let curator = user(&mut rng);
        let source = if e % 2 == 0 {
            format!("{}\t{thread}", first_post + post as i64)
        } else {
            "\\N\t\\N".into()
        };
        copy.row(|out| {
            let _ = write!(out, "{domain}\t{kind}\t");
            copy_text(out, &title);
            out.push_str("\tA short summary\t");
            copy_text(out, &body);
            out.push('\t');
            copy_text(out, &html_of(&body));
            let _ = write!(out, "\t{tags}\t{curator}\t{curator}\t{review_by}\t{source}");
        })
        .await?;
    }
    copy.flush().await?;
    let outcomes = ["worked", "worked", "partly", "did_not"];
    let mut copy = Copy::new(
        &mut conn,
        "practice_reports",
        "entry_id, thread_id, author_id, context, tried, outcome, reflection",
    );
    for r in 0..shape.reports {
        let (entry, thread) = if r % 3 == 0 {
            let t = rng.gen_range(0..shape.threads);
            ("\\N".to_string(), (first_thread + t as i64).to_string())
        } else {
            let e = first_entry + rng.gen_range(0..shape.entries) as i64;
            (e.to_string(), "\\N".to_string())
        };
        let author = user(&mut rng);
        let outcome = outcomes[r % outcomes.len()];
        copy.row(|out| {
            let _ = write!(
                out,
                "{entry}\t{thread}\t{author}\tOur allotment\tWhat the entry says\t{outcome}\tWet it first"
            );
        })
        .await?;
    }
    copy.flush().await?;

    // Reactions (about one for every two posts), follows, bookmarks and notifications.
    let reaction_kinds = ["helpful", "thanks", "insightful"];
    let mut copy = Copy::new(&mut conn, "reactions", "post_id, user_id, kind");
    let mut seen = std::collections::HashSet::new();
    for _ in 0..shape.posts / 2 {
        let post = first_post + rng.gen_range(0..shape.posts) as i64;
        let who = user(&mut rng);
        let kind = rng.gen_range(0..3);
        if seen.insert((post, who, kind)) {
            copy.row(|out| {
                let _ = write!(out, "{post}\t{who}\t{}", reaction_kinds[kind]);
            })
            .await?;
        }
    }
    copy.flush().await?;
    drop(seen);
    let mut pairs = std::collections::HashSet::new();
    let mut copy = Copy::new(&mut conn, "thread_watches", "user_id, thread_id, level");
    for _ in 0..shape.threads / 2 {
        let pair = (
            user(&mut rng),
            first_thread + rng.gen_range(0..shape.threads) as i64,
        );
        if pairs.insert(pair) {
            copy.row(|out| {
                let _ = write!(out, "{}\t{}\twatching", pair.0, pair.1);
            })
            .await?;
        }
    }
    copy.flush().await?;
    pairs.clear();
    let mut copy = Copy::new(&mut conn, "bookmarks", "user_id, post_id");
    for _ in 0..shape.posts / 20 {
        let pair = (
            user(&mut rng),
            first_post + rng.gen_range(0..shape.posts) as i64,
        );
        if pairs.insert(pair) {
            copy.row(|out| {
                let _ = write!(out, "{}\t{}", pair.0, pair.1);
            })
            .await?;
        }
    }
    copy.flush().await?;
    let mut copy = Copy::new(
        &mut conn,
        "notifications",
        "user_id, kind, actor_id, thread_id, post_id, read_at",
    );
    for n in 0..shape.posts / 5 {
        let post = rng.gen_range(0..shape.posts);
        let read = if n % 4 == 0 {
            "\\N".to_string()
        } else {
            at(0.99).to_string()
        };
        let (who, actor) = (user(&mut rng), user(&mut rng));
        copy.row(|out| {
            let _ = write!(
                out,
                "{who}\treply\t{actor}\t{}\t{}\t{read}",
                post_thread[post],
                first_post + post as i64
            );
        })
        .await?;
    }
    copy.flush().await?;
    println!(
        "  entries, reports, reactions, follows, bookmarks, notifications: {:.1} s",
        started.elapsed().as_secs_f64()
    );

    recount(&mut conn).await?;
    println!("  counters: {:.1} s", started.elapsed().as_secs_f64());
    for index in [
        // As the migrations make them, storage settings included.
        "CREATE INDEX posts_search_idx ON posts USING gin (search) WITH (gin_pending_list_limit = 256)",
        "CREATE INDEX threads_search_idx ON threads USING gin (search) WITH (fastupdate = off)",
        "CREATE INDEX repertoire_search_idx ON repertoire_entries USING gin (search)",
        "CREATE TABLE bench_meta (scale text NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now())",
    ] {
        sqlx::query(index).execute(&mut conn).await?;
    }
    sqlx::query("INSERT INTO bench_meta (scale) VALUES ($1)")
        .bind(scale.name())
        .execute(&mut conn)
        .await?;
    sqlx::query("SET session_replication_role = origin")
        .execute(&mut conn)
        .await?;
    sqlx::query("VACUUM (ANALYZE)").execute(&mut conn).await?;
    conn.close().await?;
    println!(
        "  search indexes, VACUUM ANALYZE: {:.1} s in all",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The member the harness signs in, whose pages the signed-in scenarios measure; the data set's
/// most active member (they wrote the most posts).
pub const SIGNED_IN_MEMBER: &str = "member0";
/// Threads the signed-in member has opened: a member of some years has read thousands, and
/// their Unread count looks at every thread they have read.
pub const READ_THREADS: i64 = 5_000;
/// One thread in this many of those was left after its first post; the rest were read to the
/// end, so the member has a few dozen unread threads, not more than the count stops at.
const LEFT_UNFINISHED: i64 = 200;

/// Gives the members what using the site leaves behind, once (data sets loaded before had
/// none): a record of their visits, as the trigger on `users` makes (the load runs with
/// triggers off), the signed-in member last seen a day ago, so their New view starts there and
/// not at their registration; and the signed-in member's reading, the `READ_THREADS` most
/// recently active threads of their domains, read when their last post was written. Returns
/// how many threads were added to their reading (none when they had read them before).
pub async fn add_member_history(db: &PgPool) -> anyhow::Result<u64> {
    sqlx::query(
        "INSERT INTO member_presence (user_id, seen_at)
         SELECT u.id, CASE WHEN u.username = $1 THEN now() - interval '1 day'
                           ELSE u.created_at END
           FROM users u
         ON CONFLICT (user_id) DO NOTHING",
    )
    .bind(SIGNED_IN_MEMBER)
    .execute(db)
    .await?;
    let read: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM thread_reads rd JOIN users u ON u.id = rd.user_id
          WHERE u.username = $1",
    )
    .bind(SIGNED_IN_MEMBER)
    .fetch_one(db)
    .await?;
    if read >= READ_THREADS / 2 {
        return Ok(0);
    }
    let added = sqlx::query(
        "INSERT INTO thread_reads
                (user_id, thread_id, last_read_number, last_read_post_id, read_at, behind)
         SELECT r.user_id, r.thread_id, r.number,
                (SELECT p.id FROM posts p WHERE p.thread_id = r.thread_id AND p.number = r.number),
                r.last_posted_at, r.number < r.reply_count + 1
           FROM (SELECT u.id AS user_id, t.id AS thread_id, t.last_posted_at, t.reply_count,
                        CASE WHEN row_number() OVER (ORDER BY t.last_posted_at DESC) % $2 = 0
                             THEN 1 ELSE t.reply_count + 1 END AS number
                   FROM users u
                   JOIN memberships m ON m.user_id = u.id
                   JOIN threads t ON t.domain_id = m.domain_id
                  WHERE u.username = $3
                  ORDER BY t.last_posted_at DESC
                  LIMIT $1) r
         ON CONFLICT (user_id, thread_id) DO NOTHING",
    )
    .bind(READ_THREADS)
    .bind(LEFT_UNFINISHED)
    .bind(SIGNED_IN_MEMBER)
    .execute(db)
    .await?
    .rows_affected();
    sqlx::query("ANALYZE thread_reads").execute(db).await?;
    Ok(added)
}

/// Sets every counter the triggers keep to what the rows say.
async fn recount(conn: &mut PgConnection) -> anyhow::Result<()> {
    for statement in [
        "UPDATE threads t SET reply_count = s.replies, last_posted_at = s.last
           FROM (SELECT thread_id, count(*) - 1 AS replies, max(created_at) AS last FROM posts GROUP BY thread_id) s
          WHERE s.thread_id = t.id",
        "UPDATE domains d SET member_count = (SELECT count(*) FROM memberships m WHERE m.domain_id = d.id),
                thread_count = (SELECT count(*) FROM threads t WHERE t.domain_id = d.id),
                last_activity_at = (SELECT max(last_posted_at) FROM threads t WHERE t.domain_id = d.id)",
        "UPDATE posts p SET helpful_count = s.helpful, thanks_count = s.thanks, insightful_count = s.insightful
           FROM (SELECT post_id, count(*) FILTER (WHERE kind = 'helpful') AS helpful,
                        count(*) FILTER (WHERE kind = 'thanks') AS thanks,
                        count(*) FILTER (WHERE kind = 'insightful') AS insightful
                   FROM reactions GROUP BY post_id) s
          WHERE s.post_id = p.id",
        "UPDATE repertoire_entries e SET reports_count = s.n, worked_count = s.worked, partly_count = s.partly,
                did_not_count = s.did_not
           FROM (SELECT entry_id, count(*) AS n, count(*) FILTER (WHERE outcome = 'worked') AS worked,
                        count(*) FILTER (WHERE outcome = 'partly') AS partly,
                        count(*) FILTER (WHERE outcome = 'did_not') AS did_not
                   FROM practice_reports WHERE entry_id IS NOT NULL GROUP BY entry_id) s
          WHERE s.entry_id = e.id",
        "SELECT member_stats_rebuild()",
        "SELECT repertoire_facets_rebuild()",
        "SELECT expertise_counts_rebuild()",
        "SELECT topic_evidence_rebuild()",
        "SELECT topic_standing_rebuild()",
    ] {
        sqlx::query(statement).execute(&mut *conn).await?;
    }
    Ok(())
}
