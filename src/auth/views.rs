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

/// After registering: the same page whether the address was new or already had an account.
#[derive(Template, WebTemplate)]
#[template(path = "auth/check_mail.html")]
pub struct CheckMailPage {
    pub page: PageContext,
    pub email: String,
}

/// What every account message says where it comes from and goes to.
pub struct AccountMail {
    pub name: String,
    pub username: String,
    /// The link the message is about (reset, confirm, or logging in).
    pub link: String,
    pub site: String,
}

#[derive(Template)]
#[template(path = "auth/reset_mail.txt", whitespace = "preserve")]
struct ResetText<'a> {
    mail: &'a AccountMail,
}

#[derive(Template)]
#[template(path = "auth/reset_mail.html")]
struct ResetHtml<'a> {
    mail: &'a AccountMail,
}

#[derive(Template)]
#[template(path = "auth/confirm_mail.txt", whitespace = "preserve")]
struct ConfirmText<'a> {
    mail: &'a AccountMail,
}

#[derive(Template)]
#[template(path = "auth/confirm_mail.html")]
struct ConfirmHtml<'a> {
    mail: &'a AccountMail,
}

#[derive(Template)]
#[template(path = "auth/already_mail.txt", whitespace = "preserve")]
struct AlreadyText<'a> {
    mail: &'a AccountMail,
}

#[derive(Template)]
#[template(path = "auth/already_mail.html")]
struct AlreadyHtml<'a> {
    mail: &'a AccountMail,
}

/// Which account message to write.
pub enum AccountMessage {
    /// A password reset link asked for at `/forgot`.
    Reset,
    /// The link that confirms a new account's address.
    Confirm,
    /// Someone registered with an address that already has an account.
    AlreadyRegistered,
}

impl AccountMail {
    pub fn outgoing(
        &self,
        message: AccountMessage,
        user_id: Option<i64>,
        to_address: &str,
    ) -> crate::error::Result<Outgoing> {
        let render = |result: askama::Result<String>| result.map_err(anyhow::Error::from);
        let (subject, text_body, html_body) = match message {
            AccountMessage::Reset => (
                "Choose a new password for Commonplace",
                render(ResetText { mail: self }.render())?,
                render(ResetHtml { mail: self }.render())?,
            ),
            AccountMessage::Confirm => (
                "Confirm your address to finish joining Commonplace",
                render(ConfirmText { mail: self }.render())?,
                render(ConfirmHtml { mail: self }.render())?,
            ),
            AccountMessage::AlreadyRegistered => (
                "You already have an account on Commonplace",
                render(AlreadyText { mail: self }.render())?,
                render(AlreadyHtml { mail: self }.render())?,
            ),
        };
        Ok(Outgoing {
            user_id,
            to_address: to_address.to_string(),
            subject: subject.to_string(),
            text_body,
            html_body,
            list: None,
        })
    }
}
