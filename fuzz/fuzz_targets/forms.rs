//! Form decoding and every field parser the forms use: no body a client sends panics.
#![no_main]

use commonplace::cultivate::fields::EventDetails;
use commonplace::cultivate::views::EventForm;
use commonplace::educate::fields::{self as entry, EntryKind};
use commonplace::educate::views::EntryForm;
use commonplace::forum::fields::{Body, Slug, ThreadKind, Title};
use commonplace::forum::views::ComposeForm;
use commonplace::integrate::queries::Outcome;
use commonplace::integrate::views::ReportForm;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    if let Ok(form) = serde_urlencoded::from_bytes::<ComposeForm>(body) {
        let _ = (Title::parse(&form.title), Body::parse(&form.body));
        let _ = ThreadKind::parse(&form.kind);
    }
    if let Ok(form) = serde_urlencoded::from_bytes::<EntryForm>(body) {
        let _ = (EntryKind::parse(&form.kind), entry::summary(&form.summary));
        let _ = entry::tags(&form.tags);
    }
    if let Ok(form) = serde_urlencoded::from_bytes::<ReportForm>(body) {
        let _ = Outcome::parse(&form.outcome);
    }
    if let Ok(form) = serde_urlencoded::from_bytes::<EventForm>(body) {
        let _ = EventDetails::parse(&form.input());
    }
    if let Ok(text) = std::str::from_utf8(body) {
        let _ = Slug::parse(text);
        let next = commonplace::web::safe_next(Some(text));
        assert!(next.starts_with('/') && !next.starts_with("//"), "{next:?}");
    }
});
