//! The weekly domain digest: a domain's week told by the five functions of a community of
//! practice — what it learned (Educate), who was helped (Support), how it is growing
//! (Cultivate), whose work was recognised (Encourage) and what was put into practice
//! (Integrate). A scheduled job (`server::JOBS`) mails it once a week to the members who were
//! away all week and have not turned it off; a domain with nothing new that week sends nothing.
//! Each list reads only what every member of the domain may read.

pub mod queries;
pub mod views;

use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

use crate::Config;

/// One line of the digest and the page it links to (a path on the site).
#[derive(sqlx::FromRow)]
pub struct Item {
    pub text: String,
    pub path: String,
}

/// A domain's week, list by list.
pub struct Week {
    /// Educate: entries added or revised.
    pub learned: Vec<Item>,
    /// Support: questions solved, and those still waiting for an answer.
    pub solved: Vec<Item>,
    pub waiting: Vec<Item>,
    /// Cultivate: members who joined, events coming up.
    pub joined: Vec<Item>,
    pub upcoming: Vec<Item>,
    /// Encourage: featured in the spotlight, found most helpful.
    pub spotlight: Vec<Item>,
    pub helpful: Vec<Item>,
    /// Integrate: practice reports filed, commitments falling due.
    pub reports: Vec<Item>,
    pub falling_due: Vec<Item>,
}

impl Week {
    /// Whether anything happened this week. What is only waiting or coming up (open questions,
    /// events, commitments) rides along but does not make a digest by itself.
    pub fn has_news(&self) -> bool {
        [
            &self.learned,
            &self.solved,
            &self.joined,
            &self.spotlight,
            &self.helpful,
            &self.reports,
        ]
        .iter()
        .any(|list| !list.is_empty())
    }
}

/// The length of the digest's week.
pub const WEEK: Duration = Duration::days(7);

/// Mails every domain's digest for the week up to now. Each domain's messages are queued in one
/// transaction. Returns how many messages were queued.
pub async fn mail_weekly_digests(db: &PgPool, config: &Config) -> anyhow::Result<usize> {
    let since = OffsetDateTime::now_utc() - WEEK;
    let mut mailed = 0;
    for domain in queries::domains(db).await? {
        let week = queries::week(db, domain.id, since).await?;
        if !week.has_news() {
            continue;
        }
        let recipients = queries::recipients(db, domain.id, since).await?;
        let mut tx = db.begin().await?;
        for recipient in &recipients {
            let token = crate::support::mailing::queries::mail_token(&mut tx, recipient.id).await?;
            let outgoing = views::digest_mail(config, &domain, &week, recipient, &token)?;
            crate::mail::send(&mut tx, config, &outgoing).await?;
        }
        tx.commit().await?;
        mailed += recipients.len();
    }
    Ok(mailed)
}
