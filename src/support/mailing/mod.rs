//! Notifications by email. Each member chooses per kind of notification (`/me/settings`):
//! mailed at once, gathered in a daily summary, or never; every message has a one-click
//! unsubscribe link. As on Discourse, mentions, private messages, replies, accepted answers and
//! commitment reminders are mailed at once by default, and only to a member who has not been on
//! the site since the notification arrived (a member reading along sees it in the header
//! instead).
//!
//! Mail is written by two scheduled jobs (`server::JOBS`), each in one transaction that claims
//! the notifications it mails (`FOR UPDATE SKIP LOCKED`), queues the messages in the outbox and
//! marks them mailed: with several processes, each notification is mailed once.

pub mod queries;
pub mod routes;
pub mod views;

use std::time::Duration;

use sqlx::PgPool;

use crate::Config;

/// The kinds of notification a member can have mailed (the `kind` of a notification).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailKind {
    Mention,
    Message,
    Reply,
    NewThread,
    Accepted,
    DidItWork,
    BookmarkReminder,
    CommitmentDue,
    FlagOutcome,
    Flagged,
    PostHidden,
}

impl MailKind {
    pub const ALL: [MailKind; 11] = [
        MailKind::Mention,
        MailKind::Message,
        MailKind::Reply,
        MailKind::NewThread,
        MailKind::Accepted,
        MailKind::DidItWork,
        MailKind::BookmarkReminder,
        MailKind::CommitmentDue,
        MailKind::FlagOutcome,
        MailKind::Flagged,
        MailKind::PostHidden,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Mention => "mention",
            MailKind::Message => "message",
            MailKind::Reply => "reply",
            MailKind::NewThread => "new_thread",
            MailKind::Accepted => "accepted",
            MailKind::DidItWork => "did_it_work",
            MailKind::BookmarkReminder => "bookmark_reminder",
            MailKind::CommitmentDue => "commitment_due",
            MailKind::FlagOutcome => "flag_outcome",
            MailKind::Flagged => "flagged",
            MailKind::PostHidden => "post_hidden",
        }
    }

    pub fn parse(raw: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// What the member is choosing about, in their words.
    pub fn label(self) -> &'static str {
        match self {
            MailKind::Mention => "Someone mentions you",
            MailKind::Message => "Someone writes to you in a private conversation",
            MailKind::Reply => "Replies to your threads and threads you watch",
            MailKind::NewThread => "New threads in domains you watch",
            MailKind::Accepted => "Your answer is accepted",
            MailKind::DidItWork => "We ask whether the answer you accepted worked",
            MailKind::BookmarkReminder => "A reminder you set on a bookmark falls due",
            MailKind::CommitmentDue => "A practice you committed to try falls due",
            MailKind::FlagOutcome => "A facilitator acts on your flag",
            MailKind::Flagged => "A post is flagged in a domain you facilitate",
            MailKind::PostHidden => "Your post is hidden after members flag it",
        }
    }

    pub fn default_delivery(self) -> Delivery {
        match self {
            MailKind::FlagOutcome => Delivery::Daily,
            _ => Delivery::Immediately,
        }
    }
}

/// How a member wants one kind of notification mailed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Immediately,
    Daily,
    Never,
}

impl Delivery {
    pub const ALL: [Delivery; 3] = [Delivery::Immediately, Delivery::Daily, Delivery::Never];

    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Immediately => "immediately",
            Delivery::Daily => "daily",
            Delivery::Never => "never",
        }
    }

    pub fn parse(raw: &str) -> Option<Delivery> {
        Delivery::ALL.into_iter().find(|d| d.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Delivery::Immediately => "Email me at once (when I am away)",
            Delivery::Daily => "In a daily summary",
            Delivery::Never => "Never by email",
        }
    }
}

/// How long a notification waits before it is mailed, so a member reading along sees it on the
/// site first.
pub const MAIL_AFTER: Duration = Duration::from_secs(120);

/// Mails every notification that is due now: those whose kind the member has mailed at once,
/// unread, at least `wait` old, arrived since the member was last on the site, and still about
/// something the member may read. Returns how many were mailed.
pub async fn mail_due(db: &PgPool, config: &Config, wait: Duration) -> anyhow::Result<usize> {
    let mut tx = db.begin().await?;
    let due = queries::claim_due(&mut tx, wait).await?;
    for notification in &due {
        let token = queries::mail_token(&mut tx, notification.user_id).await?;
        let outgoing = views::notification_mail(config, notification, &token)?;
        crate::mail::send(&mut tx, config, &outgoing).await?;
    }
    let ids: Vec<i64> = due.iter().map(|n| n.notification.id).collect();
    queries::mark_mailed(&mut tx, &ids).await?;
    tx.commit().await?;
    Ok(due.len())
}

/// Mails each member their daily summary: the unread notifications of the last two days whose
/// kind they have gathered daily, one message per member. Returns how many members were mailed.
pub async fn mail_daily_summaries(db: &PgPool, config: &Config) -> anyhow::Result<usize> {
    let mut tx = db.begin().await?;
    let due = queries::claim_daily(&mut tx).await?;
    let mut members = 0;
    for chunk in due.chunk_by(|a, b| a.user_id == b.user_id) {
        let token = queries::mail_token(&mut tx, chunk[0].user_id).await?;
        let outgoing = views::summary_mail(config, chunk, &token)?;
        crate::mail::send(&mut tx, config, &outgoing).await?;
        members += 1;
    }
    let ids: Vec<i64> = due.iter().map(|n| n.notification.id).collect();
    queries::mark_mailed(&mut tx, &ids).await?;
    tx.commit().await?;
    Ok(members)
}
