//! One module per subcommand: its clap arguments and what it wires
//! together; `connect` is what plan, apply and import share.

pub mod accounts;
pub mod action;
pub mod apply;
pub mod connect;
pub mod fmt;
pub mod import;
pub mod init;
pub mod lint;
pub mod local;
pub mod plan;
pub mod respond;
pub mod status;
pub mod validate;
