//! The one parser for a new domain, used by the `/admin` form and by community files.

use crate::cultivate::fields::{Charter, Problem};
use crate::forum::fields::{domain_name, Slug, Visibility};

/// A new domain as typed, before checking.
pub struct DomainInput<'a> {
    pub name: &'a str,
    pub slug: &'a str,
    pub charter: &'a str,
    pub practice_focus: &'a str,
    pub audience: &'a str,
    pub visibility: &'a str,
}

pub struct DomainFields {
    pub name: String,
    pub slug: Slug,
    pub charter: Charter,
    pub visibility: Visibility,
}

impl DomainFields {
    /// Every problem, each with its field: the name, the address (slug), the charter's limits
    /// (the same as when a facilitator edits it) and the visibility.
    pub fn parse(input: &DomainInput<'_>) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let name = domain_name(input.name)
            .map_err(|why| problems.push(("name", why)))
            .ok();
        let slug = Slug::parse(input.slug.trim())
            .map_err(|why| problems.push(("slug", why)))
            .ok();
        let charter = Charter::parse(input.charter, input.practice_focus, input.audience)
            .map_err(|found| problems.extend(found))
            .ok();
        let visibility = Visibility::parse(input.visibility)
            .map_err(|why| problems.push(("visibility", why)))
            .ok();
        match (name, slug, charter, visibility) {
            (Some(name), Some(slug), Some(charter), Some(visibility)) => Ok(DomainFields {
                name,
                slug,
                charter,
                visibility,
            }),
            _ => Err(problems),
        }
    }
}
