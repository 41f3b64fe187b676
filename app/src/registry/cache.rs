//! A short-lived cache of lookup answers (channel and version documents),
//! so hot lookups (every Terraform plan, every build) do not hit the
//! database. An entry lives at most [`TTL_MS`] (bounding staleness from
//! writes made by other replicas), never past a scheduled revocation of
//! the version it holds, and every registry write in this process drops
//! all entries (a generation counter), so a revocation here is immediate.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::store::now_ms;

/// Longest life of an entry.
pub const TTL_MS: i64 = 1000;
/// Entries kept before the cache is emptied.
const MAX_ENTRIES: usize = 10_000;

#[derive(Clone)]
pub struct Entry {
    pub status: u16,
    pub body: Arc<[u8]>,
    generation: u64,
    until: i64,
}

struct Cache {
    generation: AtomicU64,
    map: Mutex<HashMap<String, Entry>>,
}

fn cache() -> &'static Cache {
    static C: OnceLock<Cache> = OnceLock::new();
    C.get_or_init(|| Cache {
        generation: AtomicU64::new(0),
        map: Mutex::new(HashMap::new()),
    })
}

/// Drop every entry (after any registry write).
pub fn invalidate() {
    let c = cache();
    c.generation.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut m) = c.map.lock() {
        m.clear();
    }
}

/// The generation to pass to [`put`]: read it before querying, so a write
/// that lands during the query makes the answer uncacheable.
pub fn generation() -> u64 {
    cache().generation.load(Ordering::SeqCst)
}

pub fn get(key: &str) -> Option<Entry> {
    let c = cache();
    let g = c.generation.load(Ordering::SeqCst);
    let m = c.map.lock().ok()?;
    let e = m.get(key)?;
    (e.generation == g && e.until > now_ms()).then(|| e.clone())
}

/// Keep an answer computed at `generation`, until `revoke_at` at the latest.
pub fn put(key: String, generation: u64, status: u16, body: Vec<u8>, revoke_at: Option<i64>) {
    let c = cache();
    if c.generation.load(Ordering::SeqCst) != generation {
        return;
    }
    let now = now_ms();
    let until = match revoke_at {
        // Revocation is due (within the second the time was rounded to).
        Some(t) if t <= now => return,
        Some(t) => t.min(now + TTL_MS),
        None => now + TTL_MS,
    };
    if let Ok(mut m) = c.map.lock() {
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        m.insert(
            key,
            Entry {
                status,
                body: body.into(),
                generation,
                until,
            },
        );
    }
}
