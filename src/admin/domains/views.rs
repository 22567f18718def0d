use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::queries::{ArchivedDomain, DomainRow};
use crate::web::{FieldErrors, PageContext};

#[derive(Template, WebTemplate)]
#[template(path = "admin/dashboard.html")]
pub struct DashboardPage {
    pub page: PageContext,
    pub domains: Vec<DomainRow>,
    /// Archived domains, newest first, each with a restore button.
    pub archived: Vec<ArchivedDomain>,
    /// Private messages with open flags, waiting for an admin.
    pub flagged_messages: i64,
}

/// "Archive this domain?": what it hides, a button that does it, and a way back.
#[derive(Template, WebTemplate)]
#[template(path = "admin/archive.html")]
pub struct ArchivePage {
    pub page: PageContext,
    pub domain: DomainRow,
    pub threads: i64,
    pub entries: i64,
}

#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct DomainForm {
    pub name: String,
    pub slug: String,
    pub charter: String,
    pub practice_focus: String,
    pub audience: String,
    pub visibility: String,
}

impl Default for DomainForm {
    fn default() -> Self {
        DomainForm {
            name: String::new(),
            slug: String::new(),
            charter: String::new(),
            practice_focus: String::new(),
            audience: String::new(),
            visibility: "public".into(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/new_domain.html")]
pub struct NewDomainPage {
    pub page: PageContext,
    pub form: DomainForm,
    pub errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/domain.html")]
pub struct AdminDomainPage {
    pub page: PageContext,
    pub domain: DomainRow,
    pub error: Option<String>,
    /// The invitation form's addresses, kept when they come back with a problem.
    pub invite_addresses: String,
    pub invite_error: Option<String>,
}

impl AdminDomainPage {
    /// The page with both forms empty.
    pub fn new(page: PageContext, domain: DomainRow) -> AdminDomainPage {
        AdminDomainPage {
            page,
            domain,
            error: None,
            invite_addresses: String::new(),
            invite_error: None,
        }
    }
}
