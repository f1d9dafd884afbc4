//! `gavel check --probe`: connects to each configured target with the real settings and
//! reports, per target, whether it is reachable, authorised, and able to post and edit.
//! Nothing is ever posted: where only a post could tell, the report says so. Discord's,
//! Matrix's and Mastodon's probes live with their platforms.

use std::time::Duration;

use secrecy::ExposeSecret;

use crate::config::{Config, TargetName};

/// The answer to one question about one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    Yes,
    No(String),
    /// The question cannot be answered without side effects, or does not apply.
    NotChecked(String),
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Check::Yes => f.write_str("yes"),
            Check::No(why) => write!(f, "NO ({why})"),
            Check::NotChecked(why) => write!(f, "not checked ({why})"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ProbeReport {
    pub target: String,
    pub reachable: Check,
    pub authorised: Check,
    pub can_post: Check,
    pub can_edit: Check,
    /// Facts worth showing that are neither a pass nor a failure (a room's encryption, the
    /// bot's cross-signing), as label and text.
    pub notes: Vec<(String, String)>,
}

impl ProbeReport {
    pub fn ok(&self) -> bool {
        ![
            &self.reachable,
            &self.authorised,
            &self.can_post,
            &self.can_edit,
        ]
        .iter()
        .any(|c| matches!(c, Check::No(_)))
    }
}

/// Probes the archive, the web listener and every webhook.
pub async fn probe(config: &Config) -> Vec<ProbeReport> {
    let mut out = Vec::new();
    let opened = config.archive.location.open();
    let archive = match opened.as_ref().map(|a| a.check_writable()) {
        Ok(Ok(())) => Check::Yes,
        Ok(Err(e)) => Check::No(e.to_string()),
        Err(e) => Check::No(e.to_string()),
    };
    let notes = match (&opened, config.archive.shared) {
        (Ok(a), Some(ttl)) => lease_notes(a, ttl),
        _ => Vec::new(),
    };
    out.push(ProbeReport {
        notes,
        target: format!("archive {}", config.archive.location.describe()),
        reachable: archive.clone(),
        authorised: archive.clone(),
        can_post: archive,
        can_edit: Check::NotChecked("the archive is append-only".into()),
    });
    if let Some(w) = &config.web {
        let bind = match tokio::net::TcpListener::bind(w.listen).await {
            Ok(_) => Check::Yes,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                Check::NotChecked(format!("{} is in use: is Gavel already running?", w.listen))
            }
            Err(e) => Check::No(format!("cannot listen on {}: {e}", w.listen)),
        };
        out.push(ProbeReport {
            notes: Vec::new(),
            target: TargetName::web().into(),
            reachable: bind,
            authorised: Check::NotChecked("public".into()),
            can_post: Check::Yes,
            can_edit: Check::Yes,
        });
    }
    for w in &config.webhooks {
        out.push(probe_webhook(&w.name, w.url.expose_secret()).await);
    }
    for m in &config.mastodon {
        out.push(crate::platform::mastodon::probe::probe(m, config.status.enabled).await);
    }
    if let Some(d) = &config.discord {
        out.extend(crate::platform::discord::probe(d).await);
    }
    if let Some(m) = &config.matrix {
        out.extend(crate::platform::matrix::probe::probe(m, &config.state_dir()).await);
    }
    for b in &config.bluesky {
        let target = TargetName::bluesky(&b.handle).into();
        out.push(match crate::app::bluesky_sink(config, b) {
            Ok(sink) => crate::platform::bluesky::probe::probe(target, &sink).await,
            Err(e) => ProbeReport {
                notes: Vec::new(),
                target,
                reachable: Check::No(format!("{e:#}")),
                authorised: Check::No("not tried".into()),
                can_post: Check::No("not tried".into()),
                can_edit: Check::NotChecked("Bluesky has no edits".into()),
            },
        });
    }
    out
}

/// With several instances on the archive: which instance holds which lease.
fn lease_notes(
    archive: &crate::archive::Archive,
    ttl: std::time::Duration,
) -> Vec<(String, String)> {
    let mut notes = vec![(
        "instances".to_string(),
        format!("several, sharing work by leases of {} s", ttl.as_secs()),
    )];
    match archive.leases() {
        Ok(leases) if leases.is_empty() => {
            notes.push((
                "leases".into(),
                "none taken yet: is any instance running?".into(),
            ));
        }
        Ok(leases) => {
            for l in leases {
                let state = if l.live {
                    format!(
                        "held by {} (token {}) until {}",
                        l.holder,
                        l.token,
                        l.expires_at.format("%H:%M:%S UTC")
                    )
                } else {
                    format!("free (last held by {}, token {})", l.holder, l.token)
                };
                notes.push(("lease".into(), format!("{}: {state}", l.lease)));
            }
        }
        Err(e) => notes.push(("leases".into(), format!("cannot be read: {e}"))),
    }
    notes
}

async fn probe_webhook(name: &str, url: &str) -> ProbeReport {
    let target = TargetName::webhook(name).into();
    let reachable = match url::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port_or_known_default()) {
            (Some(host), Some(port)) => {
                let connect = tokio::net::TcpStream::connect((host.to_string(), port));
                match tokio::time::timeout(Duration::from_secs(5), connect).await {
                    Ok(Ok(_)) => Check::Yes,
                    Ok(Err(e)) => Check::No(format!("cannot connect to {host}:{port}: {e}")),
                    Err(_) => Check::No(format!("no answer from {host}:{port} within 5 s")),
                }
            }
            _ => Check::No("the URL has no host".into()),
        },
        Err(_) => Check::No("the URL does not parse".into()),
    };
    ProbeReport {
        notes: Vec::new(),
        target,
        reachable,
        authorised: Check::NotChecked(
            "a webhook's URL is its credential; only a post would tell".into(),
        ),
        can_post: Check::NotChecked("a probe post would be published to residents".into()),
        can_edit: Check::NotChecked("webhooks cannot edit: corrections arrive as new posts".into()),
    }
}
