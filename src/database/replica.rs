//! A streaming read replica (`COMMONPLACE_READ_DATABASE_URL`), and how far it has caught up.
//!
//! A replica replays the primary's write-ahead log a little behind it. Pages that only read can
//! be served from it as long as nobody is shown the past in a way they would notice:
//! - a member's own writes: after each request that may write, the member's browser is given
//!   the primary's log position (`Lsn`) in a cookie, and their pages are read from the primary
//!   until the replica has replayed that far (what GitLab's database load balancer does);
//! - the anonymous page cache: a page may be kept only if the replica it was read from has
//!   every write the cache has heard of (`Progress::caught_up_generation`);
//! - a replica that stopped or fell far behind (`MAX_LAG`) is not read at all.
//!
//! Which requests go where is `web::read_split`; this module watches the replica.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::postgres::PgConnectOptions;
use sqlx::PgPool;
use tokio::sync::watch;

use crate::web::page_cache::PageCache;

/// How often the replica's progress is read (one tiny query to each server).
const CHECK_EVERY: Duration = Duration::from_millis(100);
/// A replica further behind than this serves nothing until it catches up: members would notice.
pub const MAX_LAG: Duration = Duration::from_secs(10);
/// Primary positions remembered while waiting for the replica to replay them; at one per check
/// this covers more than `MAX_LAG`.
const MAX_SAMPLES: usize = 1000;

/// A position in the primary's write-ahead log, as a byte offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Lsn(u64);

impl fmt::Display for Lsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Lsn {
    type Err = std::num::ParseIntError;

    fn from_str(text: &str) -> Result<Lsn, Self::Err> {
        text.parse().map(Lsn)
    }
}

impl Lsn {
    pub fn new(position: u64) -> Lsn {
        Lsn(position)
    }

    /// Whether a server that has replayed up to `self` has everything the primary had written
    /// at `position`. The primary's insert position skips the header of a new log page
    /// (24 bytes; 40 at the start of a segment) before any record is put there, while replay
    /// stops at the end of the last record, so a replica at the page's start has it all.
    pub fn has_reached(self, position: Lsn) -> bool {
        let into_page = position.0 % WAL_PAGE_BYTES;
        let header = if matches!(into_page, 24 | 40) {
            into_page
        } else {
            0
        };
        self.0 >= position.0 - header
    }
}

/// PostgreSQL's default write-ahead log page size. No record ends 24 or 40 bytes into a page
/// (a record header alone is 24 bytes), so those offsets are always just past a page header.
const WAL_PAGE_BYTES: u64 = 8192;

/// What the last check found.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    /// Whether the replica answered.
    pub up: bool,
    /// How far it has replayed the primary's log.
    pub replayed: Lsn,
    /// The page cache's generation when the newest primary position it has replayed was read:
    /// every write the cache had heard of by then is on the replica.
    pub caught_up_generation: u64,
    /// The age of the oldest primary position it has not replayed (zero when caught up).
    pub lag: Duration,
}

impl Progress {
    pub fn usable(&self) -> bool {
        self.up && self.lag <= MAX_LAG
    }
}

pub struct ReadReplica {
    /// Where pages read when this replica serves them.
    pub db: PgPool,
    /// Search's pool on the replica, with the same statement timeout as on the primary.
    pub search_db: PgPool,
    /// The generic-plan pool on the replica (`AppState::generic_db`).
    pub generic_db: PgPool,
    progress: watch::Receiver<Progress>,
}

impl ReadReplica {
    /// Connects lazily (a replica that is down at start-up is simply not used until it answers)
    /// and starts watching it. Must be called inside the Tokio runtime; the watcher stops when
    /// the replica is dropped.
    pub fn connect(
        url: &str,
        primary: PgPool,
        pages: Arc<PageCache>,
    ) -> anyhow::Result<Arc<ReadReplica>> {
        let options: PgConnectOptions = url
            .parse()
            .context("COMMONPLACE_READ_DATABASE_URL is not a valid PostgreSQL URL")?;
        let db = super::pool_options().connect_lazy_with(options.clone());
        let search_db = crate::search_pool(options.clone());
        let generic_db = crate::generic_pool(options);
        let (report, progress) = watch::channel(Progress::default());
        tokio::spawn(watch_replica(primary, db.clone(), pages, report));
        Ok(Arc::new(ReadReplica {
            db,
            search_db,
            generic_db,
            progress,
        }))
    }

    pub fn progress(&self) -> Progress {
        *self.progress.borrow()
    }
}

/// How far the primary has written: after a request's transaction commits, its changes are
/// before this position. (The insert position, not the write position: an asynchronous commit
/// may not be written out yet when the member is shown their page.)
pub async fn written_up_to(primary: &PgPool) -> sqlx::Result<Lsn> {
    let position: i64 = sqlx::query_scalar("SELECT (pg_current_wal_insert_lsn() - '0/0')::bigint")
        .fetch_one(primary)
        .await?;
    Ok(Lsn(position.max(0) as u64))
}

/// How far the replica has replayed. A server that is not replaying (pointed at a primary by
/// mistake) is as current as can be.
async fn replayed_up_to(replica: &PgPool) -> sqlx::Result<Option<Lsn>> {
    let position: Option<i64> =
        sqlx::query_scalar("SELECT (pg_last_wal_replay_lsn() - '0/0')::bigint")
            .fetch_one(replica)
            .await?;
    Ok(position.map(|p| Lsn(p.max(0) as u64)))
}

/// A primary position, when it was read, and the page cache's generation just before.
struct Sample {
    position: Lsn,
    generation: u64,
    at: Instant,
}

/// Every `CHECK_EVERY`: read the primary's position, then the replica's, and report which of
/// the remembered primary positions the replica has reached.
async fn watch_replica(
    primary: PgPool,
    replica: PgPool,
    pages: Arc<PageCache>,
    report: watch::Sender<Progress>,
) {
    let mut check = tokio::time::interval(CHECK_EVERY);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut waiting: VecDeque<Sample> = VecDeque::new();
    let mut caught_up_generation = 0;
    let mut was_up = true;
    loop {
        tokio::select! {
            _ = check.tick() => {}
            _ = report.closed() => return,
        }
        let generation = pages.generation();
        let at = Instant::now();
        match written_up_to(&primary).await {
            Ok(position) => waiting.push_back(Sample {
                position,
                generation,
                at,
            }),
            Err(err) => tracing::warn!(%err, "could not read the primary's log position"),
        }
        if waiting.len() > MAX_SAMPLES {
            // Keep the oldest, which says how far behind the replica is.
            waiting.remove(1);
        }
        let replayed = replayed_up_to(&replica).await;
        let up = replayed.is_ok();
        if up != was_up {
            match &replayed {
                Ok(_) => tracing::info!("the read replica answers again; pages read from it"),
                Err(err) => {
                    tracing::warn!(%err, "the read replica does not answer; pages read from the primary")
                }
            }
            was_up = up;
        }
        let Ok(replayed) = replayed else {
            report.send_replace(Progress::default());
            continue;
        };
        let replayed = match replayed {
            Some(replayed) => replayed,
            None => waiting.back().map_or(Lsn::default(), |s| s.position),
        };
        while let Some(sample) = waiting.front().filter(|s| replayed.has_reached(s.position)) {
            caught_up_generation = sample.generation;
            waiting.pop_front();
        }
        report.send_replace(Progress {
            up,
            replayed,
            caught_up_generation,
            lag: waiting.front().map_or(Duration::ZERO, |s| s.at.elapsed()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_replica_at_a_page_start_has_reached_the_position_past_its_header() {
        let page = 5 * WAL_PAGE_BYTES;
        assert!(Lsn(page).has_reached(Lsn(page + 24)));
        assert!(Lsn(page).has_reached(Lsn(page + 40)));
        assert!(Lsn(page + 100).has_reached(Lsn(page + 100)));
        assert!(!Lsn(page + 100).has_reached(Lsn(page + 132)));
        assert!(!Lsn(page - 8).has_reached(Lsn(page + 24)));
        assert!(!Lsn(page + 24).has_reached(Lsn(page + 64)));
    }
}
