//! Mastodon: entries out to an account's statuses, one thread per meeting. Clerks do not
//! command through Mastodon, so there is no `input`.
//!
//! - [`config`]: the `[[mastodon]]` sections, resolved into [`MastodonSettings`].
//! - [`sink`]: one target per account (`mastodon:<name>`): threads, split statuses, edits,
//!   deletes, the pinned status.
//! - [`render`]: inert mentions and hashtags, splitting within the instance's limit.
//! - [`api`]: the REST client, with the instance's rate-limit windows.
//! - [`probe`]: `gavel check --probe`.
//!
//! See `docs/mastodon.md` for creating the token, and what residents see.

pub mod api;
pub mod config;
pub mod probe;
pub mod render;
pub mod sink;

pub use config::MastodonSettings;
pub use sink::MastodonSink;
