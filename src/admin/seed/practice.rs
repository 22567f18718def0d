//! The parts of a community file that record a community's practice, not only its talk:
//! reactions and accepted answers on posts, practice reports (with how far their value went)
//! on threads and repertoire entries, entries made from an accepted answer, newcomers, mentor
//! offers and mentorships. Each is checked by the parser its web form uses and written as
//! history: nobody is notified of it.

use std::collections::HashSet;

use serde::Deserialize;
use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;
use toml::Spanned;

use super::loader::{Checker, SeedFailure, SeedReport};
use crate::cultivate::mentoring::fields as mentoring;
use crate::encourage::fields::ReactionKind;
use crate::integrate::fields::{ReportContent, ReportInput};
use crate::integrate::queries::{self as integrate, Subject};

/// Who reacted to a post, by kind: `reactions = { helpful = ["raj"], thanks = ["lucia"] }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReactionsSpec {
    #[serde(default)]
    helpful: Vec<Spanned<String>>,
    #[serde(default)]
    thanks: Vec<Spanned<String>>,
    #[serde(default)]
    insightful: Vec<Spanned<String>>,
}

impl ReactionsSpec {
    fn each(&self) -> impl Iterator<Item = (ReactionKind, &Spanned<String>)> {
        let kinds = [
            (ReactionKind::Helpful, &self.helpful),
            (ReactionKind::Thanks, &self.thanks),
            (ReactionKind::Insightful, &self.insightful),
        ];
        kinds
            .into_iter()
            .flat_map(|(kind, people)| people.iter().map(move |who| (kind, who)))
    }
}

/// A practice report on the thread or entry it sits under.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReportSpec {
    author: Spanned<String>,
    outcome: Spanned<String>,
    #[serde(default)]
    context: String,
    #[serde(default)]
    tried: String,
    #[serde(default)]
    reflection: String,
    /// How far the value went: any of immediate, potential, applied, realized, reframing.
    #[serde(default)]
    value: Vec<String>,
    /// When it was filed; two days after the report before it (or after what it is about)
    /// when left out, and never before that.
    #[serde(default)]
    pub days_ago: Option<Spanned<u16>>,
}

impl ReportSpec {
    fn input(&self) -> ReportInput<'_> {
        ReportInput {
            context: &self.context,
            tried: &self.tried,
            outcome: self.outcome.get_ref(),
            reflection: &self.reflection,
            value_stages: self.value.iter().map(String::as_str).collect(),
        }
    }
}

/// A member offering to mentor in the domain on some topics.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MentorSpec {
    member: Spanned<String>,
    tags: Vec<String>,
}

impl MentorSpec {
    fn tags(&self) -> Result<Vec<String>, String> {
        mentoring::offer_tags(&self.tags.join(","))
    }
}

/// A newcomer's request for a mentor: paired with `mentor` (who offered), or waiting for a
/// facilitator to choose when there is none.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MentorshipSpec {
    newcomer: Spanned<String>,
    #[serde(default)]
    mentor: Option<Spanned<String>>,
    #[serde(default)]
    note: String,
}

/// Who is in a domain (lower-case usernames), and its slug, for the checks.
pub(super) struct DomainPeople<'a> {
    pub slug: &'a str,
    pub members: &'a HashSet<String>,
}

impl Checker<'_> {
    /// Reactors are in the domain and react to someone else's post.
    pub(super) fn reactions(
        &self,
        reactions: &ReactionsSpec,
        post_author: &Spanned<String>,
        people: &DomainPeople<'_>,
    ) -> Result<(), SeedFailure> {
        for (_, who) in reactions.each() {
            self.author(who, people.members, people.slug)?;
            if who.get_ref().eq_ignore_ascii_case(post_author.get_ref()) {
                let problem = format!(
                    "reactions: `{}` cannot react to their own post",
                    who.get_ref()
                );
                return Err(self.error(who, problem));
            }
        }
        Ok(())
    }

    /// A report's author is in the domain, and the report passes the report form's parser.
    pub(super) fn report(
        &self,
        report: &ReportSpec,
        people: &DomainPeople<'_>,
    ) -> Result<(), SeedFailure> {
        self.author(&report.author, people.members, people.slug)?;
        self.days_ago(report.days_ago.as_ref())?;
        if let Err(problems) = ReportContent::parse(&report.input()) {
            let (field, why) = problems
                .first()
                .copied()
                .unwrap_or(("outcome", "is not valid"));
            let at = match field {
                "outcome" => &report.outcome,
                _ => &report.author,
            };
            let field = match field {
                "value_stages" => "value",
                other => other,
            };
            return Err(self.error(at, format!("{field}: {why}")));
        }
        Ok(())
    }

    /// Only a question has an accepted answer, and only one.
    pub(super) fn accepted(
        &self,
        kind: &str,
        accepted: &[&Spanned<String>],
    ) -> Result<(), SeedFailure> {
        match accepted {
            [] => Ok(()),
            [first, ..] if kind != "question" => Err(self.error(
                first,
                "accepted: only questions have accepted answers".into(),
            )),
            [_, second, ..] => Err(self.error(
                second,
                "accepted: a question has one accepted answer".into(),
            )),
            [_] => Ok(()),
        }
    }

    /// Mentors are in the domain, offer once, and name topics the mentors page would take.
    pub(super) fn mentors(
        &self,
        mentors: &[MentorSpec],
        people: &DomainPeople<'_>,
    ) -> Result<(), SeedFailure> {
        let mut seen = HashSet::new();
        for mentor in mentors {
            self.author(&mentor.member, people.members, people.slug)?;
            if !seen.insert(mentor.member.get_ref().to_lowercase()) {
                let problem = format!("mentors: `{}` is listed twice", mentor.member.get_ref());
                return Err(self.error(&mentor.member, problem));
            }
            mentor
                .tags()
                .map_err(|why| self.error(&mentor.member, format!("tags: {why}")))?;
        }
        Ok(())
    }

    /// Each newcomer asks once, with a note the form would take, for a mentor who offered
    /// in the domain (in this file or on the site), never themself. `offered` holds the
    /// lower-case usernames of those with an offer on the site already.
    pub(super) fn mentorships(
        &self,
        mentorships: &[MentorshipSpec],
        mentors: &[MentorSpec],
        offered: &HashSet<String>,
        people: &DomainPeople<'_>,
        domain_name: &str,
    ) -> Result<(), SeedFailure> {
        let mut asked = HashSet::new();
        for request in mentorships {
            let newcomer = &request.newcomer;
            self.author(newcomer, people.members, people.slug)?;
            if !asked.insert(newcomer.get_ref().to_lowercase()) {
                let problem = format!("mentorships: `{}` asks twice", newcomer.get_ref());
                return Err(self.error(newcomer, problem));
            }
            mentoring::note(&request.note)
                .map_err(|why| self.error(newcomer, format!("note: {why}")))?;
            let Some(mentor) = &request.mentor else {
                continue;
            };
            let wanted = mentor.get_ref().to_lowercase();
            let has_offered = offered.contains(&wanted)
                || mentors
                    .iter()
                    .any(|m| m.member.get_ref().eq_ignore_ascii_case(&wanted));
            if !has_offered || wanted == newcomer.get_ref().to_lowercase() {
                let why = mentoring::not_offered(mentor.get_ref(), domain_name);
                return Err(self.error(mentor, format!("mentor: {why}")));
            }
        }
        Ok(())
    }
}

/// The lower-case usernames of those who offer to mentor in the domain `slug` on the site.
pub(super) async fn offered_on_site(
    tx: &mut Transaction<'_, Postgres>,
    slug: &str,
) -> Result<HashSet<String>, SeedFailure> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT lower(u.username) FROM mentor_offers o
           JOIN users u ON u.id = o.user_id JOIN domains d ON d.id = o.domain_id
          WHERE d.slug = $1",
    )
    .bind(slug)
    .fetch_all(&mut **tx)
    .await?;
    Ok(names.into_iter().collect())
}

/// Looks a username up among the site's users.
pub(super) type IdOf<'a> = &'a (dyn Fn(&Spanned<String>) -> Option<i64> + Sync);

pub(super) async fn write_reactions(
    tx: &mut Transaction<'_, Postgres>,
    post_id: i64,
    reactions: &ReactionsSpec,
    id_of: IdOf<'_>,
    at: OffsetDateTime,
    report: &mut SeedReport,
) -> Result<(), SeedFailure> {
    for (kind, who) in reactions.each() {
        let Some(user_id) = id_of(who) else {
            continue;
        };
        let added = sqlx::query(
            "INSERT INTO reactions (post_id, user_id, kind, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
        )
        .bind(post_id)
        .bind(user_id)
        .bind(kind.as_str())
        .bind(at)
        .execute(&mut **tx)
        .await?;
        report.reactions += added.rows_affected() as usize;
    }
    Ok(())
}

/// Marks a seeded reply as its question's accepted answer, as of when it was written.
pub(super) async fn accept(
    tx: &mut Transaction<'_, Postgres>,
    thread_id: i64,
    post_id: i64,
    at: OffsetDateTime,
) -> Result<(), SeedFailure> {
    sqlx::query("UPDATE threads SET accepted_post_id = $2, accepted_at = $3 WHERE id = $1")
        .bind(thread_id)
        .bind(post_id)
        .bind(at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Files reports on `subject` through Integrate, so an entry's tallies, commitments and
/// review state follow as they do for a report filed on the site; each is dated by `times`.
pub(super) async fn write_reports(
    tx: &mut Transaction<'_, Postgres>,
    subject: Subject,
    reports: &[ReportSpec],
    id_of: IdOf<'_>,
    times: &[OffsetDateTime],
    report: &mut SeedReport,
) -> Result<(), SeedFailure> {
    for (spec, filed_at) in reports.iter().zip(times.iter().copied()) {
        let (Some(author), Ok(content)) =
            (id_of(&spec.author), ReportContent::parse(&spec.input()))
        else {
            continue;
        };
        integrate::file(tx, subject, author, content, Some(filed_at)).await?;
        report.reports += 1;
    }
    Ok(())
}

/// Offers and mentorships the domain does not have yet; a request is made at `asked_at(id)`
/// of its newcomer, and paired at once when it names its mentor.
pub(super) async fn write_mentoring(
    tx: &mut Transaction<'_, Postgres>,
    domain_id: i64,
    mentors: &[MentorSpec],
    mentorships: &[MentorshipSpec],
    id_of: IdOf<'_>,
    asked_at: impl Fn(i64) -> OffsetDateTime,
    report: &mut SeedReport,
) -> Result<(), SeedFailure> {
    for mentor in mentors {
        let (Some(user_id), Ok(tags)) = (id_of(&mentor.member), mentor.tags()) else {
            continue;
        };
        let added = sqlx::query(
            "INSERT INTO mentor_offers (domain_id, user_id, tags) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(domain_id)
        .bind(user_id)
        .bind(&tags)
        .execute(&mut **tx)
        .await?;
        report.mentors += added.rows_affected() as usize;
    }
    for request in mentorships {
        let Some(newcomer) = id_of(&request.newcomer) else {
            continue;
        };
        let mentor = request.mentor.as_ref().and_then(id_of);
        let asked = asked_at(newcomer);
        let added = sqlx::query(
            "INSERT INTO mentorships (domain_id, newcomer_id, mentor_id, note, requested_at, paired_at)
             VALUES ($1, $2, $3, $4, $5, CASE WHEN $3::bigint IS NULL THEN NULL ELSE $5 END)
             ON CONFLICT (domain_id, newcomer_id) DO NOTHING",
        )
        .bind(domain_id)
        .bind(newcomer)
        .bind(mentor)
        .bind(request.note.trim())
        .bind(asked)
        .execute(&mut **tx)
        .await?;
        report.mentorships += added.rows_affected() as usize;
    }
    Ok(())
}
