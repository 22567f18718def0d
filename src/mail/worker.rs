//! The sender inside each server process: every second it claims what is due and hands it to
//! the SMTP server. A temporary failure (the server away, a 4xx) is retried with a growing
//! delay; a permanent one (a 5xx, an address that cannot be mail) or too many tries stop, and
//! `/admin/outbox` shows why. A process that dies mid-send leaves its claim to expire, and
//! another process (or this one, restarted) sends the message then.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::PgPool;
use tokio::sync::watch;

use super::queries::{self, Queued};
use crate::metrics::{MailOutcome, Metrics};
use crate::Config;

/// After this many tries a message is given up (about two hours of retrying).
const MAX_ATTEMPTS: i32 = 8;

/// The running sender of this process.
pub struct Sender {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Sender {
    /// Lets the message being sent finish (within 30 s), then stops, handing back what it had
    /// claimed but not begun, for the next process to send.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(Duration::from_secs(30), self.task)
            .await
            .is_err()
        {
            tracing::warn!("the mail sender did not stop within 30 s");
        }
    }
}

/// Starts the sender if SMTP is configured; `None` (mail stays in the outbox) if not.
pub fn spawn(db: PgPool, config: Arc<Config>, metrics: Arc<Metrics>) -> Option<Sender> {
    let url = config.smtp_url.clone()?;
    let transport = match AsyncSmtpTransport::<Tokio1Executor>::from_url(&url) {
        Ok(builder) => builder.timeout(Some(Duration::from_secs(30))).build(),
        Err(err) => {
            tracing::error!(%err, "COMMONPLACE_SMTP_URL is not a usable SMTP address; no mail will be sent");
            return None;
        }
    };
    let (stop, stopping) = watch::channel(false);
    let task = tokio::spawn(run(db, config, metrics, transport, stopping));
    Some(Sender { stop, task })
}

async fn run(
    db: PgPool,
    config: Arc<Config>,
    metrics: Arc<Metrics>,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopping.changed() => return,
        }
        let due = match queries::claim_due(&db, 20).await {
            Ok(due) => due,
            Err(err) => {
                tracing::warn!(%err, "could not read the outbox");
                continue;
            }
        };
        for (n, message) in due.iter().enumerate() {
            if *stopping.borrow() {
                let rest: Vec<i64> = due[n..].iter().map(|m| m.id).collect();
                if let Err(err) = queries::release(&db, &rest).await {
                    tracing::warn!(%err, "could not hand back unsent messages");
                }
                return;
            }
            if let Err(err) = deliver(&db, &config, &metrics, &transport, message).await {
                tracing::warn!(%err, id = message.id, "could not record what became of a message");
            }
        }
    }
}

async fn deliver(
    db: &PgPool,
    config: &Config,
    metrics: &Metrics,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    queued: &Queued,
) -> sqlx::Result<()> {
    let message = match build(config, queued) {
        Ok(message) => message,
        Err(problem) => {
            metrics.mail(MailOutcome::GivenUp);
            return queries::give_up(db, queued.id, &problem).await;
        }
    };
    match transport.send(message).await {
        Ok(_) => {
            metrics.mail(MailOutcome::Sent);
            queries::mark_sent(db, queued.id).await
        }
        Err(err) if err.is_permanent() || queued.attempts >= MAX_ATTEMPTS => {
            tracing::warn!(%err, id = queued.id, "a message could not be delivered; giving up");
            metrics.mail(MailOutcome::GivenUp);
            queries::give_up(db, queued.id, &err.to_string()).await
        }
        Err(err) => {
            tracing::info!(%err, id = queued.id, "a message could not be sent yet; will retry");
            metrics.mail(MailOutcome::Retrying);
            queries::retry_later(
                db,
                queued.id,
                backoff_seconds(queued.attempts),
                &err.to_string(),
            )
            .await
        }
    }
}

fn raw_header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// 30 s after the first failure, doubling each time, at most an hour.
fn backoff_seconds(attempts: i32) -> i64 {
    (30_i64 << attempts.clamp(1, 8).saturating_sub(1)).min(3600)
}

/// The message as sent: multipart plain text and HTML, with the queued Message-ID and the date
/// it was written.
fn build(config: &Config, queued: &Queued) -> Result<Message, String> {
    let from: Mailbox = config
        .mail_from
        .parse()
        .map_err(|err| format!("COMMONPLACE_MAIL_FROM is not an address: {err}"))?;
    let to: Mailbox = queued
        .to_address
        .parse()
        .map_err(|err| format!("not a deliverable address: {err}"))?;
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(queued.subject.clone())
        .message_id(Some(queued.message_id.clone()))
        .date(SystemTime::from(queued.created_at));
    if let Some(thread) = &queued.thread_key {
        builder = builder
            .in_reply_to(thread.clone())
            .references(thread.clone());
    }
    if let Some(list_id) = &queued.list_id {
        builder = builder.raw_header(raw_header("List-Id", list_id.clone()));
    }
    if let Some(url) = &queued.unsubscribe_url {
        builder = builder
            .raw_header(raw_header("List-Unsubscribe", format!("<{url}>")))
            .raw_header(raw_header(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".into(),
            ));
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            queued.text_body.clone(),
            queued.html_body.clone(),
        ))
        .map_err(|err| format!("the message could not be built: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        let delays: Vec<i64> = (1..=9).map(backoff_seconds).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }
}
