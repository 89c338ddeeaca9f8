//! dbtwin: copy a database into another, anonymizing configured columns on the way.
//!
//! Data flows one way: [`config`] → [`plan`] → [`pipeline`] (read → [`mask`] → [`convert`] →
//! write, through the [`engine`] contract) → [`report`], wired together by [`app`] alone. Each
//! module imports only the ones below it in `scripts/layers.txt`; [`data`] and [`schema`] are
//! the ground floor every other module speaks.

pub mod app;
pub mod cli;
pub mod config;
pub mod convert;
pub mod data;
pub mod engine;
pub mod findings;
pub mod mask;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod schema;
