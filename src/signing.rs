//! Signed checkpoints: an ed25519 signature over a meeting's final chain head, so an archivist
//! can prove years later that the archive still holds exactly what was recorded.
//!
//! The signed message is the UTF-8 bytes
//! `gavel-checkpoint-v1\n{meeting}\n{entries}\n{head}\n`. The key file holds the 32-byte
//! ed25519 seed as hex or base64, or a PKCS#8 PEM (`openssl genpkey -algorithm ed25519`).

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::archive::{Archive, ArchiveError, ChainProblem, Checkpoint};
use crate::desk::HeadSigner;
use crate::domain::MeetingId;

/// The DER prefix of an ed25519 PKCS#8 v1 private key; the 32-byte seed follows it.
const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("cannot read the signing key {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the signing key {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the signing key {path} is not an ed25519 key: expected a 32-byte seed in hex (64 characters) or base64, or a PKCS#8 PEM"
    )]
    BadKey { path: PathBuf },
    #[error("meeting {meeting}'s chain is broken ({detail}); refusing to sign it")]
    BrokenChain { meeting: MeetingId, detail: String },
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

/// The bytes a checkpoint signature covers.
pub fn checkpoint_message(meeting: MeetingId, entries: u32, head: &str) -> Vec<u8> {
    format!("gavel-checkpoint-v1\n{meeting}\n{entries}\n{head}\n").into_bytes()
}

/// SHA-256 of a public key, first 16 bytes as hex in groups of four: `ab12:cd34:…`.
pub fn fingerprint(public_key: &[u8]) -> String {
    let digest = Sha256::digest(public_key);
    let hex = hex::encode(&digest[..16]);
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// An ed25519 key that signs meetings' chain heads.
pub struct Signer {
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("fingerprint", &self.fingerprint())
            .finish_non_exhaustive()
    }
}

impl Signer {
    pub fn from_seed(seed: &[u8; 32]) -> Signer {
        Signer {
            key: SigningKey::from_bytes(seed),
        }
    }

    /// Loads a key file: hex or base64 seed, or PKCS#8 PEM.
    pub fn from_file(path: &Path) -> Result<Signer, SigningError> {
        let text = std::fs::read_to_string(path).map_err(|source| SigningError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::metadata(path)
                && meta.permissions().mode() & 0o077 != 0
            {
                tracing::warn!(path = %path.display(), "the signing key is readable by other users; chmod 600 it");
            }
        }
        let seed = parse_key(&text).ok_or_else(|| SigningError::BadKey {
            path: path.to_path_buf(),
        })?;
        Ok(Signer::from_seed(&seed))
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The public key as standard base64, as stored in checkpoints.
    pub fn public_key_base64(&self) -> String {
        B64.encode(self.verifying_key().to_bytes())
    }

    pub fn fingerprint(&self) -> String {
        fingerprint(&self.verifying_key().to_bytes())
    }

    /// Verifies the meeting's chain, signs its head and saves the checkpoint.
    pub fn sign_checkpoint(
        &self,
        archive: &Archive,
        meeting: MeetingId,
        now: DateTime<Utc>,
    ) -> Result<Checkpoint, SigningError> {
        let report = archive
            .verify(Some(meeting))?
            .into_iter()
            .next()
            .ok_or(ArchiveError::NoSuchMeeting(meeting))?;
        if let Some(p) = report.problem {
            return Err(SigningError::BrokenChain {
                meeting,
                detail: describe_problem(&p),
            });
        }
        let signature = self
            .key
            .sign(&checkpoint_message(meeting, report.entries, &report.head));
        let checkpoint = Checkpoint {
            meeting,
            head: report.head,
            entries: report.entries,
            public_key: self.public_key_base64(),
            signature: B64.encode(signature.to_bytes()),
            signed_at: now,
        };
        archive.save_checkpoint(&checkpoint)?;
        Ok(checkpoint)
    }
}

impl HeadSigner for Signer {
    fn sign_meeting(&self, archive: &Archive, meeting: MeetingId) -> Result<(), String> {
        self.sign_checkpoint(archive, meeting, Utc::now())
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

fn parse_key(text: &str) -> Option<[u8; 32]> {
    let t = text.trim();
    if t.starts_with("-----BEGIN PRIVATE KEY-----") {
        let body: String = t
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .map(str::trim)
            .collect();
        let der = B64.decode(body).ok()?;
        let seed = der.strip_prefix(&PKCS8_ED25519_PREFIX[..])?;
        return seed.try_into().ok();
    }
    if t.len() == 64
        && let Ok(bytes) = hex::decode(t)
    {
        return bytes.try_into().ok();
    }
    B64.decode(t).ok()?.try_into().ok()
}

/// Creates a new key file holding a random seed in hex, readable only by its owner. Refuses to
/// overwrite an existing file. Returns the public key.
pub fn generate_key(path: &Path) -> Result<VerifyingKey, SigningError> {
    let key = SigningKey::generate(&mut rand::rngs::OsRng);
    let write_err = |source| SigningError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(write_err)?;
    file.write_all(format!("{}\n", hex::encode(key.to_bytes())).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(write_err)?;
    Ok(key.verifying_key())
}

/// What `verify_checkpoint` found for a meeting's stored checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckpointStatus {
    pub checkpoint: Checkpoint,
    /// Fingerprint of the checkpoint's public key (empty if the key is not valid base64).
    pub fingerprint: String,
    /// The signature is a valid ed25519 signature by the checkpoint's key.
    pub signature_valid: bool,
    /// The stored head and entry count equal the recomputed chain, and the chain is intact.
    pub matches_chain: bool,
    /// What is wrong, if anything.
    pub problem: Option<String>,
}

impl CheckpointStatus {
    pub fn is_valid(&self) -> bool {
        self.signature_valid && self.matches_chain
    }
}

fn describe_problem(p: &ChainProblem) -> String {
    match p.entry {
        Some(n) => format!("entry {n}: {}", p.detail),
        None => p.detail.clone(),
    }
}

fn signature_ok(c: &Checkpoint) -> Result<(), String> {
    let key: [u8; 32] = B64
        .decode(&c.public_key)
        .ok()
        .and_then(|k| k.try_into().ok())
        .ok_or("the checkpoint's public key is not a base64 ed25519 key")?;
    let key =
        VerifyingKey::from_bytes(&key).map_err(|_| "the checkpoint's public key is invalid")?;
    let sig = B64
        .decode(&c.signature)
        .ok()
        .and_then(|s| Signature::from_slice(&s).ok())
        .ok_or("the checkpoint's signature is not a base64 ed25519 signature")?;
    key.verify_strict(&checkpoint_message(c.meeting, c.entries, &c.head), &sig)
        .map_err(|_| "the signature does not match the checkpoint".to_string())
}

/// Checks a meeting's stored checkpoint: its signature, and that its head and entry count equal
/// the chain recomputed now. `Ok(None)` when the meeting has no checkpoint.
pub fn verify_checkpoint(
    archive: &Archive,
    meeting: MeetingId,
) -> Result<Option<CheckpointStatus>, ArchiveError> {
    let report = archive
        .verify(Some(meeting))?
        .into_iter()
        .next()
        .ok_or(ArchiveError::NoSuchMeeting(meeting))?;
    verify_checkpoint_against(archive, meeting, &report)
}

/// [`verify_checkpoint`] against a chain report the caller has already computed.
pub fn verify_checkpoint_against(
    archive: &Archive,
    meeting: MeetingId,
    report: &crate::archive::ChainReport,
) -> Result<Option<CheckpointStatus>, ArchiveError> {
    let Some(checkpoint) = archive.checkpoint(meeting)? else {
        return Ok(None);
    };
    let fingerprint = B64
        .decode(&checkpoint.public_key)
        .map(|k| fingerprint(&k))
        .unwrap_or_default();
    let mut problems = Vec::new();
    let signature_valid = match signature_ok(&checkpoint) {
        Ok(()) => true,
        Err(e) => {
            problems.push(e);
            false
        }
    };
    if let Some(p) = &report.problem {
        problems.push(format!("the chain is broken at {}", describe_problem(p)));
    }
    if report.head != checkpoint.head || report.entries != checkpoint.entries {
        problems.push(format!(
            "the checkpoint signed {} entries with head {}, but the archive now has {} entries with head {}",
            checkpoint.entries, checkpoint.head, report.entries, report.head
        ));
    }
    let matches_chain = report.problem.is_none()
        && report.head == checkpoint.head
        && report.entries == checkpoint.entries;
    Ok(Some(CheckpointStatus {
        checkpoint,
        fingerprint,
        signature_valid,
        matches_chain,
        problem: (!problems.is_empty()).then(|| problems.join("; ")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::sqlite::SqliteArchive;
    use crate::archive::{EntryDraft, MeetingRef};
    use crate::domain::{Author, EntryKind};
    use chrono::TimeZone;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 18, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn draft(kind: EntryKind, text: &str, min: i64) -> EntryDraft {
        EntryDraft {
            payload: crate::domain::Payload::sample(kind, text),
            text: text.into(),
            author: Author::new("console", "clerk", "Clerk"),
            at: at(min),
            timezone: chrono_tz::Europe::London,
            refers_to: None,
            confidential: false,
            source: None,
        }
    }

    fn meeting(a: &Archive) -> MeetingId {
        let first = a
            .append(
                MeetingRef::New {
                    title: "Full Council".into(),
                    scheduled: None,
                },
                draft(EntryKind::Start, "Meeting started: Full Council", 0),
                &[],
            )
            .unwrap();
        let m = first.entry().meeting;
        for i in 1..4 {
            a.append(
                MeetingRef::Existing(m),
                draft(EntryKind::Note, &format!("note {i}"), i),
                &[],
            )
            .unwrap();
        }
        m
    }

    fn signer() -> Signer {
        Signer::from_seed(&[7u8; 32])
    }

    #[test]
    fn a_signed_clean_archive_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::open(&dir.path().join("g.db")).unwrap();
        let m = meeting(&a);
        let c = signer().sign_checkpoint(&a, m, at(10)).unwrap();
        assert_eq!(c.entries, 4);
        let status = verify_checkpoint(&a, m).unwrap().unwrap();
        assert!(status.is_valid(), "{status:?}");
        assert_eq!(status.fingerprint, signer().fingerprint());
        assert_eq!(status.problem, None);
    }

    #[test]
    fn a_meeting_without_a_checkpoint_reports_none() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::open(&dir.path().join("g.db")).unwrap();
        let m = meeting(&a);
        assert_eq!(verify_checkpoint(&a, m).unwrap(), None);
    }

    #[test]
    fn a_changed_entry_fails_checkpoint_verification() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::open(&dir.path().join("g.db")).unwrap();
        let m = meeting(&a);
        signer().sign_checkpoint(&a, m, at(10)).unwrap();
        SqliteArchive::sql(&a, |c| {
            c.execute("UPDATE entries SET text = 'note 9' WHERE seq = 3", [])
        })
        .unwrap();
        let status = verify_checkpoint(&a, m).unwrap().unwrap();
        assert!(status.signature_valid);
        assert!(!status.matches_chain);
        assert!(!status.is_valid());
        assert!(status.problem.unwrap().contains("#3"));
    }

    #[test]
    fn a_tampered_signature_fails_checkpoint_verification() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::open(&dir.path().join("g.db")).unwrap();
        let m = meeting(&a);
        let c = signer().sign_checkpoint(&a, m, at(10)).unwrap();
        let mut sig = B64.decode(&c.signature).unwrap();
        sig[5] ^= 1;
        SqliteArchive::sql(&a, |conn| {
            conn.execute("UPDATE checkpoints SET signature = ?1", [B64.encode(&sig)])
        })
        .unwrap();
        let status = verify_checkpoint(&a, m).unwrap().unwrap();
        assert!(!status.signature_valid);
        assert!(status.matches_chain);
        assert!(!status.is_valid());
    }

    #[test]
    fn a_checkpoint_signed_by_another_key_fails() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::open(&dir.path().join("g.db")).unwrap();
        let m = meeting(&a);
        signer().sign_checkpoint(&a, m, at(10)).unwrap();
        let other = Signer::from_seed(&[8u8; 32]).public_key_base64();
        SqliteArchive::sql(&a, |conn| {
            conn.execute("UPDATE checkpoints SET public_key = ?1", [other])
        })
        .unwrap();
        assert!(!verify_checkpoint(&a, m).unwrap().unwrap().signature_valid);
    }

    #[test]
    fn a_broken_chain_is_refused_a_signature() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archive::open(&dir.path().join("g.db")).unwrap();
        let m = meeting(&a);
        SqliteArchive::sql(&a, |c| {
            c.execute("UPDATE entries SET text = 'x' WHERE seq = 2", [])
        })
        .unwrap();
        let err = signer().sign_checkpoint(&a, m, at(10)).unwrap_err();
        assert!(matches!(err, SigningError::BrokenChain { .. }), "{err}");
        assert_eq!(a.checkpoint(m).unwrap(), None);
    }

    #[tokio::test]
    async fn the_desk_signs_the_chain_head_when_the_meeting_ends() {
        use crate::desk::{ClerkInput, Desk, DeskSettings, Reply};
        use std::sync::Arc;
        let dir = tempfile::tempdir().unwrap();
        let archive = Arc::new(Archive::open(&dir.path().join("g.db")).unwrap());
        let settings = DeskSettings {
            prefix: "!".into(),
            timezone: chrono_tz::Europe::London,
            targets: vec![],
            public_url: None,
            language: crate::i18n::Language::En,
        };
        let desk = Desk::new(archive.clone(), settings)
            .unwrap()
            .with_signer(Arc::new(signer()));
        let mut meeting = None;
        for (i, line) in ["!start Cabinet", "!note Quorate.", "!end"]
            .into_iter()
            .enumerate()
        {
            let input = ClerkInput {
                author: Author::new("console", "clerk", "Clerk"),
                text: line.into(),
                source: None,
            };
            match desk.submit_at(input, at(i as i64)).await {
                Reply::Recorded { entry, .. } => meeting = Some(entry.meeting),
                other => panic!("{line}: {other:?}"),
            }
        }
        let m = meeting.unwrap();
        let status = verify_checkpoint(&archive, m).unwrap().unwrap();
        assert!(status.is_valid(), "{status:?}");
        assert_eq!(status.checkpoint.entries, 3);
    }

    #[test]
    fn key_files_in_hex_base64_and_pem_give_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let seed = [42u8; 32];
        let expected = Signer::from_seed(&seed).public_key_base64();
        let mut der = PKCS8_ED25519_PREFIX.to_vec();
        der.extend_from_slice(&seed);
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            B64.encode(der)
        );
        for (name, body) in [
            ("hex", hex::encode(seed)),
            ("b64", B64.encode(seed)),
            ("pem", pem),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, body).unwrap();
            assert_eq!(
                Signer::from_file(&p).unwrap().public_key_base64(),
                expected,
                "{name}"
            );
        }
        let bad = dir.path().join("bad");
        std::fs::write(&bad, "not a key").unwrap();
        assert!(matches!(
            Signer::from_file(&bad),
            Err(SigningError::BadKey { .. })
        ));
    }

    #[test]
    fn generated_keys_load_back_and_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gavel.key");
        let public = generate_key(&p).unwrap();
        assert_eq!(Signer::from_file(&p).unwrap().verifying_key(), public);
        assert!(matches!(generate_key(&p), Err(SigningError::Write { .. })));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }

    #[test]
    fn fingerprints_are_eight_groups_of_four_hex_digits() {
        let f = fingerprint(&[1u8; 32]);
        let groups: Vec<&str> = f.split(':').collect();
        assert_eq!(groups.len(), 8);
        assert!(
            groups
                .iter()
                .all(|g| g.len() == 4 && g.bytes().all(|b| b.is_ascii_hexdigit()))
        );
    }
}
