//! Account fields, parsed at the edge: once a `Username` exists it is valid.

use std::fmt;

/// 3 to 30 characters: letters, digits, `_` and `-`, starting with a letter or digit (the same
/// rule as the `users.username` CHECK constraint). Compared without regard to letter case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("Choose a username.");
        }
        if name.chars().count() < 3 || name.chars().count() > 30 {
            return Err("A username is 3 to 30 characters long.");
        }
        let mut chars = name.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
        let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !first_ok || !rest_ok {
            return Err("Use only letters, digits, _ and -, starting with a letter or digit.");
        }
        Ok(Username(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A plausible address: something@something.tld, no spaces, at most 254 characters. Whether it
/// is real is for a confirmation mail to find out, not a regular expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let email = raw.trim();
        if email.is_empty() {
            return Err("Enter your email address.");
        }
        let valid = email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            });
        if !valid {
            return Err("Enter an email address like name@example.org.");
        }
        Ok(Email(email.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: at least 10 characters, not the username. The upper bound keeps hashing
/// cheap enough that a huge password cannot tie up a core.
pub struct NewPassword(String);

pub const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_CHARS: usize = 1000;

impl NewPassword {
    pub fn parse(raw: &str, username: &str) -> Result<Self, &'static str> {
        let length = raw.chars().count();
        if length < MIN_PASSWORD_CHARS {
            return Err("Use at least 10 characters.");
        }
        if length > MAX_PASSWORD_CHARS {
            return Err("Use at most 1000 characters.");
        }
        if raw.trim().eq_ignore_ascii_case(username.trim()) {
            return Err("Your password must not be your username.");
        }
        Ok(NewPassword(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

/// A display name: trimmed, 1 to 80 characters; the username when left empty.
pub fn display_name(raw: &str, username: &Username) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        return Ok(username.to_string());
    }
    if name.chars().count() > 80 {
        return Err("A display name is at most 80 characters.");
    }
    Ok(name.to_string())
}

/// What a new account is made of, parsed from the register and invitation forms: the
/// username, the display name (the username when left empty) and the password, each problem
/// noted against its field.
pub struct AccountFields {
    pub username: Username,
    pub display_name: String,
    pub password: NewPassword,
}

impl AccountFields {
    pub fn parse(
        errors: &mut crate::web::FieldErrors,
        username: &str,
        display: &str,
        password: &str,
    ) -> Option<AccountFields> {
        let parsed_username = errors.check("username", Username::parse(username));
        let password = errors.check("password", NewPassword::parse(password, username));
        let display = parsed_username
            .as_ref()
            .and_then(|u| errors.check("display_name", display_name(display, u)));
        Some(AccountFields {
            username: parsed_username?,
            display_name: display?,
            password: password?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(Username::parse("ana").is_ok());
        assert!(Username::parse("  ana_b-2 ").is_ok());
        assert_eq!(Username::parse(" ana ").unwrap().as_str(), "ana");
        assert!(Username::parse("an").is_err());
        assert!(Username::parse("_ana").is_err());
        assert!(Username::parse("ana b").is_err());
        assert!(Username::parse("anä").is_err());
        assert!(Username::parse(&"a".repeat(31)).is_err());
        assert!(Username::parse("").is_err());
    }

    #[test]
    fn emails() {
        assert!(Email::parse("ana@example.org").is_ok());
        assert!(Email::parse("ana@localhost").is_err());
        assert!(Email::parse("ana example.org").is_err());
        assert!(Email::parse("@example.org").is_err());
        assert!(Email::parse("a@b@example.org").is_err());
        assert!(Email::parse("ana@example.").is_err());
    }

    #[test]
    fn passwords() {
        assert!(NewPassword::parse("correct horse", "ana").is_ok());
        assert!(NewPassword::parse("short", "ana").is_err());
        assert!(NewPassword::parse("ana_the_gardener", "Ana_The_Gardener").is_err());
        assert!(NewPassword::parse(&"x".repeat(1001), "ana").is_err());
    }

    #[test]
    fn display_names() {
        let ana = Username::parse("ana").unwrap();
        assert_eq!(display_name("  ", &ana).unwrap(), "ana");
        assert_eq!(display_name(" Ana Ruiz ", &ana).unwrap(), "Ana Ruiz");
        assert!(display_name(&"x".repeat(81), &ana).is_err());
    }
}
