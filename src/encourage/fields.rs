//! Encourage's vocabulary: the three reactions, as the database spells them.

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
