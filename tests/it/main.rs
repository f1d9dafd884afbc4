//! Integration tests, built as one binary. Each area has its own module; shared helpers live
//! in `helpers`.

mod console;
mod discord;
#[path = "../support/fake_discord.rs"]
mod fake_discord;
mod helpers;
