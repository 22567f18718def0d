//! The one integration-test binary. Every module drives the real server over HTTP against a real
//! PostgreSQL database of its own; see `helpers` for the harness.

mod helpers;

mod access_matrix;
mod accounts;
mod appearance;
mod browser;
mod browser_xss;
mod cached_posts;
mod command_line;
mod concurrent_writes;
mod csrf_every_route;
mod cultivate;
mod drafts;
mod encourage;
mod feeds;
mod forum;
mod integrate;
mod live;
mod load_balancer;
mod mail;
mod messages;
mod moderation;
mod operations;
mod page_cache;
mod pgbouncer;
mod policies;
mod polls;
mod query_counts;
mod read_replica;
mod reading;
mod repertoire;
mod round_trips;
mod sanitiser;
mod search;
mod security;
mod seeding;
mod shell;
mod support;
mod upkeep;
mod uploads;
mod watching;
