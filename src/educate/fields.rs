//! Repertoire entry fields, parsed at the edge.

pub const KINDS: [&str; 5] = ["story", "tool", "case", "lesson", "how-to"];
const MAX_SUMMARY_CHARS: usize = 500;
const MAX_TAGS: usize = 12;
const MAX_TAG_CHARS: usize = 40;

/// What a repertoire entry is; the database's `repertoire_entries.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Story,
    Tool,
    Case,
    Lesson,
    HowTo,
}

impl EntryKind {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        Ok(match raw {
            "story" => Self::Story,
            "tool" => Self::Tool,
            "case" => Self::Case,
            "lesson" => Self::Lesson,
            "how-to" => Self::HowTo,
            _ => return Err("Choose a kind: story, tool, case, lesson or how-to."),
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Story => "story",
            Self::Tool => "tool",
            Self::Case => "case",
            Self::Lesson => "lesson",
            Self::HowTo => "how-to",
        }
    }
}

pub fn summary(raw: &str) -> Result<String, &'static str> {
    let summary = raw.trim();
    if summary.chars().count() > MAX_SUMMARY_CHARS {
        return Err("Keep the summary to 500 characters or fewer.");
    }
    Ok(summary.to_string())
}

/// One tag as stored: lower-case, with its white space trimmed and folded to single spaces.
pub fn normalise(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Normalised, deduplicated tags from a list nobody typed into a form (a community file, the
/// expertise list), quietly leaving out those with no letter or digit.
pub fn normalise_all(raw: &[String]) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw.iter().map(|t| normalise(t)) {
        if tag.chars().any(char::is_alphanumeric) && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags
}

/// Tags from a comma-separated list: lower-case, trimmed, deduplicated. A tag with no letter or
/// digit is refused rather than silently dropped, so the member sees what happened.
pub fn tags(raw: &str) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for part in raw.split(',') {
        let tag = normalise(part);
        if tag.is_empty() {
            continue;
        }
        if !tag.chars().any(char::is_alphanumeric) {
            return Err(format!(
                "“{tag}” is not a tag: a tag needs a letter or a digit."
            ));
        }
        if tag.chars().count() > MAX_TAG_CHARS {
            return Err("Keep each tag to 40 characters or fewer.".into());
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err("Use at most 12 tags.".into());
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_kind_parses_to_itself() {
        for kind in KINDS {
            assert_eq!(EntryKind::parse(kind).map(EntryKind::as_str), Ok(kind));
        }
        assert!(EntryKind::parse("recipe").is_err());
    }

    #[test]
    fn tags_are_normalised_and_punctuation_refused() {
        assert_eq!(
            tags(" Soil,  soil , No  Dig,,").unwrap(),
            vec!["soil", "no dig"]
        );
        assert!(tags("soil, !!!").unwrap_err().contains("“!!!”"));
        assert!(tags(&"x".repeat(41)).is_err(), "a tag over 40 characters");
        let many = (0..13)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(tags(&many).is_err());
        assert_eq!(tags("").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn lists_drop_punctuation_quietly() {
        let raw = vec![
            " Soil ".to_string(),
            "soil".into(),
            "!!!".into(),
            "No  Dig".into(),
        ];
        assert_eq!(normalise_all(&raw), vec!["soil", "no dig"]);
    }

    #[test]
    fn kinds() {
        assert_eq!(EntryKind::parse("how-to").unwrap(), EntryKind::HowTo);
        assert!(EntryKind::parse("recipe").is_err());
    }
}
