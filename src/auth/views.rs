//! Account pages.

use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::mail::Outgoing;
use crate::web::{FieldErrors, PageContext};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    pub login: String,
    pub password: String,
    pub next: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub page: PageContext,
    pub login: String,
    pub next: String,
    pub error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    pub current: String,
    pub password: String,
}

/// `/me/password`. Passwords are never written back into the form.
#[derive(Template, WebTemplate)]
#[template(path = "auth/password.html")]
pub struct PasswordPage {
    pub page: PageContext,
    pub errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterForm {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub password: String,
    pub next: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/register.html")]
pub struct RegisterPage {
    pub page: PageContext,
    pub form: RegisterForm,
    pub errors: FieldErrors,
}

/// The message carrying a password reset link asked for at `/forgot`.
pub struct ResetMail {
    pub name: String,
    pub username: String,
    pub link: String,
    pub site: String,
}

#[derive(Template)]
#[template(path = "auth/reset_mail.txt")]
struct ResetMailText<'a> {
    mail: &'a ResetMail,
}

#[derive(Template)]
#[template(path = "auth/reset_mail.html")]
struct ResetMailHtml<'a> {
    mail: &'a ResetMail,
}

impl ResetMail {
    pub fn outgoing(&self, user_id: i64, to_address: &str) -> crate::error::Result<Outgoing> {
        let render = |result: askama::Result<String>| result.map_err(anyhow::Error::from);
        Ok(Outgoing {
            user_id: Some(user_id),
            to_address: to_address.to_string(),
            subject: "Choose a new password for Commonplace".to_string(),
            text_body: render(ResetMailText { mail: self }.render())?,
            html_body: render(ResetMailHtml { mail: self }.render())?,
        })
    }
}
