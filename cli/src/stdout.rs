//! Writing to stdout without panicking when the reader goes away (`ward check | head`):
//! `println!` panics on a broken pipe; a command line tool should just stop.

use std::io::Write;

/// Writes text to stdout; on a broken pipe, exits quietly with the status so far unknown (0),
/// as `cat` and `grep` do.
pub fn write(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(error) = out.write_all(text.as_bytes()) {
        if error.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {error}");
        std::process::exit(2);
    }
}

/// `println!` that survives a closed pipe.
macro_rules! outln {
    () => { $crate::stdout::write("\n") };
    ($($arg:tt)*) => { $crate::stdout::write(&format!("{}\n", format_args!($($arg)*))) };
}

/// `print!` that survives a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => { $crate::stdout::write(&format!($($arg)*)) };
}

pub(crate) use {out, outln};
