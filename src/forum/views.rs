//! Pages of the forum core.

use askama::Template;
use askama_web::WebTemplate;

use super::queries::{Domain, DomainSummary, ThreadSummary};
use crate::web::PageContext;

#[derive(Template, WebTemplate)]
#[template(path = "forum/home.html")]
pub struct HomePage {
    pub page: PageContext,
    pub my_domains: Vec<DomainSummary>,
    pub other_domains: Vec<DomainSummary>,
    pub recent: Vec<ThreadSummary>,
}

#[derive(Template, WebTemplate)]
#[template(path = "forum/directory.html")]
pub struct DirectoryPage {
    pub page: PageContext,
    pub domains: Vec<DomainSummary>,
}

#[derive(Template, WebTemplate)]
#[template(path = "forum/domain.html")]
pub struct DomainPage {
    pub page: PageContext,
    pub domain: Domain,
    pub pinned: Vec<ThreadSummary>,
    pub threads: Vec<ThreadSummary>,
    /// The cursor for the next ("older") page, if there may be one.
    pub older: Option<String>,
    pub is_first_page: bool,
}

impl DomainSummary {
    /// The charter's first line, for lists.
    pub fn tagline(&self) -> String {
        crate::markdown::plain_excerpt(self.charter_md.lines().next().unwrap_or(""), 160)
    }
}
