//! Cultivate: help domains start and stay alive — charters, onboarding, events and the
//! facilitator's health view.

pub mod routes;
