//! Payloads for each webhook format. Text is escaped for the receiving platform so that no
//! post can ping anyone or inject markup.

use serde_json::{Value, json};

use crate::domain::Entry;
use crate::sink::{Notice, Outgoing};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Slack,
    Mattermost,
    Teams,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "slack" => Some(Format::Slack),
            "mattermost" => Some(Format::Mattermost),
            "teams" => Some(Format::Teams),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// The chat platform this format posts to; `None` for the plain JSON format, whose
    /// receivers get structured data rather than text to show.
    fn chat(self) -> Option<Chat> {
        match self {
            Format::Slack => Some(Chat::Slack),
            Format::Mattermost => Some(Chat::Mattermost),
            Format::Teams => Some(Chat::Teams),
            Format::Json => None,
        }
    }
}

/// The formats that show a message's text to people on a chat platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chat {
    Slack,
    Mattermost,
    Teams,
}

/// Slack's escaping: `&`, `<`, `>` are the only control characters of its markup; with them
/// escaped, `<!everyone>`-style mentions and links cannot be formed.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Mattermost and Teams turn `@channel`, `@all`, `@here` and `@name` into mentions; a word
/// joiner after `@` keeps the text readable and the mention inert.
fn defuse_mentions(s: &str) -> String {
    s.replace('@', "@\u{2060}")
}

/// Markdown control characters escaped, so clerk text shows as typed. `#` only matters at the
/// start of a line (a heading), so only there is it escaped.
fn markdown_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut line_start = true;
    for c in s.chars() {
        if matches!(c, '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>') || (line_start && c == '#') {
            out.push('\\');
        }
        out.push(c);
        line_start = c == '\n';
    }
    out
}

fn event_name(e: &Entry) -> &'static str {
    match e.kind() {
        crate::domain::EntryKind::Correction => "correction",
        crate::domain::EntryKind::Withdrawal => "withdrawal",
        _ => "entry",
    }
}

/// The JSON body for one message in `format`.
pub fn payload(format: Format, msg: &Outgoing<'_>) -> Value {
    let Some(chat) = format.chat() else {
        return json!({
            "gavel": 1,
            "event": event_name(msg.entry),
            "meeting": msg.entry.meeting.0,
            "seq": msg.entry.seq.0,
            "kind": msg.entry.kind().as_str(),
            "refers_to": msg.entry.refers_to.map(|n| n.0),
            "text": msg.text,
            "entry_text": msg.entry.text,
            "fields": msg.entry.payload.to_json(),
            "at": msg.entry.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "local_time": msg.entry.local_time().to_rfc3339(),
            "hash": msg.entry.hash,
            "idempotency_key": msg.key.part(0),
        });
    };
    text_payload(chat, &msg.text)
}

/// The JSON body for a notice (a consultation reminder): chat formats show its text like an
/// entry's; the JSON format marks it `"type": "notice"` so receivers can tell it from entries,
/// which belong to a meeting and carry a hash.
pub fn notice_payload(format: Format, notice: &Notice) -> Value {
    match format.chat() {
        Some(chat) => text_payload(chat, &notice.text),
        None => json!({
            "gavel": 1,
            "type": "notice",
            "text": notice.text,
            "idempotency_key": notice.key.part(0),
        }),
    }
}

/// The body showing `text` on a chat platform.
fn text_payload(chat: Chat, text: &str) -> Value {
    match chat {
        Chat::Slack => json!({
            "text": slack_escape(text),
            "mrkdwn": false,
            "unfurl_links": false,
        }),
        Chat::Mattermost => json!({
            "text": markdown_escape(&defuse_mentions(text)),
        }),
        Chat::Teams => json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [{ "type": "TextBlock", "text": markdown_escape(&defuse_mentions(text)), "wrap": true }],
                },
            }],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Author, EntryNo, MeetingId};
    use crate::sink::IdempotencyKey;

    fn entry(text: &str) -> Entry {
        Entry {
            id: 1,
            meeting: MeetingId(1),
            seq: EntryNo(3),
            payload: crate::domain::Payload::note(text),
            text: text.into(),
            author: Author::new("console", "c", "C"),
            at: chrono::Utc::now(),
            timezone: chrono_tz::Europe::London,
            refers_to: None,
            confidential: false,
            source: None,
            prev_hash: String::new(),
            hash: "h".into(),
        }
    }

    fn out(e: &Entry) -> Outgoing<'_> {
        Outgoing {
            key: IdempotencyKey::derive("h", "t", "post"),
            entry: e,
            original: None,
            text: e.text.clone(),
            original_remote: Vec::new(),
            thread_root: None,
        }
    }

    #[test]
    fn slack_text_cannot_form_mentions_or_links() {
        let e = entry("<!everyone> <@U123> <https://evil|click> & co");
        let p = payload(Format::Slack, &out(&e));
        let t = p["text"].as_str().unwrap();
        assert!(!t.contains('<') && !t.contains('>'), "{t}");
        assert!(t.contains("&lt;!everyone&gt;"));
    }

    #[test]
    fn mattermost_and_teams_defuse_at_mentions() {
        let e = entry("@channel @all look");
        for f in [Format::Mattermost, Format::Teams] {
            let s = payload(f, &out(&e)).to_string();
            assert!(!s.contains("@channel"), "{f:?}: {s}");
            assert!(
                s.contains("@\u{2060}channel") || s.contains("@\\u2060channel"),
                "{f:?}: {s}"
            );
        }
    }

    #[test]
    fn json_payload_carries_structure_and_hash() {
        let e = entry("hello");
        let p = payload(Format::Json, &out(&e));
        assert_eq!(p["seq"], 3);
        assert_eq!(p["event"], "entry");
        assert_eq!(p["hash"], "h");
        assert_eq!(p["idempotency_key"].as_str().unwrap().len(), 24);
    }
}
