//! Giving freed heap back to the system. glibc keeps memory freed in the middle of its arenas
//! resident; a sync pass over thousands of objects, or a burst of steps across hundreds of rollouts,
//! leaves the daemon at its peak RSS long after the work is done. `malloc_trim` returns those pages,
//! but every page returned is faulted back in when the heap grows again: trimming every 5s doubled
//! the median pause-to-VirtualService latency with 200 rollouts. So it runs after a sync pass that
//! wrote objects (the big allocations) and otherwise once a minute.

use std::time::Duration;

/// How often freed memory is returned when nothing else asks for it.
pub const TRIM_EVERY: Duration = Duration::from_secs(60);

/// Returns freed heap pages to the system (a no-op where the C library has no `malloc_trim`).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only inspects and releases the allocator's own free memory; it takes no
    // pointers from us and is thread-safe in glibc.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Trims on a blocking thread (it walks the whole heap), without waiting for it.
pub fn trim_soon() {
    tokio::task::spawn_blocking(trim);
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
