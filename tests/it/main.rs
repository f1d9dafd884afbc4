//! Integration tests, built as one binary. Each area has its own module; shared helpers live
//! in `helpers`.

mod console;
mod helpers;
mod matrix;
