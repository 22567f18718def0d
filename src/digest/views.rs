//! The digest as a message: five sections, each shown only when it has something to say.

use askama::Template;

use super::queries::{DigestDomain, Recipient};
use super::{Item, Week};
use crate::mail::{ListHeaders, Outgoing};
use crate::support::mailing::views::{unsubscribe_link, DIGEST};
use crate::Config;

/// One of the five parts of the digest.
pub struct Section {
    pub heading: &'static str,
    /// What the part is about, under its heading.
    pub function: &'static str,
    /// Lists with their lead-in, those with nothing left out.
    pub lists: Vec<(&'static str, Vec<Link>)>,
}

/// A line of the digest with its full address.
pub struct Link {
    pub text: String,
    pub url: String,
}

pub struct DigestMail {
    pub name: String,
    pub domain_name: String,
    pub domain_url: String,
    pub sections: Vec<Section>,
    pub settings_link: String,
    pub unsubscribe_link: String,
}

#[derive(Template)]
#[template(path = "digest/weekly.txt", whitespace = "preserve")]
struct DigestText<'a> {
    mail: &'a DigestMail,
}

#[derive(Template)]
#[template(path = "digest/weekly.html")]
struct DigestHtml<'a> {
    mail: &'a DigestMail,
}

fn links(config: &Config, items: &[Item]) -> Vec<Link> {
    items
        .iter()
        .map(|item| Link {
            text: item.text.clone(),
            url: format!("{}{}", config.base_url, item.path),
        })
        .collect()
}

/// The week's sections in the order of the five functions, empty ones left out.
fn sections(config: &Config, week: &Week) -> Vec<Section> {
    let section = |heading, function, lists: &[(&'static str, &[Item])]| Section {
        heading,
        function,
        lists: lists
            .iter()
            .filter(|(_, items)| !items.is_empty())
            .map(|&(lead, items)| (lead, links(config, items)))
            .collect(),
    };
    [
        section(
            "What we learned",
            "Educate",
            &[("New and updated in the repertoire", &week.learned)],
        ),
        section(
            "Who was helped",
            "Support",
            &[
                ("Questions solved", &week.solved),
                ("Still waiting for an answer", &week.waiting),
            ],
        ),
        section(
            "What is growing",
            "Cultivate",
            &[("New members", &week.joined), ("Coming up", &week.upcoming)],
        ),
        section(
            "Whose work was recognised",
            "Encourage",
            &[
                ("In the spotlight", &week.spotlight),
                ("Found most helpful", &week.helpful),
            ],
        ),
        section(
            "What was put into practice",
            "Integrate",
            &[
                ("Practice reports", &week.reports),
                ("Falling due this week", &week.falling_due),
            ],
        ),
    ]
    .into_iter()
    .filter(|section| !section.lists.is_empty())
    .collect()
}

pub fn digest_mail(
    config: &Config,
    domain: &DigestDomain,
    week: &Week,
    recipient: &Recipient,
    token: &str,
) -> anyhow::Result<Outgoing> {
    let mail = DigestMail {
        name: recipient.display_name.clone(),
        domain_name: domain.name.clone(),
        domain_url: format!("{}/d/{}", config.base_url, domain.slug),
        sections: sections(config, week),
        settings_link: format!("{}/me/settings", config.base_url),
        unsubscribe_link: unsubscribe_link(config, token, DIGEST),
    };
    Ok(Outgoing {
        user_id: Some(recipient.id),
        to_address: recipient.email.clone(),
        subject: format!("[{}] Your weekly digest", domain.name),
        text_body: DigestText { mail: &mail }.render()?,
        html_body: DigestHtml { mail: &mail }.render()?,
        list: Some(ListHeaders::new(
            config,
            &domain.name,
            &domain.slug,
            None,
            mail.unsubscribe_link.clone(),
        )),
    })
}
