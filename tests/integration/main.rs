//! dbtwin's integration tests: one binary, a module per capability, against real servers that
//! `scripts/test-servers.sh` installs and starts (see support::servers).

mod check_cmd;
mod cli_errors;
mod create_tables;
mod cross_engine;
mod derived;
mod faults;
mod filters;
mod keys;
mod mask_rules;
mod mysql_copy;
mod pg_copy;
mod refresh;
mod sqlite_copy;
mod subset;
mod support;
mod triggers;
mod verify;
