//! Discord message bodies: deterministic splitting under the 2,000-character limit, and the
//! JSON for creates and edits, which always carries `allowed_mentions` allowing nothing so no
//! post can ping anyone (`@everyone`, `@here`, roles, users, the replied-to author).

use serde_json::{Value, json};

/// Discord's content limit.
pub const MAX_CONTENT: usize = 2000;

/// Splits `text` into parts of at most `limit` UTF-16 units each (Discord may count so; never
/// fewer than characters), at paragraph, line or word boundaries ([`crate::platform::text`]).
pub fn split(text: &str, limit: usize) -> Vec<String> {
    crate::platform::text::split(text, limit, crate::platform::text::Measure::Utf16)
}

/// `allowed_mentions` that allows no ping at all.
pub fn no_mentions() -> Value {
    json!({"parse": [], "users": [], "roles": [], "replied_user": false})
}

/// The body of a message create. `nonce` (at most 25 characters) with `enforce_nonce` makes
/// Discord return the earlier message instead of posting twice for a few minutes.
pub fn create_body(content: &str, nonce: &str, reply_to: Option<(u64, u64)>) -> Value {
    let mut body = json!({
        "content": content,
        "allowed_mentions": no_mentions(),
        "nonce": nonce,
        "enforce_nonce": true,
    });
    if let Some((channel, message)) = reply_to {
        body["message_reference"] = json!({
            "message_id": message.to_string(),
            "channel_id": channel.to_string(),
            "fail_if_not_exists": false,
        });
    }
    body
}

/// `allowed_mentions` that allows no ping at all, as a type: see [`no_mentions`].
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct NoMentions {
    parse: [&'static str; 0],
    users: [&'static str; 0],
    roles: [&'static str; 0],
    replied_user: bool,
}

pub const NO_MENTIONS: NoMentions = NoMentions {
    parse: [],
    users: [],
    roles: [],
    replied_user: false,
};

/// The body of a plain message create, exactly as [`create_body`] without a reply, as a type
/// that serialises straight to JSON (the outbox sends one per target per entry).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CreatePost<'a> {
    content: &'a str,
    allowed_mentions: NoMentions,
    nonce: &'a str,
    enforce_nonce: bool,
}

impl<'a> CreatePost<'a> {
    pub fn new(content: &'a str, nonce: &'a str) -> Self {
        CreatePost {
            content,
            allowed_mentions: NO_MENTIONS,
            nonce,
            enforce_nonce: true,
        }
    }
}

/// The body of a message edit (allowed_mentions again: Discord re-evaluates mentions on edit).
pub fn edit_body(content: &str) -> Value {
    json!({"content": content, "allowed_mentions": no_mentions()})
}

#[cfg(test)]
mod tests {
    use unicode_segmentation::UnicodeSegmentation;

    use super::*;

    fn units(s: &str) -> usize {
        s.encode_utf16().count()
    }
    use proptest::prelude::*;

    #[test]
    fn short_text_is_one_part() {
        assert_eq!(
            split("#1 19:00 · hello", MAX_CONTENT),
            vec!["#1 19:00 · hello"]
        );
    }

    #[test]
    fn long_text_splits_on_paragraphs_then_lines_then_words() {
        let para = "word ".repeat(300); // 1500 chars
        let text = format!("{}\n\n{}", para.trim(), para.trim());
        let parts = split(&text, MAX_CONTENT);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], para.trim());
        let words = "abcdefghi ".repeat(450); // 4500 chars, no line breaks
        let parts = split(&words, MAX_CONTENT);
        assert_eq!(parts.len(), 3);
        assert!(
            parts.iter().all(|p| p.chars().count() <= MAX_CONTENT
                && !p.starts_with(' ')
                && !p.ends_with(' '))
        );
        assert!(
            parts.iter().all(|p| p.split(' ').all(|w| w == "abcdefghi")),
            "no word is cut"
        );
    }

    #[test]
    fn a_split_never_cuts_a_grapheme() {
        let family = "👨\u{200d}👩\u{200d}👧"; // one grapheme, 8 UTF-16 units
        let text = family.repeat(600);
        let parts = split(&text, MAX_CONTENT);
        assert!(parts.len() >= 3);
        for p in &parts {
            assert!(units(p) <= MAX_CONTENT);
            assert_eq!(
                p.graphemes(true).filter(|g| *g != family).count(),
                0,
                "a family emoji was cut"
            );
        }
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn every_body_forbids_every_ping() {
        for b in [
            create_body("@everyone", "n", Some((1, 2))),
            edit_body("<@&1>"),
        ] {
            assert_eq!(b["allowed_mentions"]["parse"], json!([]));
            assert_eq!(b["allowed_mentions"]["replied_user"], json!(false));
        }
    }

    #[test]
    fn a_typed_create_is_the_same_json_as_create_body() {
        let content = "#3 19:04 · @everyone <b>\u{202e}";
        assert_eq!(
            serde_json::to_value(CreatePost::new(content, "nonce-1")).unwrap(),
            create_body(content, "nonce-1", None)
        );
        assert_eq!(serde_json::to_value(NO_MENTIONS).unwrap(), no_mentions());
    }

    proptest! {
        #[test]
        fn parts_are_within_the_limit_and_keep_every_non_space_character(s in "[a-z \\n🎉é]{0,3000}", limit in 10usize..300) {
            let parts = split(&s, limit);
            prop_assert!(parts.iter().all(|p| units(p) <= limit));
            let strip = |x: &str| x.chars().filter(|c| !c.is_whitespace()).collect::<String>();
            prop_assert_eq!(strip(&parts.concat()), strip(&s));
            prop_assert_eq!(parts.clone(), split(&s, limit));
        }
    }
}
