//! Thread and post fields, parsed at the edge.

use crate::error::AppError;

pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 100_000;

/// A thread title: trimmed, 1 to 200 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let title = raw.trim();
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThreadKind {
    Discussion,
    Question,
}

impl ThreadKind {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match raw {
            "" | "discussion" => Ok(ThreadKind::Discussion),
            "question" => Ok(ThreadKind::Question),
            _ => Err("Choose a discussion or a question."),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ThreadKind::Discussion => "discussion",
            ThreadKind::Question => "question",
        }
    }
}

/// An id from a URL. Anything that is not a positive 64-bit integer names nothing: 404.
pub fn parse_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)
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
    }

    #[test]
    fn bodies() {
        assert!(Body::parse("  \n ").is_err());
        assert!(Body::parse(&"x".repeat(100_000)).is_ok());
        assert!(Body::parse(&"x".repeat(100_001)).is_err());
        assert_eq!(Body::parse(" keep\n").unwrap().as_str(), " keep\n");
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
