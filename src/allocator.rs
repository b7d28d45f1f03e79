//! Giving freed heap back to the system. glibc keeps memory freed in the middle of its arenas
//! resident; a cold sync of thousands of objects, or a burst of steps across hundreds of rollouts,
//! leaves the daemon at its peak RSS long after the work is done. `malloc_trim` returns those pages;
//! it costs a walk of the free lists (well under a millisecond at this size), so it runs on a timer.

use std::time::Duration;

/// How often freed memory is returned.
pub const TRIM_EVERY: Duration = Duration::from_secs(5);

/// Returns freed heap pages to the system (a no-op where the C library has no `malloc_trim`).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only inspects and releases the allocator's own free memory; it takes no
    // pointers from us and is thread-safe in glibc.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Trims every [`TRIM_EVERY`] until `shutdown` turns true.
pub async fn trim_periodically(mut shutdown: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(TRIM_EVERY) => {
                let _ = tokio::task::spawn_blocking(trim).await;
            }
            _ = shutdown.changed() => return,
        }
    }
}
