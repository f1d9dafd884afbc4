//! Gavel: live council-meeting commentary.
//!
//! ```text
//! input (discord | matrix | console | http) -> command grammar -> archive (durable append)
//!       -> outbox (one ordered queue per target) -> sinks (webhook | web | ...)
//! ```
//! The core (domain, command, archive, desk, outbox) knows no platform.

pub mod archive;
pub mod command;
pub mod desk;
pub mod domain;
pub mod export;
pub mod render;
pub mod signing;
