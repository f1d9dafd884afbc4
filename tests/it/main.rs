//! Integration tests, built as one binary. Each area has its own module; shared helpers live
//! in `helpers` and `receiver`.

mod console;
mod crash;
mod discord;
#[path = "../support/fake_discord.rs"]
mod fake_discord;
#[path = "../support/fake_moderngov.rs"]
mod fake_moderngov;
mod helpers;
mod matrix;
mod moderngov;
mod ops;
mod receiver;
mod validate;
mod web;
mod webhook;
