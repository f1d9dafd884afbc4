//! Integration tests, built as one binary. Each area has its own module; shared helpers live
//! in `helpers` and `receiver`.

mod console;
mod crash;
mod helpers;
mod ops;
mod receiver;
mod web;
mod webhook;
