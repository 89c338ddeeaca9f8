//! The ground floor: what travels between modules. Batches of cells and the bounded channel
//! they move through, engines' text forms, dates, the write mode, progress counting and strings
//! read from the config. Imports nothing of the crate but [`crate::schema`].

pub mod batch;
pub mod channel;
pub mod dates;
pub mod env;
pub mod forms;
pub mod keyset;
pub mod mode;
pub mod progress;
pub mod yaml;
