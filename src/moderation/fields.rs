//! Moderation's form fields, parsed at the edge: a reason for hiding, a ban's length.

use serde::Deserialize;
use time::OffsetDateTime;

use crate::error::{AppError, Result};

/// Why something is hidden: required, at most 500 characters, shown to facilitators and to
/// the author.
pub fn hiding_reason(raw: &str) -> std::result::Result<String, &'static str> {
    let reason = raw.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(
            "Say why, in at most 500 characters: the reason is shown to facilitators and to the author.",
        );
    }
    Ok(reason.to_string())
}

/// `hiding_reason`, for a form that answers a problem with an error page.
pub fn reason_for_hiding(raw: &str) -> Result<String> {
    hiding_reason(raw).map_err(|problem| AppError::BadRequest(problem.into()))
}

/// A ban's end: `forever` is 9999-12-31; otherwise 1 to 3650 days from now.
pub fn ban_end(days: &str) -> Result<OffsetDateTime> {
    if days.trim() == "forever" {
        return Ok(time::macros::datetime!(9999-12-31 00:00 UTC));
    }
    let days: i64 = days
        .trim()
        .parse()
        .ok()
        .filter(|d| (1..=3650).contains(d))
        .ok_or_else(|| {
            AppError::BadRequest("Give a number of days from 1 to 3650, or choose for good.".into())
        })?;
    Ok(OffsetDateTime::now_utc() + time::Duration::days(days))
}

/// An optional reason given with an act: at most 500 characters.
pub fn optional_reason(raw: &str) -> Result<&str> {
    let reason = raw.trim();
    if reason.chars().count() > 500 {
        return Err(AppError::BadRequest(
            "Keep the reason to 500 characters or fewer.".into(),
        ));
    }
    Ok(reason)
}

/// The moderation box of a thread or a post: an action, and a reason where one is asked for.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ModerateForm {
    pub action: String,
    pub reason: String,
}

/// What a facilitator does to a thread or a post from its moderation box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModerationAction {
    Pin,
    Unpin,
    Lock,
    Unlock,
    Hide,
    Restore,
}

impl ModerationAction {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "pin" => Self::Pin,
            "unpin" => Self::Unpin,
            "lock" => Self::Lock,
            "unlock" => Self::Unlock,
            "hide" => Self::Hide,
            "restore" => Self::Restore,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pin => "pin",
            Self::Unpin => "unpin",
            Self::Lock => "lock",
            Self::Unlock => "unlock",
            Self::Hide => "hide",
            Self::Restore => "restore",
        }
    }

    pub fn past_tense(self) -> &'static str {
        match self {
            Self::Pin => "pinned",
            Self::Unpin => "unpinned",
            Self::Lock => "locked",
            Self::Unlock => "unlocked",
            Self::Hide => "hidden",
            Self::Restore => "restored",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip_and_reject_junk() {
        for raw in ["pin", "unpin", "lock", "unlock", "hide", "restore"] {
            assert_eq!(ModerationAction::parse(raw).map(|a| a.as_str()), Some(raw));
        }
        assert_eq!(ModerationAction::parse("delete"), None);
    }

    #[test]
    fn bans_last_from_a_day_to_ten_years_or_for_good() {
        assert!(ban_end("0").is_err() && ban_end("3651").is_err() && ban_end("x").is_err());
        assert!(ban_end(" 7 ").is_ok());
        assert_eq!(ban_end("forever").unwrap().year(), 9999);
    }
}

/// What a facilitator does to a member of their domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberAction {
    Remove,
    Ban,
    Unban,
}

impl MemberAction {
    /// From the URL: `remove`, `ban` or `unban`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "remove" => Some(Self::Remove),
            "ban" => Some(Self::Ban),
            "unban" => Some(Self::Unban),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Remove => "remove",
            Self::Ban => "ban",
            Self::Unban => "unban",
        }
    }
}

/// A member's flag as sent: why, and a note (required for "other").
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct FlagForm {
    pub reason: String,
    pub note: String,
}

impl FlagForm {
    /// The reason, if it is one of those `offered`, and the note, trimmed: at most 1000
    /// characters, and not empty for "other". A problem comes with the field it belongs to.
    pub fn check(
        &self,
        offered: &[FlagReason],
    ) -> std::result::Result<(FlagReason, &str), (&'static str, String)> {
        let reason = FlagReason::parse(&self.reason)
            .filter(|r| offered.contains(r))
            .ok_or_else(|| {
                let names: Vec<&str> = offered.iter().map(|r| r.as_str()).collect();
                let choices = match names.split_last() {
                    Some((last, [])) => last.to_string(),
                    Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                    None => String::new(),
                };
                ("reason", format!("Choose why: {choices}."))
            })?;
        let note = self.note.trim();
        if note.chars().count() > 1000 {
            return Err(("note", "Keep the note to at most 1000 characters.".into()));
        }
        if reason == FlagReason::Other && note.is_empty() {
            return Err((
                "note",
                "For “something else”, say in the note what is wrong.".into(),
            ));
        }
        Ok((reason, note))
    }
}

/// Why a member flags a post or a message; stored as the database's `reason` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagReason {
    Spam,
    OffTopic,
    Inappropriate,
    Other,
}

impl FlagReason {
    /// What a post may be flagged for.
    pub const FOR_POSTS: [FlagReason; 4] = [
        FlagReason::Spam,
        FlagReason::OffTopic,
        FlagReason::Inappropriate,
        FlagReason::Other,
    ];
    /// A private message has no topic to stray from.
    pub const FOR_MESSAGES: [FlagReason; 3] = [
        FlagReason::Spam,
        FlagReason::Inappropriate,
        FlagReason::Other,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "spam" => Self::Spam,
            "off-topic" => Self::OffTopic,
            "inappropriate" => Self::Inappropriate,
            "other" => Self::Other,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Spam => "Spam",
            Self::OffTopic => "Off-topic",
            Self::Inappropriate => "Inappropriate",
            Self::Other => "Something else",
        }
    }

    /// What the reason covers, shown beside it so a member can tell them apart.
    pub fn explained(self) -> &'static str {
        match self {
            Self::Spam => "an advertisement, or posted to sell rather than to help",
            Self::OffTopic => "not about this thread or this domain",
            Self::Inappropriate => "rude, hurtful, or against the community's charter",
            Self::Other => "anything else that needs a look; say what in the note",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spam => "spam",
            Self::OffTopic => "off-topic",
            Self::Inappropriate => "inappropriate",
            Self::Other => "other",
        }
    }
}

/// A facilitator's verdict on a post's open flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The post is hidden.
    Agreed,
    /// The flags are cleared, and a hide the flags caused is undone.
    Disagreed,
}

impl Verdict {
    /// From the URL: `agree` or `disagree`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "agree" => Some(Self::Agreed),
            "disagree" => Some(Self::Disagreed),
            _ => None,
        }
    }

    /// The database's `flags.outcome` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agreed => "agreed",
            Self::Disagreed => "disagreed",
        }
    }
}
