//! Flags on private messages, which go to the site's admins rather than to a domain's
//! facilitators: a participant flags another's message (`/messages/{id}/flag`), every admin is
//! told, and an admin reviews it at `/admin/message-flags`. A conversation stays closed to
//! everyone else: the queue names no content, an admin reads a flagged message (with the
//! messages around it) only on its review page, and every opening of that page, like every
//! verdict, is written to the audit log. Agreeing hides the message from its participants.

pub mod queries;
pub mod routes;
pub mod views;
