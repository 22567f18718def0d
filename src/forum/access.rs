//! What a viewer may do in a domain. Every handler that touches a domain's content asks this one
//! type, built from the membership row that the content's own query joined — never from a domain
//! named in the request — so a facilitator's powers stop at the edge of their domain.

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

#[derive(Clone, Copy, Debug)]
pub struct Access {
    pub role: Role,
    pub banned: bool,
    pub is_admin: bool,
    pub is_public: bool,
}

impl Access {
    pub fn new(
        viewer: Option<&CurrentUser>,
        visibility: &str,
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
            is_public: visibility == "public",
        }
    }

    /// Private domains are invisible to outsiders; admins see everything.
    pub fn can_read(&self) -> bool {
        self.is_public || self.role != Role::Outsider || self.is_admin
    }

    pub fn is_member(&self) -> bool {
        self.role != Role::Outsider
    }

    /// Members who are not banned post; admins must join like anyone else.
    pub fn can_post(&self) -> bool {
        self.is_member() && !self.banned
    }

    /// Facilitators of this domain, and admins, see hidden content and moderate.
    pub fn can_moderate(&self) -> bool {
        self.role == Role::Facilitator || self.is_admin
    }

    /// A 404 for what the viewer may not see, so private content's existence is not revealed.
    pub fn require_read(&self) -> Result<(), AppError> {
        if self.can_read() {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    pub fn require_post(&self) -> Result<(), AppError> {
        self.require_read()?;
        if self.banned {
            return Err(AppError::Forbidden(
                "You are banned from posting in this domain.",
            ));
        }
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
    fn private_domains_are_for_members_and_admins() {
        assert!(!Access::new(None, "private", None, None).can_read());
        assert!(!Access::new(Some(&user(false)), "private", None, None).can_read());
        assert!(Access::new(Some(&user(false)), "private", Some("member"), None).can_read());
        assert!(Access::new(Some(&user(true)), "private", None, None).can_read());
        assert!(Access::new(None, "public", None, None).can_read());
    }

    #[test]
    fn banned_members_read_but_do_not_post() {
        let later = OffsetDateTime::now_utc() + time::Duration::days(1);
        let banned = Access::new(Some(&user(false)), "public", Some("member"), Some(later));
        assert!(banned.can_read() && !banned.can_post());
        let earlier = OffsetDateTime::now_utc() - time::Duration::days(1);
        let served = Access::new(Some(&user(false)), "public", Some("member"), Some(earlier));
        assert!(served.can_post());
    }

    #[test]
    fn a_role_without_a_viewer_is_ignored() {
        assert_eq!(
            Access::new(None, "public", Some("facilitator"), None).role,
            Role::Outsider
        );
    }
}
