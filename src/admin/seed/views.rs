use askama::Template;
use askama_web::WebTemplate;

use crate::web::PageContext;

#[derive(Template, WebTemplate)]
#[template(path = "admin/seed.html")]
pub struct SeedPage {
    pub page: PageContext,
    pub outcome: Option<String>,
    pub problem: Option<String>,
}
