//! The `fusioncell` command: it reads files and flags and wires the library crates together.
//! The library part exists so that the end-to-end tests set up cells exactly as a user does.
//!
//! - [`args`]: the command line;
//! - [`files`], [`load`]: reading and writing the files (errors name the file and field);
//! - [`certs`], [`init`]: development certificates and the example cell folder;
//! - [`embedded`]: the example scenario and bots, built in for `demo`, and the example cell;
//! - [`example_keys`]: recognising the public example keys, refused beyond loopback;
//! - [`logging`]: the log on stderr, text or JSON;
//! - [`out`]: standard output that a closed pipe cannot crash; [`stop`]: SIGINT and SIGTERM;
//! - [`cmd`]: one file per subcommand.

pub mod args;
pub mod cell_dir;
pub mod certs;
pub mod cmd;
pub mod embedded;
pub mod example_keys;
pub mod files;
pub mod init;
pub mod load;
pub mod logging;
pub mod out;
pub mod show;
pub mod stop;
