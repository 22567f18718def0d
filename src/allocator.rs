//! The process's allocator: mimalloc, told to give freed memory back to the system at once.
//!
//! A profile of cached pages put 14 % of the server's time in glibc's `malloc` and `free`. With
//! mimalloc, two alternating rounds of the whole harness at the small scale served the anonymous
//! home page 41 % faster, the feed 52 %, the repertoire list 21 %, replies 10–22 % and the
//! mixed browse 29 %; thread pages moved within their noise (`docs/performance.md`, seventeenth
//! session). Its defaults keep freed memory for a later allocation that an idle server never
//! makes: each password hash borrows 19 MiB, and thirty logins at once left 69–90 MB resident.
//! Purged at once and decommitted, it held 29 MB after thirty logins (glibc's malloc 20 MB), and
//! 34–37 MB after the harness's scenarios and 150 logins (glibc's 50–51 MB).

use libmimalloc_sys::{
    mi_option_large_os_pages, mi_option_set, mi_option_t, mi_option_use_numa_nodes,
};
use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

// The options the crate does not name, by their place in `mi_option_t` (mimalloc.h), which is
// the same in mimalloc v2 and v3: two before `large_os_pages`, one before it, one before
// `use_numa_nodes`.
const ARENA_EAGER_COMMIT: mi_option_t = mi_option_large_os_pages - 2;
const PURGE_DECOMMITS: mi_option_t = mi_option_large_os_pages - 1;
const PURGE_DELAY: mi_option_t = mi_option_use_numa_nodes - 1;

/// Freed memory goes back to the system when it is freed, not after a delay that an idle
/// server never reaches; and arenas are committed as they are used, not all at once.
pub fn give_memory_back() {
    // SAFETY: mi_option_set only stores an option's value; every option is a plain integer.
    unsafe {
        mi_option_set(PURGE_DELAY, 0);
        mi_option_set(PURGE_DECOMMITS, 1);
        mi_option_set(ARENA_EAGER_COMMIT, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::give_memory_back;

    fn resident_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").expect("Linux has /proc");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS is in /proc/self/status")
    }

    /// Two logins hashing at once (the most `auth::password` allows) borrow 38 MiB; once they
    /// are done the process is back near where it started, not 38 MiB larger for good.
    #[test]
    fn memory_a_password_hash_borrows_is_given_back() {
        give_memory_back();
        let before = resident_kib();
        for _ in 0..3 {
            let hashes: Vec<_> = (0..2)
                .map(|_| std::thread::spawn(|| crate::auth::password::hash_blocking("a password")))
                .collect();
            for hash in hashes {
                hash.join()
                    .expect("hashing does not panic")
                    .expect("hashing works");
            }
        }
        let after = resident_kib();
        assert!(
            after < before + 10 * 1024,
            "resident {before} KiB before three rounds of two hashes, {after} KiB after"
        );
    }
}
