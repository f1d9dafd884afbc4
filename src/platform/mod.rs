//! Platforms: each folder translates one platform's messages into clerk inputs and implements
//! the sink trait for it. The core never imports a platform.

pub mod bluesky;
pub mod discord;
pub mod mastodon;
pub mod matrix;
pub mod memory;
pub mod text;
pub mod webhook;
