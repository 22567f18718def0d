//! Thread and post fields, parsed at the edge.

use crate::error::AppError;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 100_000;

/// A thread title: trimmed, 1 to 200 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        // One line of text: tabs and line breaks become spaces, other control characters go.
        let title: String = raw
            .chars()
            .filter_map(|c| match c {
                c if c.is_whitespace() && c.is_control() => Some(' '),
                c if c.is_control() => None,
                c => Some(c),
            })
            .collect();
        let title = title.trim();
        if title.is_empty() {
            return Err("Give your thread a title.");
        }
        if title.chars().count() > MAX_TITLE_CHARS {
            return Err("Keep the title to 200 characters or fewer.");
        }
        Ok(Title(title.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Markdown body: not blank, at most 100 000 characters. Kept exactly as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body(String);

impl Body {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        if raw.trim().is_empty() {
            return Err("Write something first.");
        }
        if raw.chars().count() > MAX_BODY_CHARS {
            return Err("That is longer than 100 000 characters; split it into several posts.");
        }
        Ok(Body(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a thread is. Members start discussions and questions; every domain has one
/// introductions thread (made for it, or listed in a community file); events have their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadKind {
    Discussion,
    Question,
    Introduction,
}

impl ThreadKind {
    /// The kinds a member chooses when starting a thread.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match raw {
            "" | "discussion" => Ok(ThreadKind::Discussion),
            "question" => Ok(ThreadKind::Question),
            _ => Err("Choose a discussion or a question."),
        }
    }

    /// The kinds a community file may give a starter thread: those, or the introductions.
    pub fn parse_starter(raw: &str) -> Result<Self, &'static str> {
        match raw {
            "introduction" => Ok(ThreadKind::Introduction),
            _ => ThreadKind::parse(raw)
                .map_err(|_| "must be \"discussion\", \"question\" or \"introduction\""),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ThreadKind::Discussion => "discussion",
            ThreadKind::Question => "question",
            ThreadKind::Introduction => "introduction",
        }
    }
}

/// Who may read a domain; the database's `domains.visibility`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    Public,
    Private,
}

impl Visibility {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match raw {
            "public" => Ok(Visibility::Public),
            "private" => Ok(Visibility::Private),
            _ => Err("Choose public or private."),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Private => "private",
        }
    }
}

/// A domain's address: lower-case ASCII letters, digits and single hyphens, at most 60
/// characters, e.g. `market-gardening`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let valid = !raw.is_empty()
            && raw.len() <= 60
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && !raw.contains("--")
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if valid {
            Ok(Slug(raw.to_string()))
        } else {
            Err("Use lower-case letters, digits and single hyphens, at most 60 characters, e.g. market-gardening.")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// In a URL (`Path<Slug>`), anything that is not a valid slug names no domain: 404.
impl<'de> serde::Deserialize<'de> for Slug {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Slug::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl std::ops::Deref for Slug {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A domain's name: trimmed, 1 to 100 characters.
pub fn domain_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err("Give the domain a name of at most 100 characters.");
    }
    Ok(name.to_string())
}

/// An id from a URL. Anything that is not a positive 64-bit integer names nothing: 404.
pub fn parse_id(raw: &str) -> Result<i64, AppError> {
    crate::web::path::parse_positive_id(raw).ok_or(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert_eq!(Title::parse("  Hello  ").unwrap().as_str(), "Hello");
        assert!(Title::parse(" \t\n").is_err());
        assert!(Title::parse(&"é".repeat(200)).is_ok());
        assert!(Title::parse(&"é".repeat(201)).is_err());
        assert_eq!(
            Title::parse("Two\nlines\tand a\u{7}bell\u{1b}")
                .unwrap()
                .as_str(),
            "Two lines and abell"
        );
        assert!(Title::parse("\u{0}\u{7}").is_err());
    }

    #[test]
    fn bodies() {
        assert!(Body::parse("  \n ").is_err());
        assert!(Body::parse(&"x".repeat(100_000)).is_ok());
        assert!(Body::parse(&"x".repeat(100_001)).is_err());
        assert_eq!(Body::parse(" keep\n").unwrap().as_str(), " keep\n");
    }

    #[test]
    fn slugs() {
        assert!(Slug::parse("home-gardens").is_ok());
        assert!(Slug::parse("k8s").is_ok());
        for bad in ["Home", "-a", "a-", "a--b", "", "é", &"a".repeat(61)] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_and_visibility() {
        assert_eq!(ThreadKind::parse("").unwrap(), ThreadKind::Discussion);
        assert!(ThreadKind::parse("introduction").is_err());
        assert_eq!(
            ThreadKind::parse_starter("introduction").unwrap(),
            ThreadKind::Introduction
        );
        assert!(Visibility::parse("secret").is_err());
        assert_eq!(Visibility::parse("private").unwrap().as_str(), "private");
    }

    #[test]
    fn ids() {
        assert_eq!(parse_id("42").unwrap(), 42);
        assert!(parse_id("abc").is_err());
        assert!(parse_id("99999999999999999999").is_err());
        assert!(parse_id("-1").is_err());
        assert!(parse_id("0").is_err());
    }
}
