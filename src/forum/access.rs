//! What a viewer may do in a domain. Every handler that touches a domain's content asks this one
//! type, built from the membership row that the content's own query joined — never from a domain
//! named in the request — so a facilitator's powers stop at the edge of their domain.
//!
//! Whether the viewer may read the domain at all is not decided here: the query reads it from
//! the database's `domain_readable` function (migrations, `readable.sql`), the one definition
//! that every list query uses too.

use time::OffsetDateTime;

use crate::error::AppError;
use crate::web::CurrentUser;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Outsider,
    Member,
    Facilitator,
}

impl Role {
    pub fn from_column(role: Option<&str>) -> Role {
        match role {
            Some("facilitator") => Role::Facilitator,
            Some("member") => Role::Member,
            _ => Role::Outsider,
        }
    }
}

const BANNED: &str = "You are banned from this domain: you can read it, but not post or change \
                      anything in it.";

#[derive(Clone, Copy, Debug)]
pub struct Access {
    pub role: Role,
    pub banned: bool,
    pub is_admin: bool,
    /// From `domain_readable(domain, viewer)`, computed by the query that loaded the content.
    pub readable: bool,
}

impl Access {
    pub fn new(
        viewer: Option<&CurrentUser>,
        readable: bool,
        role: Option<&str>,
        banned_until: Option<OffsetDateTime>,
    ) -> Access {
        Access {
            role: if viewer.is_some() {
                Role::from_column(role)
            } else {
                Role::Outsider
            },
            banned: banned_until.is_some_and(|until| until > OffsetDateTime::now_utc()),
            is_admin: viewer.is_some_and(|u| u.is_admin),
            readable,
        }
    }

    /// Private and archived domains are invisible to outsiders (the rule is in SQL).
    pub fn can_read(&self) -> bool {
        self.readable
    }

    pub fn is_member(&self) -> bool {
        self.role != Role::Outsider
    }

    /// Members who are not banned post; admins must join like anyone else.
    pub fn can_post(&self) -> bool {
        self.is_member() && !self.banned
    }

    /// Facilitators of this domain, and admins, see hidden content and moderate (never in an
    /// archived domain, which nobody reads).
    pub fn can_moderate(&self) -> bool {
        self.readable && (self.role == Role::Facilitator || self.is_admin)
    }

    /// A 404 for what the viewer may not see, so private content's existence is not revealed.
    pub fn require_read(&self) -> Result<(), AppError> {
        if self.can_read() {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// 404 for what the viewer may not read, 403 (saying `why`) when they read it but do not
    /// facilitate it.
    pub fn require_moderate(&self, why: &'static str) -> Result<(), AppError> {
        self.require_read()?;
        if !self.can_moderate() {
            return Err(AppError::Forbidden(why));
        }
        Ok(())
    }

    /// A ban makes the domain read-only for the member: no posting, and no editing, deleting,
    /// retitling, reporting, accepting or flagging either.
    pub fn require_not_banned(&self) -> Result<(), AppError> {
        if self.banned {
            return Err(AppError::Forbidden(BANNED));
        }
        Ok(())
    }

    pub fn require_post(&self) -> Result<(), AppError> {
        self.require_read()?;
        self.require_not_banned()?;
        if !self.is_member() {
            return Err(AppError::Forbidden("Join this domain to post in it."));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(is_admin: bool) -> CurrentUser {
        CurrentUser {
            id: 1,
            username: "ana".into(),
            display_name: "Ana".into(),
            is_admin,
            unread_notifications: 0,
        }
    }

    #[test]
    fn unreadable_domains_answer_not_found_and_allow_nothing() {
        let outsider = Access::new(Some(&user(true)), false, None, None);
        assert!(matches!(outsider.require_read(), Err(AppError::NotFound)));
        assert!(!outsider.can_moderate() && !outsider.can_post());
        assert!(Access::new(None, true, None, None).require_read().is_ok());
    }

    #[test]
    fn banned_members_read_but_do_not_post() {
        let later = OffsetDateTime::now_utc() + time::Duration::days(1);
        let banned = Access::new(Some(&user(false)), true, Some("member"), Some(later));
        assert!(banned.can_read() && !banned.can_post());
        let earlier = OffsetDateTime::now_utc() - time::Duration::days(1);
        let served = Access::new(Some(&user(false)), true, Some("member"), Some(earlier));
        assert!(served.can_post());
    }

    #[test]
    fn a_role_without_a_viewer_is_ignored() {
        assert_eq!(
            Access::new(None, true, Some("facilitator"), None).role,
            Role::Outsider
        );
    }
}
