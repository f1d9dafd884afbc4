//! Bluesky targets (`[[bluesky]]`): each meeting is one thread on the council's account. See
//! [`sink`] for threads, splitting, facets, exactly-once record keys, corrections and
//! withdrawals, and [`client`] for the session and pacing.

pub mod client;
pub mod config;
pub mod probe;
pub mod sink;
pub mod tid;

pub use client::Pds;
pub use sink::BlueskySink;
