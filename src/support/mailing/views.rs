//! Notification mail and its pages: the message for one notification, the daily summary, the
//! settings page and the unsubscribe pages.

use askama::Template;
use askama_web::WebTemplate;

use super::queries::DueNotification;
use super::{Delivery, MailKind};
use crate::mail::{ListHeaders, Outgoing};
use crate::web::{FieldErrors, PageContext};
use crate::Config;

/// One notification as a message: what happened, the post's opening words, where to read on.
pub struct NotificationMail {
    pub name: String,
    pub sentence: String,
    pub excerpt: String,
    pub link: String,
    /// Where it comes from: the domain's name, or a private conversation.
    pub source: String,
    pub kind_label: &'static str,
    pub settings_link: String,
    pub unsubscribe_link: String,
}

#[derive(Template)]
#[template(path = "support/notification_mail.txt", whitespace = "preserve")]
struct NotificationText<'a> {
    mail: &'a NotificationMail,
}

#[derive(Template)]
#[template(path = "support/notification_mail.html")]
struct NotificationHtml<'a> {
    mail: &'a NotificationMail,
}

/// Where a mailed notification leads: opening it marks it read, as from the notifications page.
fn notification_link(config: &Config, id: i64) -> String {
    format!("{}/notifications/{id}", config.base_url)
}

pub fn unsubscribe_link(config: &Config, token: &str, what: &str) -> String {
    format!("{}/unsubscribe/{token}/{what}", config.base_url)
}

pub fn notification_mail(
    config: &Config,
    due: &DueNotification,
    token: &str,
) -> anyhow::Result<Outgoing> {
    let kind = MailKind::parse(&due.notification.kind);
    let kind_name = kind.map(MailKind::as_str).unwrap_or("reply");
    let mail = NotificationMail {
        name: due.recipient_name.clone(),
        sentence: due.notification.sentence(),
        excerpt: due
            .post_body
            .as_deref()
            .map(|body| crate::markdown::plain_excerpt(body, 600))
            .unwrap_or_default(),
        link: notification_link(config, due.notification.id),
        source: due
            .domain_name
            .clone()
            .unwrap_or_else(|| "a private conversation".to_string()),
        kind_label: kind.map(MailKind::label).unwrap_or("Notifications"),
        settings_link: format!("{}/me/settings", config.base_url),
        unsubscribe_link: unsubscribe_link(config, token, kind_name),
    };
    let about = due.notification.thread_title.as_deref().unwrap_or("");
    Ok(Outgoing {
        user_id: Some(due.user_id),
        to_address: due.email.clone(),
        subject: format!("[{}] {about}", place(due)),
        text_body: NotificationText { mail: &mail }.render()?,
        html_body: NotificationHtml { mail: &mail }.render()?,
        list: Some(list_headers(config, due, mail.unsubscribe_link.clone())),
    })
}

/// A subject's or summary line's bracket: the domain, or a private message.
fn place(due: &DueNotification) -> &str {
    due.domain_name.as_deref().unwrap_or("Private message")
}

fn list_headers(config: &Config, due: &DueNotification, unsubscribe: String) -> ListHeaders {
    match (&due.domain_name, &due.domain_slug, due.conversation_id) {
        (Some(name), Some(slug), _) => {
            ListHeaders::new(config, name, slug, due.thread_id, unsubscribe)
        }
        (_, _, conversation) => {
            ListHeaders::conversation(config, conversation.unwrap_or_default(), unsubscribe)
        }
    }
}

/// A member's daily summary: each notification as a sentence with its link.
pub struct SummaryMail {
    pub name: String,
    pub items: Vec<(String, String)>,
    pub settings_link: String,
    pub unsubscribe_link: String,
}

#[derive(Template)]
#[template(path = "support/summary_mail.txt", whitespace = "preserve")]
struct SummaryText<'a> {
    mail: &'a SummaryMail,
}

#[derive(Template)]
#[template(path = "support/summary_mail.html")]
struct SummaryHtml<'a> {
    mail: &'a SummaryMail,
}

/// `SUMMARY` in an unsubscribe link stops the daily summary (every kind gathered in it).
pub const SUMMARY: &str = "summary";

/// `DIGEST` in an unsubscribe link stops the weekly digest of every domain (`digest`).
pub const DIGEST: &str = "digest";

pub fn summary_mail(
    config: &Config,
    due: &[DueNotification],
    token: &str,
) -> anyhow::Result<Outgoing> {
    let first = due
        .first()
        .ok_or_else(|| anyhow::anyhow!("an empty summary"))?;
    let mail = SummaryMail {
        name: first.recipient_name.clone(),
        items: due
            .iter()
            .map(|d| {
                (
                    format!("[{}] {}", place(d), d.notification.sentence()),
                    notification_link(config, d.notification.id),
                )
            })
            .collect(),
        settings_link: format!("{}/me/settings", config.base_url),
        unsubscribe_link: unsubscribe_link(config, token, SUMMARY),
    };
    let count = due.len();
    Ok(Outgoing {
        user_id: Some(first.user_id),
        to_address: first.email.clone(),
        subject: format!(
            "Your Commonplace summary: {count} notification{}",
            if count == 1 { "" } else { "s" }
        ),
        text_body: SummaryText { mail: &mail }.render()?,
        html_body: SummaryHtml { mail: &mail }.render()?,
        list: Some(ListHeaders::new(
            config,
            "Commonplace daily summary",
            SUMMARY,
            None,
            mail.unsubscribe_link.clone(),
        )),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "support/settings.html")]
pub struct SettingsPage {
    pub page: PageContext,
    /// Each kind with the delivery chosen (or sent back with the form).
    pub choices: Vec<(MailKind, Delivery)>,
    /// Whether the weekly digest is wanted (or was sent back with the form).
    pub digest: bool,
    /// (tag, level) of each tag the member set a watching level on.
    pub tags: Vec<(String, String)>,
    pub errors: FieldErrors,
}

impl SettingsPage {
    pub fn deliveries(&self) -> [Delivery; 3] {
        Delivery::ALL
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "support/unsubscribe.html")]
pub struct UnsubscribePage {
    pub page: PageContext,
    pub name: String,
    /// What the link stops, in words.
    pub what: String,
    /// Where the button posts; `None` once done.
    pub action: Option<String>,
}
