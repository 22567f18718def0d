use askama::Template;
use askama_web::WebTemplate;

use super::queries::MemberRow;
use crate::forum::queries::Domain;
use crate::web::PageContext;

#[derive(Template, WebTemplate)]
#[template(path = "moderation/members.html")]
pub struct MembersPage {
    pub page: PageContext,
    pub domain: Domain,
    pub members: Vec<MemberRow>,
}
