//! Integrate: close the loop from talk to practice — practice reports, commitments and outcome
//! tallies.

pub mod routes;
