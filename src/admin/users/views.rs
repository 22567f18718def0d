use askama::Template;
use askama_web::WebTemplate;

use super::queries::Account;
use crate::web::PageContext;

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub page: PageContext,
    pub q: String,
    pub accounts: Vec<Account>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/user.html")]
pub struct UserPage {
    pub page: PageContext,
    pub account: Account,
    pub reset_link: Option<String>,
}
