//! Target names: kept exactly as in SQLite, shortened deterministically only when the
//! target's limit forces it (63 bytes on PostgreSQL, 64 characters on MariaDB), and
//! checked for collisions within each namespace.

use std::collections::BTreeMap;

use crate::hash::fnv1a64;
use crate::target::NameLimit;

/// Shorten `name` to fit `limit`: a prefix cut at a character boundary, `_`, and eight
/// hex digits of a hash of the full name. Names that fit are returned unchanged.
pub fn fit(name: &str, limit: NameLimit) -> String {
    let fits = match limit {
        NameLimit::Bytes(n) => name.len() <= n,
        NameLimit::Chars(n) => name.chars().count() <= n,
        NameLimit::Unlimited => true,
    };
    if fits {
        return name.to_string();
    }
    let suffix = format!("_{:08x}", fnv1a64(name.as_bytes()) & 0xffff_ffff);
    let mut prefix = String::new();
    for ch in name.chars() {
        let room = match limit {
            NameLimit::Bytes(n) => prefix.len() + ch.len_utf8() + suffix.len() <= n,
            NameLimit::Chars(n) => prefix.chars().count() + 1 + suffix.len() <= n,
            NameLimit::Unlimited => true,
        };
        if !room {
            break;
        }
        prefix.push(ch);
    }
    prefix + &suffix
}

/// Collects names of one namespace and reports the ones that collide. Names compare
/// case-insensitively, as MariaDB's do on most systems (and as a safe rule everywhere).
#[derive(Default)]
pub struct Namespace {
    seen: BTreeMap<String, String>,
}

impl Namespace {
    /// Register `target` (from `origin`); returns the origin of an earlier name it collides with.
    pub fn claim(&mut self, target: &str, origin: &str) -> Option<String> {
        let key = target.to_lowercase();
        match self.seen.get(&key) {
            Some(first) => Some(first.clone()),
            None => {
                self.seen.insert(key, origin.to_string());
                None
            }
        }
    }

    /// A name not taken yet, based on `wanted` (adds `_2`, `_3`, … and shortens as needed).
    pub fn unique(&mut self, wanted: &str, limit: NameLimit) -> String {
        let mut candidate = fit(wanted, limit);
        let mut n = 2;
        while self.seen.contains_key(&candidate.to_lowercase()) {
            candidate = fit(&format!("{wanted}_{n}"), limit);
            n += 1;
        }
        self.seen.insert(candidate.to_lowercase(), wanted.to_string());
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_untouched() {
        assert_eq!(fit("Order Details", NameLimit::Bytes(63)), "Order Details");
    }

    #[test]
    fn long_names_are_cut_with_a_stable_hash() {
        let a = "a".repeat(63) + "x";
        let b = "a".repeat(63) + "y";
        let fa = fit(&a, NameLimit::Bytes(63));
        let fb = fit(&b, NameLimit::Bytes(63));
        assert_eq!(fa.len(), 63);
        assert_ne!(fa, fb, "names equal in their first 63 bytes must still differ");
        assert_eq!(fa, fit(&a, NameLimit::Bytes(63)), "deterministic");
        // Multi-byte characters are never split, and MariaDB counts characters.
        let greek = "λ".repeat(40);
        let pg = fit(&greek, NameLimit::Bytes(63));
        assert!(pg.len() <= 63 && pg.is_char_boundary(pg.len()));
        assert_eq!(fit(&greek, NameLimit::Chars(64)), greek);
        assert_eq!(fit(&"λ".repeat(70), NameLimit::Chars(64)).chars().count(), 64);
    }

    #[test]
    fn namespaces_find_collisions_and_make_unique_names() {
        let mut ns = Namespace::default();
        assert_eq!(ns.claim("Users", "table Users"), None);
        assert_eq!(ns.claim("users", "table users"), Some("table Users".into()));
        assert_eq!(ns.unique("users", NameLimit::Bytes(63)), "users_2");
    }
}
