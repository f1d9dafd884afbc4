//! Integration tests, built as one binary. Each area has its own module; shared helpers live
//! in `helpers` and `receiver`; the Discord and Mastodon fakes and the Synapse launcher,
//! shared with the benchmarks, in `tests/support/`.

#![recursion_limit = "256"]

mod bluesky;
#[path = "../support/bluesky.rs"]
mod bluesky_pds;
mod console;
mod crash;
mod desk;
mod discord;
#[path = "../support/fake_discord.rs"]
mod fake_discord;
#[path = "../support/fake_mastodon.rs"]
mod fake_mastodon;
#[path = "../support/fake_moderngov.rs"]
mod fake_moderngov;
mod fixture;
mod helpers;
mod mastodon;
mod matrix;
mod matrix_e2ee;
mod moderngov;
mod ops;
mod postgres;
#[path = "../support/postgres_cluster.rs"]
mod postgres_cluster;
mod receiver;
mod several;
#[path = "../support/synapse.rs"]
mod synapse;
mod validate;
mod web;
mod webhook;
