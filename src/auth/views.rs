//! Account pages.

use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

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
