//! A short-lived cache of lookup answers (channel and version documents),
//! so hot lookups (every Terraform plan, every build) do not hit the
//! database. An entry lives at most [`TTL_MS`] (bounding staleness from
//! writes made by other replicas), never past a scheduled revocation of
//! the version it holds, and every registry write in this process drops
//! all entries (a generation counter), so a revocation here is immediate.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use axum::body::Bytes;

use crate::store::now_ms;

/// Longest life of an entry.
pub const TTL_MS: i64 = 1000;
/// How long before an entry expires one request recomputes it (the others
/// keep being served from the entry meanwhile), so a hot key never
/// expires under load and never sends every waiting request to the
/// database at once.
const REFRESH_AHEAD_MS: i64 = 250;
/// Entries kept before the cache is emptied.
const MAX_ENTRIES: usize = 10_000;

/// A cached answer: the body is shared, never copied per request.
#[derive(Clone)]
pub struct Entry {
    pub status: u16,
    pub body: Bytes,
}

struct Slot {
    entry: Entry,
    generation: u64,
    until: i64,
    refresh_at: i64,
    /// Set by the one request that recomputes the entry ahead of expiry.
    refreshing: AtomicBool,
}

struct Cache {
    generation: AtomicU64,
    map: RwLock<HashMap<String, Arc<Slot>>>,
}

fn cache() -> &'static Cache {
    static C: OnceLock<Cache> = OnceLock::new();
    C.get_or_init(|| Cache {
        generation: AtomicU64::new(0),
        map: RwLock::new(HashMap::new()),
    })
}

/// Drop every entry (after any registry write).
pub fn invalidate() {
    let c = cache();
    c.generation.fetch_add(1, Ordering::SeqCst);
    if let Ok(mut m) = c.map.write() {
        m.clear();
    }
}

/// The generation to pass to [`put`]: read it before querying, so a write
/// that lands during the query makes the answer uncacheable.
pub fn generation() -> u64 {
    cache().generation.load(Ordering::SeqCst)
}

/// The cached answer for `key`; `None` when there is none — or, once per
/// entry shortly before it expires, to the one caller chosen to recompute
/// it (and [`put`] the fresh answer).
pub fn get(key: &str) -> Option<Entry> {
    let c = cache();
    let g = c.generation.load(Ordering::SeqCst);
    let slot = {
        let m = c.map.read().ok()?;
        m.get(key)?.clone()
    };
    let now = now_ms();
    if slot.generation != g || slot.until <= now {
        return None;
    }
    if now >= slot.refresh_at && !slot.refreshing.swap(true, Ordering::AcqRel) {
        return None;
    }
    Some(slot.entry.clone())
}

/// Keep an answer computed at `generation`, until `revoke_at` at the latest.
pub fn put(key: String, generation: u64, status: u16, body: Bytes, revoke_at: Option<i64>) {
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
    let slot = Arc::new(Slot {
        entry: Entry { status, body },
        generation,
        until,
        refresh_at: until - REFRESH_AHEAD_MS,
        refreshing: AtomicBool::new(false),
    });
    if let Ok(mut m) = c.map.write() {
        // A write may have landed since the check above.
        if c.generation.load(Ordering::SeqCst) != generation {
            return;
        }
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        m.insert(key, slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(s: &'static str) -> Bytes {
        Bytes::from_static(s.as_bytes())
    }

    #[test]
    fn a_fresh_entry_is_served_without_copying() {
        let key = "test\0fresh".to_string();
        let b = body("{\"a\":1}");
        put(key.clone(), generation(), 200, b.clone(), None);
        for _ in 0..3 {
            let e = get(&key).expect("cached");
            assert_eq!(e.status, 200);
            assert_eq!(e.body, b);
            // The same allocation: served, not copied.
            assert_eq!(e.body.as_ptr(), b.as_ptr());
        }
    }

    #[test]
    fn one_caller_recomputes_ahead_of_expiry_while_the_others_are_served() {
        let key = "test\0ahead".to_string();
        // Revocation in 100 ms: the entry lives until then and is already
        // inside the refresh window.
        put(
            key.clone(),
            generation(),
            200,
            body("old"),
            Some(now_ms() + 100),
        );
        assert!(get(&key).is_none(), "the first caller recomputes");
        for _ in 0..5 {
            assert_eq!(get(&key).expect("others are served").body, body("old"));
        }
        put(key.clone(), generation(), 200, body("new"), None);
        assert_eq!(get(&key).expect("refreshed").body, body("new"));
        assert_eq!(get(&key).expect("still fresh").body, body("new"));
    }

    #[test]
    fn nothing_is_served_past_a_due_revocation_or_a_write() {
        let key = "test\0revoked".to_string();
        put(
            key.clone(),
            generation(),
            200,
            body("x"),
            Some(now_ms() - 1),
        );
        assert!(get(&key).is_none(), "revocation already due: not cached");
        let g = generation();
        put(key.clone(), g, 200, body("x"), None);
        assert!(get(&key).is_some());
        invalidate();
        assert!(get(&key).is_none(), "a write drops every entry");
        put(key.clone(), g, 200, body("stale"), None);
        assert!(
            get(&key).is_none(),
            "an answer computed before a write is not kept"
        );
    }
}
