//! Gavel: live council-meeting commentary.
//!
//! ```text
//! input (discord | matrix | console | http) -> command grammar -> archive (durable append)
//!       -> outbox (one ordered queue per target) -> sinks (webhook | web | ...)
//! ```
//! The core (domain, command, archive, desk, outbox) knows no platform.

pub mod app;
pub mod archive;
pub mod cluster;
pub mod command;
pub mod config;
pub mod console;
pub mod consultations;
pub mod desk;
pub mod domain;
pub mod escape;
pub mod export;
pub mod files;
pub mod i18n;
pub mod import;
pub mod moderngov;
pub mod outbox;
pub mod platform;
pub mod probe;
pub mod receipts;
pub mod reminders;
pub mod render;
pub mod residents;
pub mod roster;
pub mod schedule;
pub mod signing;
pub mod sink;
pub mod status;
pub mod web;
