//! A temporary embedded store for CLI tests.
#![allow(dead_code)] // shared by several test binaries, each using a part

use std::path::{Path, PathBuf};

use super::common::Run;

/// A temporary embedded store, removed on drop.
pub struct Store {
    pub dir: PathBuf,
}

impl Store {
    pub fn new(tag: &str) -> Store {
        let dir = std::env::temp_dir().join(format!("tortie-cli-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Store { dir }
    }

    /// Runs `tortie` against this store.
    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        super::common::run_with(args, stdin, Some(&self.dir))
    }

    /// Runs and requires success, returning stdout.
    pub fn ok(&self, args: &[&str], stdin: &str) -> String {
        let r = self.run(args, stdin);
        assert_eq!(
            r.code, 0,
            "tortie {args:?} failed:\n{}{}",
            r.stdout, r.stderr
        );
        r.stdout
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `tortie` against the store in `dir`.
pub fn run_in(dir: &Path, args: &[&str], stdin: &str) -> Run {
    super::common::run_with(args, stdin, Some(dir))
}
