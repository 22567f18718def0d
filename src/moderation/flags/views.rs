use askama::Template;
use askama_web::WebTemplate;

use super::queries::FlaggedPost;
use crate::forum::queries::Domain;
use crate::web::PageContext;

#[derive(Template, WebTemplate)]
#[template(path = "moderation/flags.html")]
pub struct FlagQueuePage {
    pub page: PageContext,
    pub domain: Domain,
    pub posts: Vec<FlaggedPost>,
}
