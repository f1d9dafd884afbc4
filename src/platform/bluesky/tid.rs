//! Record keys for posts: AT Protocol TIDs (13 characters of base32-sortable, a 53-bit
//! microsecond timestamp and a 10-bit clock id), derived from the delivery instead of the
//! clock, so that a post sent again after a crash has the same key and is found instead of
//! posted twice.

use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";

/// The TID for part `part` of the post keyed `key` (an idempotency key part), made at
/// `at_micros` (the entry's time): consecutive parts get consecutive microseconds, and the
/// clock id comes from the key, so two entries archived in the same millisecond differ.
pub fn derive(at_micros: i64, key: &str, part: usize) -> String {
    let micros = (at_micros.max(0) as u64 + part as u64) & ((1 << 53) - 1);
    let digest = Sha256::digest(key.as_bytes());
    let clock = u64::from(u16::from_be_bytes([digest[0], digest[1]])) & 0x3ff;
    encode((micros << 10) | clock)
}

fn encode(mut n: u64) -> String {
    let mut out = [b'2'; 13];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n & 31) as usize];
        n >>= 5;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether `s` is a syntactically valid TID.
pub fn is_valid(s: &str) -> bool {
    s.len() == 13
        && s.bytes().all(|b| ALPHABET.contains(&b))
        && matches!(s.as_bytes()[0], b'2'..=b'7' | b'a'..=b'j')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tids_are_valid_stable_sortable_and_distinct_per_key_and_part() {
        let at = 1_796_400_000_000_000; // 2026-12-03 in microseconds
        let a = derive(at, "k1", 0);
        assert!(is_valid(&a), "{a}");
        assert_eq!(a, derive(at, "k1", 0));
        assert_ne!(a, derive(at, "k2", 0));
        assert!(
            derive(at, "k1", 1) > a,
            "later parts sort after earlier ones"
        );
        assert!(derive(at + 1000, "k1", 0) > derive(at, "k9", 5));
        // The spec's example shape: 13 characters, first within 2–j.
        assert!(!is_valid("3jzfcijpj2z2") && !is_valid("zzzzzzzzzzzzz"));
    }
}
