//! Knowledge upkeep: a repertoire that stays true. Each entry has a steward (its curator, until
//! a facilitator names another member), a review-by date (its domain's period after it was
//! written or last verified; 12 months unless the domain sets another) and a state: current,
//! needs review, outdated, or obsolete with a pointer to what replaces it.
//!
//! An entry enters its domain's review queue (`/d/{slug}/review`) in two ways: its date comes
//! (`mark_due`, a daily job), or its practice reports go against it (more "did not work" than
//! "worked" among its last `RECENT_REPORTS`, checked as each report is filed or changed). Its
//! steward or a facilitator then verifies it (current again, with a new date), dates it,
//! marks it outdated, or retires it for a replacement, at `/r/{id}/upkeep`; every such act,
//! the site's own included, is in the entry's upkeep history.

pub mod queries;
pub mod routes;
pub mod views;

/// An entry's state, the database's `repertoire_entries.state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryState {
    Current,
    NeedsReview,
    Outdated,
    Obsolete,
}

impl EntryState {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "current" => Self::Current,
            "needs_review" => Self::NeedsReview,
            "outdated" => Self::Outdated,
            "obsolete" => Self::Obsolete,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::NeedsReview => "needs_review",
            Self::Outdated => "outdated",
            Self::Obsolete => "obsolete",
        }
    }

    /// In lists and on the entry.
    pub fn label(self) -> &'static str {
        match self {
            Self::Current => "current",
            Self::NeedsReview => "needs review",
            Self::Outdated => "outdated",
            Self::Obsolete => "obsolete",
        }
    }
}

/// The label of a stored state (lists carry it as text).
pub fn state_label(raw: &str) -> &'static str {
    EntryState::parse(raw).map_or("current", EntryState::label)
}

/// How many of an entry's newest practice reports decide whether they go against it.
pub const RECENT_REPORTS: i64 = 5;

/// A review date as written in the upkeep form or a community file: `YYYY-MM-DD`.
pub fn review_date(raw: &str) -> Result<time::Date, &'static str> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(raw.trim(), &format).map_err(|_| "Give a date, as 2027-03-31.")
}
