//! The value patterns of a `deactivate` step (`admin`, `demo*`, `user[0-9]*`): which rows
//! a step means. `harden`, `gate` and `init` (which writes the starter profile) must agree
//! on them exactly, so they live here, in one small function.

/// Whether `value` matches `pattern`, ignoring ASCII case:
///
/// - `prefix[0-9]*`: the prefix followed by one or more ASCII digits (`user[0-9]*`
///   matches `user12`, not `username` or `user`);
/// - `prefix*`: anything starting with the prefix (`demo*` matches `demo` and `demo-2`);
/// - anything else: the exact value.
pub fn matches(pattern: &str, value: &str) -> bool {
    let p = pattern.to_ascii_lowercase();
    let v = value.to_ascii_lowercase();
    if let Some(prefix) = p.strip_suffix("[0-9]*") {
        return v.strip_prefix(prefix).is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()));
    }
    match p.strip_suffix('*') {
        Some(prefix) => v.starts_with(prefix),
        None => v == p,
    }
}

/// Whether `value` matches any of `patterns`.
pub fn matches_any(patterns: &[String], value: &str) -> bool {
    patterns.iter().any(|p| matches(p, value))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn exact_values_ignore_ascii_case_only() {
        assert!(matches("admin", "admin"));
        assert!(matches("admin", "Admin"));
        assert!(matches("ACME-MFG", "acme-mfg"));
        assert!(!matches("admin", "admin2"));
        assert!(!matches("admin", "admi"));
        assert!(!matches("admin", " admin"));
        // Only ASCII letters fold: a non-ASCII value must match exactly.
        assert!(matches("jürgen", "JüRGEN"));
        assert!(!matches("jürgen", "JÜRGEN"));
    }

    #[test]
    fn star_suffix_is_a_prefix_match() {
        assert!(matches("e2e_*", "e2e_admin"));
        assert!(matches("e2e_*", "E2E_"));
        assert!(matches("supervisor*", "supervisor3"));
        assert!(matches("DEMO*", "demo-001"));
        assert!(!matches("DEMO*", "the-demo"));
        assert!(matches("*", "anything"));
    }

    #[test]
    fn digit_suffix_needs_at_least_one_digit_and_only_digits() {
        assert!(matches("user[0-9]*", "user12"));
        assert!(matches("user[0-9]*", "USER7"));
        assert!(!matches("user[0-9]*", "user"));
        assert!(!matches("user[0-9]*", "username"));
        assert!(!matches("user[0-9]*", "user1a"));
        assert!(!matches("operator[0-9]*", "operator-1"));
    }
}
