//! Seeding a whole community from one TOML file: users, domains with charters, facilitators and
//! members, invitations by email to people who have no account yet, starter threads with
//! replies, repertoire entries and events; `practice` adds what records the community's
//! practice (accepted answers, reactions, practice reports, newcomers and mentoring), and
//! `Timeline` spreads the file's history over the past weeks.
//!
//! Three promises: the whole file is checked before anything is written, and every problem names
//! the file, the line and the field; everything is written in one transaction, so an invalid file
//! loads nothing; and seeding is idempotent — users are matched by username, domains by slug,
//! threads by (domain, author, title), entries by (domain, title), and what exists is left alone;
//! an address is invited again only once its invitation has run out or been used, so a second
//! run changes nothing. `seeds/demo.toml` is the documented example.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::Deserialize;
use sqlx::{PgPool, Postgres, Transaction};
use time::{Duration, OffsetDateTime};
use toml::Spanned;

use super::super::domains::fields::{DomainFields, DomainInput};
use super::super::domains::queries::{self as domains, NewDomain};
use super::practice::{
    self, DomainPeople, IdOf, MentorSpec, MentorshipSpec, ReactionsSpec, ReportSpec,
};
use crate::auth::fields::{Email, Username};
use crate::auth::invitation::{self, InvitedTo, Inviter};
use crate::auth::password;
use crate::cultivate::fields::{EventDetails, EventInput, Problem};
use crate::cultivate::queries::ensure_introductions;
use crate::educate::fields as entry_fields;
use crate::educate::upkeep::review_date;
use crate::forum::fields::{Body, ThreadKind, Title};
use crate::forum::queries::{insert_post_at, render_with_mentions};
use crate::forum::tags::normalise_all;
use crate::integrate::queries::Subject;
use crate::Config;

/// The demo community that `serve` loads into an empty database.
pub const DEMO: &str = include_str!("../../../seeds/demo.toml");
pub const DEMO_NAME: &str = "seeds/demo.toml";

/// A community file as read, before it is checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunityFile {
    #[serde(default)]
    users: Vec<UserSpec>,
    #[serde(default)]
    domains: Vec<DomainSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserSpec {
    username: Spanned<String>,
    #[serde(default)]
    display_name: Option<Spanned<String>>,
    email: Spanned<String>,
    #[serde(default)]
    admin: bool,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    expertise: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DomainSpec {
    slug: Spanned<String>,
    name: Spanned<String>,
    charter: String,
    #[serde(default)]
    practice_focus: String,
    #[serde(default)]
    audience: String,
    #[serde(default = "public")]
    visibility: Spanned<String>,
    #[serde(default)]
    facilitators: Vec<Spanned<String>>,
    #[serde(default)]
    members: Vec<Spanned<String>>,
    /// Members who joined recently, just before their first post here (see `Timeline`).
    #[serde(default)]
    newcomers: Vec<Spanned<String>>,
    /// Addresses invited to the domain by email (`auth::invitation`).
    #[serde(default)]
    invite: Vec<Spanned<String>>,
    #[serde(default)]
    threads: Vec<ThreadSpec>,
    #[serde(default)]
    repertoire: Vec<EntrySpec>,
    #[serde(default)]
    events: Vec<EventSpec>,
    #[serde(default)]
    mentors: Vec<MentorSpec>,
    #[serde(default)]
    mentorships: Vec<MentorshipSpec>,
}

/// An event: local start and end (`2027-01-12T19:00`) in a named time zone.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventSpec {
    title: Spanned<String>,
    organiser: Spanned<String>,
    starts: Spanned<String>,
    ends: Spanned<String>,
    time_zone: Spanned<String>,
    #[serde(default)]
    place: String,
    #[serde(default)]
    link: String,
    #[serde(default)]
    agenda: String,
}

impl EventSpec {
    fn input(&self) -> EventInput<'_> {
        EventInput {
            title: self.title.get_ref(),
            starts: self.starts.get_ref(),
            ends: self.ends.get_ref(),
            time_zone: self.time_zone.get_ref(),
            place: &self.place,
            link: &self.link,
            agenda: &self.agenda,
        }
    }
}

fn public() -> Spanned<String> {
    Spanned::new(0..0, "public".to_string())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThreadSpec {
    title: Spanned<String>,
    author: Spanned<String>,
    #[serde(default = "discussion")]
    kind: Spanned<String>,
    body: Spanned<String>,
    #[serde(default)]
    pinned: bool,
    #[serde(default)]
    tags: Vec<String>,
    /// When it was started; in file order, `THREAD_SPACING` apart, when left out.
    #[serde(default)]
    days_ago: Option<Spanned<u16>>,
    /// Reactions to its opening post.
    #[serde(default)]
    reactions: ReactionsSpec,
    #[serde(default)]
    replies: Vec<ReplySpec>,
    #[serde(default)]
    reports: Vec<ReportSpec>,
}

fn discussion() -> Spanned<String> {
    Spanned::new(0..0, "discussion".to_string())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplySpec {
    author: Spanned<String>,
    body: Spanned<String>,
    /// When it was written; three hours after the post before it when left out (and never
    /// before it).
    #[serde(default)]
    days_ago: Option<Spanned<u16>>,
    /// The question's accepted answer.
    #[serde(default)]
    accepted: bool,
    #[serde(default)]
    reactions: ReactionsSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntrySpec {
    kind: Spanned<String>,
    title: Spanned<String>,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    body: Option<Spanned<String>>,
    #[serde(default)]
    tags: Vec<String>,
    curated_by: Spanned<String>,
    /// When it is due for review (`YYYY-MM-DD`; a date passed puts it in the review queue);
    /// the domain's period from now when left out.
    #[serde(default)]
    review_by: Option<Spanned<String>>,
    /// The title of the domain's question (in this file) whose accepted answer it was made
    /// from: the entry then shows how that answer fared in practice.
    #[serde(default)]
    answer_of: Option<Spanned<String>>,
    #[serde(default)]
    reports: Vec<ReportSpec>,
}

/// Why a file was refused: where, and what is wrong.
#[derive(Debug)]
pub struct SeedError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for SeedError {}

/// What a run wrote; all zero on a second run of the same file.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub users: usize,
    pub domains: usize,
    pub memberships: usize,
    pub threads: usize,
    pub posts: usize,
    pub entries: usize,
    pub events: usize,
    pub invitations: usize,
    pub reactions: usize,
    pub reports: usize,
    pub mentors: usize,
    pub mentorships: usize,
}

impl SeedReport {
    pub fn is_empty(&self) -> bool {
        *self == SeedReport::default()
    }
}

/// What was added, e.g. "1 domain, 3 events"; only what there is of.
impl fmt::Display for SeedReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = [
            (self.users, "user", "users"),
            (self.domains, "domain", "domains"),
            (self.memberships, "membership", "memberships"),
            (self.threads, "thread", "threads"),
            (self.posts, "post", "posts"),
            (self.entries, "repertoire entry", "repertoire entries"),
            (self.events, "event", "events"),
            (self.invitations, "invitation", "invitations"),
            (self.reactions, "reaction", "reactions"),
            (self.reports, "practice report", "practice reports"),
            (self.mentors, "mentor offer", "mentor offers"),
            (self.mentorships, "mentorship", "mentorships"),
        ];
        let added: Vec<String> = parts
            .into_iter()
            .filter(|(n, _, _)| *n > 0)
            .map(|(n, one, many)| crate::web::count(n as i64, one, many))
            .collect();
        if added.is_empty() {
            return f.write_str("nothing");
        }
        f.write_str(&added.join(", "))
    }
}

pub enum SeedFailure {
    Invalid(SeedError),
    Database(anyhow::Error),
}

impl From<sqlx::Error> for SeedFailure {
    fn from(err: sqlx::Error) -> Self {
        SeedFailure::Database(err.into())
    }
}

impl From<crate::error::AppError> for SeedFailure {
    fn from(err: crate::error::AppError) -> Self {
        SeedFailure::Database(err.into())
    }
}

impl fmt::Display for SeedFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedFailure::Invalid(err) => err.fmt(f),
            SeedFailure::Database(err) => write!(f, "seeding failed: {err:#}"),
        }
    }
}

impl fmt::Debug for SeedFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for SeedFailure {}

/// Who loads a file, and for what site.
pub struct Loading<'a> {
    /// The site's address and mail settings, for the invitations' links.
    pub config: &'a Config,
    /// New accounts get it; without one, a random password nobody knows (they must be reset
    /// before use).
    pub initial_password: Option<&'a str>,
    /// The admin who uploads the file; invitations come from them (or else from the domain's
    /// first facilitator, or from the site).
    pub admin: Option<Inviter<'a>>,
}

/// Checks and loads `source` (named `file` in messages).
pub async fn load(
    db: &PgPool,
    file: &str,
    source: &str,
    loading: &Loading<'_>,
) -> Result<SeedReport, SeedFailure> {
    let checker = Checker { file, source };
    let community = parse(file, source)?;
    let mut tx = db.begin().await?;
    checker.validate(&community, &mut tx).await?;
    let report = write(&mut tx, &community, loading).await?;
    tx.commit().await?;
    Ok(report)
}

/// Reads `source` as a community file, without checking it against the database. Public for
/// the fuzzing target (`fuzz/`): no input may make it panic.
pub fn parse(file: &str, source: &str) -> Result<CommunityFile, SeedFailure> {
    let checker = Checker { file, source };
    // TOML may spell a NUL as an escape; PostgreSQL text cannot hold one.
    if let Some(at) = source
        .find("\\u0000")
        .or_else(|| source.find("\\U00000000"))
    {
        return Err(SeedFailure::Invalid(SeedError {
            file: file.to_string(),
            line: Some(checker.line_of(at)),
            message: "a NUL character (\\u0000) cannot be stored".into(),
        }));
    }
    toml::from_str(source).map_err(|err| {
        SeedFailure::Invalid(SeedError {
            file: file.to_string(),
            line: err.span().map(|span| checker.line_of(span.start)),
            message: err.message().trim().to_string(),
        })
    })
}

pub(super) struct Checker<'a> {
    file: &'a str,
    source: &'a str,
}

impl Checker<'_> {
    fn line_of(&self, offset: usize) -> usize {
        self.source[..offset.min(self.source.len())]
            .matches('\n')
            .count()
            + 1
    }

    pub(super) fn error<T>(&self, at: &Spanned<T>, message: String) -> SeedFailure {
        let span = at.span();
        SeedFailure::Invalid(SeedError {
            file: self.file.to_string(),
            line: (span.end > 0).then(|| self.line_of(span.start)),
            message,
        })
    }

    async fn validate(
        &self,
        community: &CommunityFile,
        tx: &mut Transaction<'_, Postgres>,
    ) -> Result<(), SeedFailure> {
        let mut usernames = HashSet::new();
        let mut emails = HashSet::new();
        for user in &community.users {
            Username::parse(user.username.get_ref())
                .map_err(|why| self.error(&user.username, format!("username: {why}")))?;
            Email::parse(user.email.get_ref())
                .map_err(|why| self.error(&user.email, format!("email: {why}")))?;
            if let Some(name) = &user.display_name {
                if name.get_ref().trim().chars().count() > 80 {
                    return Err(self.error(name, "display_name: at most 80 characters".into()));
                }
            }
            if !usernames.insert(user.username.get_ref().to_lowercase()) {
                return Err(self.error(
                    &user.username,
                    format!("username: `{}` is listed twice", user.username.get_ref()),
                ));
            }
            if !emails.insert(user.email.get_ref().to_lowercase()) {
                return Err(self.error(
                    &user.email,
                    format!("email: `{}` is listed twice", user.email.get_ref()),
                ));
            }
        }
        let existing: HashSet<String> = sqlx::query_scalar("SELECT lower(username) FROM users")
            .fetch_all(&mut **tx)
            .await?
            .into_iter()
            .collect();
        let known = |name: &Spanned<String>| {
            let key = name.get_ref().to_lowercase();
            usernames.contains(&key) || existing.contains(&key)
        };
        let mut slugs = HashSet::new();
        for domain in &community.domains {
            let slug = domain.slug.get_ref();
            self.domain_fields(domain)?;
            if !slugs.insert(slug.clone()) {
                return Err(self.error(
                    &domain.slug,
                    format!("slug: `{slug}` is used by two domains"),
                ));
            }
            let mut in_domain = HashSet::new();
            for (field, people) in [
                ("facilitators", &domain.facilitators),
                ("members", &domain.members),
                ("newcomers", &domain.newcomers),
            ] {
                for person in people {
                    if !known(person) {
                        return Err(self.error(
                            person,
                            format!(
                                "{field}: no user `{}` in this file or on the site",
                                person.get_ref()
                            ),
                        ));
                    }
                    if !in_domain.insert(person.get_ref().to_lowercase()) && field == "newcomers" {
                        let problem = format!(
                            "newcomers: `{}` is already listed as a facilitator or member",
                            person.get_ref()
                        );
                        return Err(self.error(person, problem));
                    }
                }
            }
            let people = DomainPeople {
                slug,
                members: &in_domain,
            };
            for address in &domain.invite {
                self.check(address, "invite", Email::parse(address.get_ref()))?;
            }
            for thread in &domain.threads {
                self.check(&thread.title, "title", Title::parse(thread.title.get_ref()))?;
                self.check(&thread.body, "body", Body::parse(thread.body.get_ref()))?;
                let kind = ThreadKind::parse_starter(thread.kind.get_ref());
                self.check(&thread.kind, "kind", kind)?;
                self.author(&thread.author, &in_domain, slug)?;
                self.days_ago(thread.days_ago.as_ref())?;
                self.reactions(&thread.reactions, &thread.author, &people)?;
                for reply in &thread.replies {
                    self.check(&reply.body, "body", Body::parse(reply.body.get_ref()))?;
                    self.author(&reply.author, &in_domain, slug)?;
                    self.days_ago(reply.days_ago.as_ref())?;
                    self.reactions(&reply.reactions, &reply.author, &people)?;
                }
                let accepted: Vec<_> = thread
                    .replies
                    .iter()
                    .filter(|r| r.accepted)
                    .map(|r| &r.author)
                    .collect();
                self.accepted(thread.kind.get_ref().trim(), &accepted)?;
                for report in &thread.reports {
                    self.report(report, &people)?;
                }
            }
            for event in &domain.events {
                self.event_details(event)?;
                self.author(&event.organiser, &in_domain, slug)?;
                let known = crate::cultivate::queries::is_known_time_zone(
                    &mut **tx,
                    event.time_zone.get_ref().trim(),
                )
                .await?;
                if !known {
                    return Err(self.error(
                        &event.time_zone,
                        format!(
                            "time_zone: `{}` is not a known time zone",
                            event.time_zone.get_ref()
                        ),
                    ));
                }
            }
            for entry in &domain.repertoire {
                self.check(&entry.title, "title", Title::parse(entry.title.get_ref()))?;
                if let Some(body) = &entry.body {
                    if body.get_ref().chars().count() > crate::forum::fields::MAX_BODY_CHARS {
                        return Err(self.error(body, "body: at most 100000 characters".into()));
                    }
                }
                self.check(
                    &entry.kind,
                    "kind",
                    entry_fields::EntryKind::parse(entry.kind.get_ref()),
                )?;
                self.check_summary(entry)?;
                if let Some(date) = &entry.review_by {
                    self.check(date, "review_by", review_date(date.get_ref()))?;
                }
                self.author(&entry.curated_by, &in_domain, slug)?;
                if let Some(question) = &entry.answer_of {
                    self.answer_of(question, domain)?;
                }
                for report in &entry.reports {
                    self.report(report, &people)?;
                }
            }
            self.mentors(&domain.mentors, &people)?;
            let offered = practice::offered_on_site(tx, slug).await?;
            let name = domain.name.get_ref().trim();
            self.mentorships(
                &domain.mentorships,
                &domain.mentors,
                &offered,
                &people,
                name,
            )?;
        }
        Ok(())
    }

    pub(super) fn days_ago(&self, days: Option<&Spanned<u16>>) -> Result<(), SeedFailure> {
        match days {
            Some(days) if *days.get_ref() > MAX_DAYS_AGO => Err(self.error(
                days,
                format!("days_ago: at most {MAX_DAYS_AGO} (ten years)"),
            )),
            _ => Ok(()),
        }
    }

    /// An entry made from an answer names a question of its domain, in this file, that has an
    /// accepted reply.
    fn answer_of(
        &self,
        question: &Spanned<String>,
        domain: &DomainSpec,
    ) -> Result<(), SeedFailure> {
        let title = question.get_ref().trim();
        let answered = domain
            .threads
            .iter()
            .any(|t| t.title.get_ref().trim() == title && t.replies.iter().any(|r| r.accepted));
        if answered {
            return Ok(());
        }
        Err(self.error(
            question,
            format!(
                "answer_of: no question `{title}` with an accepted reply in domain `{}` in this file",
                domain.slug.get_ref()
            ),
        ))
    }

    /// A field's value checked by the same parser the web form uses.
    fn check<T, U>(
        &self,
        at: &Spanned<T>,
        field: &str,
        parsed: Result<U, &'static str>,
    ) -> Result<U, SeedFailure> {
        parsed.map_err(|why| self.error(at, format!("{field}: {why}")))
    }

    fn check_summary(&self, entry: &EntrySpec) -> Result<(), SeedFailure> {
        entry_fields::summary(&entry.summary)
            .map(|_| ())
            .map_err(|why| self.error(&entry.title, format!("summary: {why}")))
    }

    /// The domain checked by the `/admin` form's parser; a problem is reported at the field
    /// the file spells out (the charter fields carry no position, so they point at the name).
    fn domain_fields(&self, domain: &DomainSpec) -> Result<DomainFields, SeedFailure> {
        DomainFields::parse(&DomainInput {
            name: domain.name.get_ref(),
            slug: domain.slug.get_ref(),
            charter: &domain.charter,
            practice_focus: &domain.practice_focus,
            audience: &domain.audience,
            visibility: domain.visibility.get_ref(),
        })
        .map_err(|problems| {
            let (field, why) = problems
                .first()
                .copied()
                .unwrap_or(("name", "is not valid"));
            let at = match field {
                "slug" => &domain.slug,
                "visibility" => &domain.visibility,
                _ => &domain.name,
            };
            self.error(at, format!("{field}: {why}"))
        })
    }

    /// The event checked by the event form's parser.
    fn event_details(&self, event: &EventSpec) -> Result<EventDetails, SeedFailure> {
        EventDetails::parse(&event.input()).map_err(|problems| {
            let (field, why): Problem = problems
                .first()
                .copied()
                .unwrap_or(("title", "is not valid"));
            let at = match field {
                "starts" => &event.starts,
                "ends" => &event.ends,
                "time_zone" => &event.time_zone,
                _ => &event.title,
            };
            self.error(at, format!("{field}: {why}"))
        })
    }

    pub(super) fn author(
        &self,
        who: &Spanned<String>,
        in_domain: &HashSet<String>,
        slug: &str,
    ) -> Result<(), SeedFailure> {
        if in_domain.contains(&who.get_ref().to_lowercase()) {
            Ok(())
        } else {
            Err(self.error(
                who,
                format!(
                    "`{}` is not a facilitator or member of domain `{slug}`",
                    who.get_ref()
                ),
            ))
        }
    }
}

/// How far apart starter threads are spread over the past, in file order.
const THREAD_SPACING: Duration = Duration::days(4);
/// Members not listed as newcomers joined this long before the file's history starts, so
/// nobody counts as a newcomer (`cultivate::queries::NEWCOMER_DAYS`) unless the file says so.
const ESTABLISHED_BEFORE: Duration = Duration::days(45);
/// The furthest back `days_ago` may place a post.
const MAX_DAYS_AGO: u16 = 3650;

/// When the file's history happened: each thread's posts, by domain and thread, spread over the
/// past weeks; never later than a few minutes ago.
struct Timeline {
    now: OffsetDateTime,
    start: OffsetDateTime,
    posts: Vec<Vec<Vec<OffsetDateTime>>>,
}

impl Timeline {
    fn of(community: &CommunityFile, now: OffsetDateTime) -> Self {
        let threads = community.domains.iter().flat_map(|d| &d.threads);
        let slots = threads.filter(|t| t.days_ago.is_none()).count() as i32;
        let start = now - Duration::days(1) - THREAD_SPACING * slots;
        let mut timeline = Timeline {
            now,
            start,
            posts: Vec::new(),
        };
        let mut slot = start;
        for domain in &community.domains {
            let mut threads = Vec::new();
            for thread in &domain.threads {
                let opened = match &thread.days_ago {
                    Some(days) => timeline.days_ago(days),
                    None => {
                        slot += THREAD_SPACING;
                        slot
                    }
                };
                let mut posts = vec![timeline.past(opened)];
                for reply in &thread.replies {
                    let after = posts[posts.len() - 1] + Duration::hours(3);
                    posts.push(timeline.no_sooner(after, reply.days_ago.as_ref()));
                }
                threads.push(posts);
            }
            timeline.posts.push(threads);
        }
        timeline
    }

    /// `at`, or a few minutes ago if that is sooner.
    fn past(&self, at: OffsetDateTime) -> OffsetDateTime {
        at.min(self.now - Duration::minutes(5))
    }

    fn days_ago(&self, days: &Spanned<u16>) -> OffsetDateTime {
        self.now - Duration::days(i64::from(*days.get_ref()))
    }

    /// `days_ago` when given, but no sooner than `earliest`; in the past.
    fn no_sooner(
        &self,
        earliest: OffsetDateTime,
        days_ago: Option<&Spanned<u16>>,
    ) -> OffsetDateTime {
        let wanted = days_ago.map_or(earliest, |days| self.days_ago(days));
        self.past(wanted.max(earliest))
    }

    /// When each report was filed: two days after the one before it (the first two days after
    /// `after`), or when its `days_ago` says, never sooner.
    fn reports(&self, after: OffsetDateTime, reports: &[ReportSpec]) -> Vec<OffsetDateTime> {
        let mut before = after;
        reports
            .iter()
            .map(|report| {
                before = self.no_sooner(before + Duration::days(2), report.days_ago.as_ref());
                before
            })
            .collect()
    }

    /// When an entry was curated: a day after the answer it was made from, or else a day
    /// after the domain's first thread.
    fn curated(&self, domain: usize, spec: &DomainSpec, entry: &EntrySpec) -> OffsetDateTime {
        let source = entry.answer_of.as_ref().and_then(|title| {
            let (thread, times) = spec
                .threads
                .iter()
                .zip(&self.posts[domain])
                .find(|(t, _)| t.title.get_ref().trim() == title.get_ref().trim())?;
            let accepted = thread.replies.iter().position(|r| r.accepted)?;
            times.get(accepted + 1).copied()
        });
        let first = self.posts[domain].iter().map(|posts| posts[0]).min();
        let drawn_from = source.or(first).unwrap_or(self.start);
        self.past(drawn_from + Duration::days(1))
    }

    /// When `who` joined the domain: a newcomer an hour before their first post in it (or two
    /// days ago, without one); everyone else well before the history starts.
    fn joined(&self, domain: usize, spec: &DomainSpec, who: &Spanned<String>) -> OffsetDateTime {
        let is_newcomer = spec.newcomers.iter().any(|n| same_user(n, who));
        if !is_newcomer {
            return self.start - ESTABLISHED_BEFORE;
        }
        let first = spec
            .threads
            .iter()
            .zip(&self.posts[domain])
            .flat_map(|(thread, times)| {
                let authors =
                    std::iter::once(&thread.author).chain(thread.replies.iter().map(|r| &r.author));
                authors.zip(times.iter().copied())
            })
            .filter(|(author, _)| same_user(author, who))
            .map(|(_, at)| at)
            .min();
        match first {
            Some(at) => at - Duration::hours(1),
            None => self.past(self.now - Duration::days(2)),
        }
    }
}

fn same_user(a: &Spanned<String>, b: &Spanned<String>) -> bool {
    a.get_ref().trim().eq_ignore_ascii_case(b.get_ref().trim())
}

async fn write(
    tx: &mut Transaction<'_, Postgres>,
    community: &CommunityFile,
    loading: &Loading<'_>,
) -> Result<SeedReport, SeedFailure> {
    let mut report = SeedReport::default();
    let ids = write_users(tx, &community.users, loading.initial_password, &mut report).await?;
    let id_of = |name: &Spanned<String>| ids.get(&name.get_ref().trim().to_lowercase()).copied();
    let timeline = Timeline::of(community, OffsetDateTime::now_utc());
    for (d, domain) in community.domains.iter().enumerate() {
        let creator = domain.facilitators.first().and_then(id_of);
        let domain_id = write_domain(tx, domain, creator, &mut report).await?;
        let mut joined = HashMap::new();
        for (people, role) in [
            (&domain.facilitators, "facilitator"),
            (&domain.members, "member"),
            (&domain.newcomers, "member"),
        ] {
            for person in people {
                let Some(user_id) = id_of(person) else {
                    continue;
                };
                let joined_at = timeline.joined(d, domain, person);
                joined.insert(user_id, joined_at);
                let added = sqlx::query(
                    "INSERT INTO memberships (domain_id, user_id, role, joined_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT DO NOTHING",
                )
                .bind(domain_id)
                .bind(user_id)
                .bind(role)
                .bind(joined_at)
                .execute(&mut **tx)
                .await?;
                report.memberships += added.rows_affected() as usize;
            }
        }
        write_invitations(tx, domain, domain_id, creator, loading, &mut report).await?;
        for (thread, times) in domain.threads.iter().zip(&timeline.posts[d]) {
            write_thread(tx, domain_id, thread, &id_of, times, &timeline, &mut report).await?;
        }
        write_events(tx, domain, domain_id, &id_of, &mut report).await?;
        if let Some(host) = creator {
            let name = domain.name.get_ref().trim();
            if ensure_introductions(tx, domain_id, host, name).await? {
                report.threads += 1;
                report.posts += 1;
            }
        }
        for entry in &domain.repertoire {
            let curated_at = timeline.curated(d, domain, entry);
            write_entry(
                tx,
                domain_id,
                entry,
                &id_of,
                curated_at,
                &timeline,
                &mut report,
            )
            .await?;
        }
        let asked_at = |newcomer: i64| {
            let joined_at = joined.get(&newcomer).copied().unwrap_or(timeline.start);
            timeline.past(joined_at + Duration::days(1))
        };
        practice::write_mentoring(
            tx,
            domain_id,
            &domain.mentors,
            &domain.mentorships,
            &id_of,
            asked_at,
            &mut report,
        )
        .await?;
    }
    Ok(report)
}

async fn write_events(
    tx: &mut Transaction<'_, Postgres>,
    domain: &DomainSpec,
    domain_id: i64,
    id_of: IdOf<'_>,
    report: &mut SeedReport,
) -> Result<(), SeedFailure> {
    for event in &domain.events {
        let (Some(organiser), Ok(details)) =
            (id_of(&event.organiser), EventDetails::parse(&event.input()))
        else {
            continue;
        };
        let inserted = sqlx::query(
            "INSERT INTO events (domain_id, created_by, title, starts_at, ends_at, time_zone, place, link, agenda_md, agenda_html)
             SELECT $1, $2, $3, $4 AT TIME ZONE $6, $5 AT TIME ZONE $6, $6, $7, $8, $9, $10
              WHERE NOT EXISTS (SELECT 1 FROM events WHERE domain_id = $1 AND title = $3 AND starts_at = $4 AT TIME ZONE $6)",
        )
        .bind(domain_id)
        .bind(organiser)
        .bind(details.title.as_str())
        .bind(details.local_start)
        .bind(details.local_end)
        .bind(&details.time_zone)
        .bind(&details.place)
        .bind(&details.link)
        .bind(&details.agenda_md)
        .bind(crate::markdown::render(&details.agenda_md))
        .execute(&mut **tx)
        .await?;
        report.events += inserted.rows_affected() as usize;
    }
    Ok(())
}

/// Writes an entry the domain does not have yet, with its reports, a few days apart after it
/// was curated.
async fn write_entry(
    tx: &mut Transaction<'_, Postgres>,
    domain_id: i64,
    entry: &EntrySpec,
    id_of: IdOf<'_>,
    curated_at: OffsetDateTime,
    timeline: &Timeline,
    report: &mut SeedReport,
) -> Result<(), SeedFailure> {
    let Some(curator) = id_of(&entry.curated_by) else {
        return Ok(());
    };
    let tags = normalise_all(&entry.tags);
    let body = entry
        .body
        .as_ref()
        .map(|b| b.get_ref().as_str())
        .unwrap_or("");
    let (body_html, _) = render_with_mentions(&mut **tx, body).await?;
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO repertoire_entries (domain_id, kind, title, summary, body_md, body_html, tags, curated_by, review_by,
                                         created_at, updated_at, source_thread_id, source_post_id)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, source.id, source.accepted_post_id
           FROM (SELECT NULL) AS nothing
           LEFT JOIN threads source
             ON source.domain_id = $1 AND source.title = $11 AND source.accepted_post_id IS NOT NULL
          WHERE NOT EXISTS (SELECT 1 FROM repertoire_entries WHERE domain_id = $1 AND title = $3)
          LIMIT 1
         RETURNING id",
    )
    .bind(domain_id)
    .bind(entry_fields::EntryKind::parse(entry.kind.get_ref()).map_or("story", |k| k.as_str()))
    .bind(entry.title.get_ref().trim())
    .bind(entry.summary.trim())
    .bind(body)
    .bind(body_html)
    .bind(&tags)
    .bind(curator)
    .bind(
        entry
            .review_by
            .as_ref()
            .and_then(|d| review_date(d.get_ref()).ok()),
    )
    .bind(curated_at)
    .bind(entry.answer_of.as_ref().map(|t| t.get_ref().trim()))
    .fetch_optional(&mut **tx)
    .await?;
    let Some(entry_id) = inserted else {
        return Ok(());
    };
    report.entries += 1;
    let filed = timeline.reports(curated_at, &entry.reports);
    let subject = Subject::Entry(entry_id);
    practice::write_reports(tx, subject, &entry.reports, id_of, &filed, report).await
}

/// Creates the users that do not exist yet and returns every listed or existing user's id by
/// lower-case username.
async fn write_users(
    tx: &mut Transaction<'_, Postgres>,
    users: &[UserSpec],
    initial_password: Option<&str>,
    report: &mut SeedReport,
) -> Result<HashMap<String, i64>, SeedFailure> {
    for user in users {
        let exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM users WHERE lower(username) = lower($1) OR lower(email) = lower($2))",
        )
        .bind(user.username.get_ref())
        .bind(user.email.get_ref())
        .fetch_one(&mut **tx)
        .await?;
        if exists {
            continue;
        }
        let secret = initial_password
            .map(str::to_string)
            .unwrap_or_else(password::random_secret);
        let hash = password::hash(secret).await?;
        let display = match user.display_name.as_ref().map(|n| n.get_ref().trim()) {
            Some(name) if !name.is_empty() => name.to_string(),
            _ => user.username.get_ref().trim().to_string(),
        };
        sqlx::query(
            "INSERT INTO users (username, display_name, email, password_hash, site_role, bio_md, bio_html, expertise)
             VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN 'admin' ELSE 'member' END, $6, $7, $8)",
        )
        .bind(user.username.get_ref().trim())
        .bind(display)
        .bind(user.email.get_ref().trim())
        .bind(hash)
        .bind(user.admin)
        .bind(&user.bio)
        .bind(crate::markdown::render(&user.bio))
        .bind(normalise_all(&user.expertise))
        .execute(&mut **tx)
        .await?;
        report.users += 1;
    }
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT lower(username), id FROM users")
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Invites the domain's listed addresses that have no invitation waiting and no membership.
async fn write_invitations(
    tx: &mut Transaction<'_, Postgres>,
    domain: &DomainSpec,
    domain_id: i64,
    host: Option<i64>,
    loading: &Loading<'_>,
    report: &mut SeedReport,
) -> Result<(), SeedFailure> {
    if domain.invite.is_empty() {
        return Ok(());
    }
    let host_name: Option<String> = match host {
        Some(id) => {
            sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut **tx)
                .await?
        }
        None => None,
    };
    let inviter = match (loading.admin, &host_name) {
        (Some(admin), _) => admin,
        (None, Some(name)) => Inviter { id: host, name },
        (None, None) => Inviter {
            id: None,
            name: "The site's admins",
        },
    };
    let to = InvitedTo {
        id: domain_id,
        slug: domain.slug.get_ref().trim(),
        name: domain.name.get_ref().trim(),
    };
    for address in &domain.invite {
        let email = Email::parse(address.get_ref())
            .map_err(|why| SeedFailure::Database(anyhow::anyhow!("checked invite fails: {why}")))?;
        if invitation::already_invited(tx, domain_id, &email).await? {
            continue;
        }
        invitation::invite(tx, loading.config, &to, &email, inviter).await?;
        report.invitations += 1;
    }
    Ok(())
}

async fn write_domain(
    tx: &mut Transaction<'_, Postgres>,
    domain: &DomainSpec,
    created_by: Option<i64>,
    report: &mut SeedReport,
) -> Result<i64, SeedFailure> {
    let fields = DomainFields::parse(&DomainInput {
        name: domain.name.get_ref(),
        slug: domain.slug.get_ref(),
        charter: &domain.charter,
        practice_focus: &domain.practice_focus,
        audience: &domain.audience,
        visibility: domain.visibility.get_ref(),
    })
    .map_err(|problems| anyhow::anyhow!("checked domain fails its parser: {problems:?}"))
    .map_err(SeedFailure::Database)?;
    let new = NewDomain {
        slug: &fields.slug,
        name: &fields.name,
        charter: &fields.charter,
        visibility: fields.visibility,
        created_by,
    };
    match domains::create(tx, new).await? {
        Some(id) => {
            report.domains += 1;
            Ok(id)
        }
        None => Ok(sqlx::query_scalar("SELECT id FROM domains WHERE slug = $1")
            .bind(fields.slug.as_str())
            .fetch_one(&mut **tx)
            .await?),
    }
}

async fn write_thread(
    tx: &mut Transaction<'_, Postgres>,
    domain_id: i64,
    thread: &ThreadSpec,
    id_of: IdOf<'_>,
    times: &[OffsetDateTime],
    timeline: &Timeline,
    report: &mut SeedReport,
) -> Result<(), SeedFailure> {
    let Some(author) = id_of(&thread.author) else {
        return Ok(());
    };
    let opened = times[0];
    let thread_id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO threads (domain_id, author_id, title, kind, pinned, created_at, last_posted_at, tags)
         SELECT $1, $2, $3, $4, $5, $6, $6, $7
          WHERE NOT EXISTS (SELECT 1 FROM threads WHERE domain_id = $1 AND author_id = $2 AND title = $3)
         RETURNING id",
    )
    .bind(domain_id)
    .bind(author)
    .bind(thread.title.get_ref().trim())
    .bind(ThreadKind::parse_starter(thread.kind.get_ref()).map_or("discussion", |k| k.as_str()))
    .bind(thread.pinned)
    .bind(opened)
    .bind(normalise_all(&thread.tags))
    .fetch_optional(&mut **tx)
    .await?;
    let Some(thread_id) = thread_id else {
        return Ok(());
    };
    report.threads += 1;
    let opening = std::iter::once((
        &thread.author,
        thread.body.get_ref(),
        &thread.reactions,
        false,
    ));
    let replies = thread
        .replies
        .iter()
        .map(|r| (&r.author, r.body.get_ref(), &r.reactions, r.accepted));
    for (i, ((author, body, reactions, accepted), written_at)) in opening
        .chain(replies)
        .zip(times.iter().copied())
        .enumerate()
    {
        let Some(author) = id_of(author) else {
            continue;
        };
        // Through the core, so @mentions link as they do in posts written on the site; seeded
        // history notifies nobody.
        let post = insert_post_at(tx, thread_id, author, body, i > 0, Some(written_at)).await?;
        report.posts += 1;
        let reacted_at = timeline.past(written_at + Duration::hours(1));
        practice::write_reactions(tx, post.post_id, reactions, id_of, reacted_at, report).await?;
        if accepted {
            practice::accept(tx, thread_id, post.post_id, reacted_at).await?;
        }
    }
    let last = times.iter().copied().max().unwrap_or(opened);
    let filed = timeline.reports(last, &thread.reports);
    let subject = Subject::Thread(thread_id);
    practice::write_reports(tx, subject, &thread.reports, id_of, &filed, report).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_file_parses() {
        let parsed: CommunityFile = toml::from_str(DEMO).expect("seeds/demo.toml is valid TOML");
        assert!(parsed.domains.len() >= 2);
        assert!(parsed.users.len() >= 12);
    }
}
