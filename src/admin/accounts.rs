//! Accounts created by an operator: `commonplace admin create-user`.

use anyhow::{bail, Context};
use sqlx::PgPool;

use crate::auth::fields::{display_name, Email, NewPassword, Username};
use crate::auth::queries::{create_user, Conflict};

pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub admin: bool,
}

/// Creates an account with the same rules as the registration form.
pub async fn create(db: &PgPool, account: NewAccount) -> anyhow::Result<i64> {
    let username =
        Username::parse(&account.username).map_err(|why| anyhow::anyhow!("username: {why}"))?;
    let email = Email::parse(&account.email).map_err(|why| anyhow::anyhow!("email: {why}"))?;
    let password = NewPassword::parse(&account.password, username.as_str())
        .map_err(|why| anyhow::anyhow!("password: {why}"))?;
    let display = display_name(&account.display_name, &username)
        .map_err(|why| anyhow::anyhow!("display name: {why}"))?;
    let hash = crate::auth::password::hash(password.expose().to_string()).await?;
    match create_user(
        db,
        username.as_str(),
        &display,
        email.as_str(),
        &hash,
        account.admin,
        true,
    )
    .await
    .context("creating the account")?
    {
        Ok(id) => Ok(id),
        Err(Conflict::Username) => bail!("the username `{username}` is taken"),
        Err(Conflict::Email) => bail!("an account with the email `{}` exists", email.as_str()),
    }
}
