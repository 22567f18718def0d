//! Educate: collect and share what the community knows about its practice — the shared
//! repertoire, promotion of threads into entries, tags and search. (Its pages arrive with the
//! forum core and repertoire issues.)

pub mod routes;
