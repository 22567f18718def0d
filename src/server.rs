//! `commonplace serve`: open the database (starting a private cluster if need be), migrate, seed
//! the demo into an empty database, serve until Ctrl-C or SIGTERM, then drain and stop cleanly.

use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::PgPool;
use tokio::net::TcpListener;

use crate::admin::seed;
use crate::database::{self, Database};
use crate::jobs::{self, Job};
use crate::{app, auth, AppState, Config};

pub async fn serve(config: Config) -> anyhow::Result<()> {
    crate::allocator::give_memory_back();
    let started = Instant::now();
    let database = open(&config).await?;
    if config.seed_demo {
        seed_demo_if_empty(&database.pool, &config).await?;
    }
    let state = AppState::new(database.pool.clone(), config.clone());
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("could not listen on {} (set COMMONPLACE_BIND)", config.bind))?;
    let scheduled = jobs::spawn(
        database.pool.clone(),
        state.config.clone(),
        state.metrics.clone(),
        &JOBS,
    );
    let sender = crate::mail::worker::spawn(
        database.pool.clone(),
        state.config.clone(),
        state.metrics.clone(),
    );
    tracing::info!(
        "Commonplace is serving {} (ready in {} ms)",
        config.base_url,
        started.elapsed().as_millis()
    );
    let live = state.live.clone();
    let shutdown = async move {
        shutdown_signal().await;
        // Live streams never end by themselves; closing them lets the connections drain.
        live.close();
    };
    crate::web::connections::serve(listener, app::router(state), &config, shutdown).await;
    scheduled.abort();
    if let Some(sender) = sender {
        sender.stop().await;
    }
    tracing::info!("stopping");
    database.close().await;
    Ok(())
}

/// The database with its schema up to date.
pub async fn open(config: &Config) -> anyhow::Result<Database> {
    if config.database_url.is_none() {
        tracing::info!(
            "no DATABASE_URL: using the private PostgreSQL cluster in {}",
            config.data_dir.join("postgres").display()
        );
    }
    let database = Database::open(config.database_url.as_deref(), &config.data_dir).await?;
    database::migrate(&database.pool).await?;
    Ok(database)
}

pub async fn seed_demo_if_empty(db: &PgPool, config: &Config) -> anyhow::Result<()> {
    let empty: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM users)")
        .fetch_one(db)
        .await?;
    if !empty {
        return Ok(());
    }
    let password = config
        .demo_password
        .clone()
        .unwrap_or_else(auth::password::random_secret);
    let loading = seed::Loading {
        config,
        initial_password: Some(&password),
        admin: None,
    };
    let report = seed::load(db, seed::DEMO_NAME, seed::DEMO, &loading).await?;
    let accounts: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT ON (role) role, username FROM (
             SELECT 'admin' AS role, username, id FROM users WHERE site_role = 'admin'
             UNION ALL
             SELECT 'facilitator', u.username, u.id FROM users u
               JOIN memberships m ON m.user_id = u.id AND m.role = 'facilitator'
              WHERE u.site_role = 'member'
             UNION ALL
             SELECT 'member', u.username, u.id FROM users u
              WHERE u.site_role = 'member'
                AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.role = 'facilitator')
         ) accounts ORDER BY role, id",
    )
    .fetch_all(db)
    .await?;
    let mut banner = format!(
        "\nSeeded the demo community: {report}.\nDemo accounts (all share one password):\n"
    );
    for (role, username) in accounts {
        banner.push_str(&format!("  {role:<12} {username}\n"));
    }
    if config.demo_password.is_some() {
        banner.push_str("  password     (from COMMONPLACE_DEMO_PASSWORD)\n");
    } else {
        banner.push_str(&format!(
            "  password     {password}\n  This password is shown once. Set COMMONPLACE_DEMO_PASSWORD to choose it.\n"
        ));
    }
    println!("{banner}");
    Ok(())
}

/// The scheduled work of every server process (see `jobs`): each runs once per due time
/// however many processes there are. Admins see the last and next runs at `/admin/jobs`.
pub static JOBS: [Job; 12] = [
    Job {
        name: "expired sessions",
        every: Duration::from_secs(600),
        run: |db, _| Box::pin(drop_expired_sessions(db)),
    },
    Job {
        name: "old rate-limit counters",
        every: Duration::from_secs(600),
        run: |db, _| {
            Box::pin(async move {
                let dropped = auth::rate_limit::forget_old(&db).await?;
                Ok(format!("{dropped} day-old counters dropped"))
            })
        },
    },
    Job {
        name: "old submission keys",
        every: Duration::from_secs(3600),
        run: |db, _| {
            Box::pin(async move {
                let dropped = crate::web::submission::forget_old(&db).await?;
                Ok(format!("{dropped} day-old keys dropped"))
            })
        },
    },
    Job {
        name: "unconfirmed accounts",
        every: Duration::from_secs(3600),
        run: |db, _| {
            Box::pin(async move {
                let removed = auth::queries::forget_unconfirmed(&db).await?;
                Ok(format!(
                    "{removed} week-old accounts never confirmed, removed"
                ))
            })
        },
    },
    Job {
        name: "commitment reminders",
        every: Duration::from_secs(600),
        run: |db, _| {
            Box::pin(async move {
                let today = time::OffsetDateTime::now_utc().date();
                let sent = crate::integrate::send_due_reminders(&db, today).await?;
                let members = crate::web::count(sent as i64, "member", "members");
                Ok(format!("{members} reminded of commitments that fell due"))
            })
        },
    },
    Job {
        name: "did it work? invitations",
        every: Duration::from_secs(3600),
        run: |db, _| {
            Box::pin(async move {
                let now = time::OffsetDateTime::now_utc();
                let invited = crate::integrate::invite_to_report_back(&db, now).await?;
                let askers = crate::web::count(invited as i64, "asker", "askers");
                Ok(format!("{askers} asked whether an accepted answer worked"))
            })
        },
    },
    Job {
        name: "repertoire reviews",
        every: Duration::from_secs(3600),
        run: |db, _| {
            Box::pin(async move {
                let today = time::OffsetDateTime::now_utc().date();
                let due = crate::educate::upkeep::queries::mark_due(&db, today).await?;
                let entries = crate::web::count(due as i64, "entry", "entries");
                Ok(format!("{entries} came due for review"))
            })
        },
    },
    Job {
        name: "bookmark reminders",
        every: Duration::from_secs(60),
        run: |db, _| {
            Box::pin(async move {
                let now = time::OffsetDateTime::now_utc();
                let sent = crate::support::reminders::send_due(&db, now).await?;
                let sent = crate::web::count(sent as i64, "reminder", "reminders");
                Ok(format!("{sent} sent"))
            })
        },
    },
    Job {
        name: "notification mail",
        every: Duration::from_secs(60),
        run: |db, config| {
            Box::pin(async move {
                let wait = crate::support::mailing::MAIL_AFTER;
                let mailed = crate::support::mailing::mail_due(&db, &config, wait).await?;
                let mailed = crate::web::count(mailed as i64, "notification", "notifications");
                Ok(format!("{mailed} mailed"))
            })
        },
    },
    Job {
        name: "daily summaries",
        every: Duration::from_secs(24 * 3600),
        run: |db, config| {
            Box::pin(async move {
                let mailed = crate::support::mailing::mail_daily_summaries(&db, &config).await?;
                let members = crate::web::count(mailed as i64, "member", "members");
                Ok(format!("{members} sent their daily summary"))
            })
        },
    },
    Job {
        name: "search index of recent posts",
        every: Duration::from_secs(3600),
        run: |db, _| {
            Box::pin(async move { crate::educate::search::recent_index::move_forward(&db).await })
        },
    },
    Job {
        name: "weekly digests",
        every: Duration::from_secs(7 * 24 * 3600),
        run: |db, config| {
            Box::pin(async move {
                let mailed = crate::digest::mail_weekly_digests(&db, &config).await?;
                let mailed = crate::web::count(mailed as i64, "weekly digest", "weekly digests");
                Ok(format!("{mailed} mailed"))
            })
        },
    },
];

async fn drop_expired_sessions(db: PgPool) -> anyhow::Result<String> {
    let dropped = sqlx::query("DELETE FROM tower_sessions.session WHERE expiry_date < now()")
        .execute(&db)
        .await?
        .rows_affected();
    Ok(format!("{dropped} expired sessions dropped"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
