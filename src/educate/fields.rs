//! Repertoire entry fields, parsed at the edge.

pub const KINDS: [&str; 5] = ["story", "tool", "case", "lesson", "how-to"];
const MAX_SUMMARY_CHARS: usize = 500;

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
    fn kinds() {
        assert_eq!(EntryKind::parse("how-to").unwrap(), EntryKind::HowTo);
        assert!(EntryKind::parse("recipe").is_err());
    }
}
