//! The fixed demo's sign-in throttle: a fixed window per client address.
//!
//! It is keyed on the peer socket address only (never on a request header, so spoofing
//! X-Forwarded-For buys nothing) and counts attempts across all usernames, so spraying one
//! password over many accounts is throttled just like guessing one account.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Prune expired windows once the table holds this many clients.
const PRUNE_AT: usize = 4096;

/// What the limiter says about one sign-in attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The attempt may go ahead; it has been counted.
    Allowed,
    /// The client is throttled; the window ends in this many seconds (at least 1).
    Blocked { retry_after: u64 },
}

#[derive(Debug)]
pub struct Limiter {
    max: u32,
    window: Duration,
    clients: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl Limiter {
    pub fn new(max: u32, window: Duration) -> Self {
        Limiter {
            max,
            window,
            clients: Mutex::new(HashMap::new()),
        }
    }

    fn seconds_left(&self, start: Instant, now: Instant) -> u64 {
        let left = self
            .window
            .saturating_sub(now.saturating_duration_since(start));
        // Round up: a client told "0" would come back too early.
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        secs.max(1)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, (u32, Instant)>> {
        // A panic elsewhere must not turn the limiter off: keep using the data.
        self.clients.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `ip` is throttled right now, without counting anything.
    pub fn peek(&self, ip: IpAddr, now: Instant) -> Decision {
        let clients = self.lock();
        match clients.get(&ip) {
            Some(&(count, start))
                if now.saturating_duration_since(start) < self.window && count >= self.max =>
            {
                Decision::Blocked {
                    retry_after: self.seconds_left(start, now),
                }
            }
            _ => Decision::Allowed,
        }
    }

    /// Count one attempt by `ip`, atomically with the check, so a burst of parallel requests
    /// cannot all slip in before the first failure is recorded.
    pub fn acquire(&self, ip: IpAddr, now: Instant) -> Decision {
        let mut clients = self.lock();
        if clients.len() >= PRUNE_AT {
            let window = self.window;
            clients.retain(|_, &mut (_, start)| now.saturating_duration_since(start) < window);
        }
        let entry = clients.entry(ip).or_insert((0, now));
        if now.saturating_duration_since(entry.1) >= self.window {
            *entry = (0, now);
        }
        if entry.0 >= self.max {
            let start = entry.1;
            return Decision::Blocked {
                retry_after: self.seconds_left(start, now),
            };
        }
        entry.0 += 1;
        Decision::Allowed
    }

    /// Give back an attempt that succeeded: only failures count against the client.
    pub fn refund(&self, ip: IpAddr) {
        let mut clients = self.lock();
        if let Some(entry) = clients.get_mut(&ip) {
            entry.0 = entry.0.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn blocks_after_max_and_reopens_after_window() {
        let l = Limiter::new(5, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..5 {
            assert_eq!(l.acquire(ip(1), t0), Decision::Allowed);
        }
        assert_eq!(
            l.acquire(ip(1), t0 + Duration::from_millis(500)),
            Decision::Blocked { retry_after: 60 }
        );
        assert_eq!(
            l.peek(ip(1), t0 + Duration::from_secs(59)),
            Decision::Blocked { retry_after: 1 }
        );
        // Another client is not affected.
        assert_eq!(l.acquire(ip(2), t0), Decision::Allowed);
        // The window ends.
        assert_eq!(
            l.peek(ip(1), t0 + Duration::from_secs(60)),
            Decision::Allowed
        );
        assert_eq!(
            l.acquire(ip(1), t0 + Duration::from_secs(61)),
            Decision::Allowed
        );
    }

    #[test]
    fn refund_gives_back_successes() {
        let l = Limiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(l.acquire(ip(1), t0), Decision::Allowed);
        l.refund(ip(1));
        assert_eq!(l.acquire(ip(1), t0), Decision::Allowed);
        assert_eq!(l.acquire(ip(1), t0), Decision::Allowed);
        assert!(matches!(l.acquire(ip(1), t0), Decision::Blocked { .. }));
    }
}
