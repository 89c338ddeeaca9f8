//! dbtwin: copy a database into another, anonymizing configured columns on the way.
//!
//! Data flows one way: [`config`] → [`plan`] → [`pipeline`] (read → [`mask`] → write, through
//! [`engine`] traits) → [`report`].

pub mod batch;
pub mod check;
pub mod cli;
pub mod config;
pub mod convert;
pub mod dburl;
pub mod demo;
pub mod engine;
pub mod init;
pub mod mask;
pub mod pipeline;
pub mod plan;
pub mod report;
pub mod schema;
