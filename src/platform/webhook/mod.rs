//! Webhook targets: Slack, Mattermost, Microsoft Teams and a plain JSON format.
//!
//! Webhooks can only post, so corrections and withdrawals arrive as new posts ("Correction to
//! #12: …", "Entry #12 withdrawn"). Delivery is at-least-once: each request carries an
//! `Idempotency-Key` header, but most webhook receivers ignore it, so a crash between sending
//! and recording can repeat at most one post.

pub mod config;
mod render;
mod sink;

pub use render::{Format, notice_payload, payload};
pub use sink::WebhookSink;
