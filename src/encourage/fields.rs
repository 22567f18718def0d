//! Encourage's vocabulary: the three reactions, as the database spells them, and why
//! something is in the spotlight.

/// (database value, label) for each reaction, in the order posts show them.
pub const KINDS: [(&str, &str); 3] = [
    ("helpful", "Helpful"),
    ("thanks", "Thanks"),
    ("insightful", "Insightful"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReactionKind {
    Helpful,
    Thanks,
    Insightful,
}

impl ReactionKind {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match raw {
            "helpful" => Ok(Self::Helpful),
            "thanks" => Ok(Self::Thanks),
            "insightful" => Ok(Self::Insightful),
            _ => Err("Choose helpful, thanks or insightful."),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Helpful => "helpful",
            Self::Thanks => "thanks",
            Self::Insightful => "insightful",
        }
    }
}

/// Why a facilitator features something: required, at most 500 characters, shown beside it.
pub fn spotlight_reason(raw: &str) -> Result<&str, &'static str> {
    let reason = raw.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err("Say why you feature it, in at most 500 characters.");
    }
    Ok(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_kind_parses_to_itself() {
        for (kind, _) in KINDS {
            assert_eq!(
                ReactionKind::parse(kind).map(ReactionKind::as_str),
                Ok(kind)
            );
        }
        assert!(ReactionKind::parse("like").is_err());
    }
}
