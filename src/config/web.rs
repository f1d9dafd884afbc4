//! `[web]`: the address the public page listens on and the URL residents reach it at.

use std::net::SocketAddr;

use serde::Deserialize;
use url::Url;

use super::Resolver;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWeb {
    pub listen: String,
    pub public_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WebSettings {
    pub listen: SocketAddr,
    pub public_url: Url,
}

/// The web settings; `public_url` defaults to `http://<listen>`.
pub(crate) fn resolve(r: &mut Resolver<'_>, w: &RawWeb) -> Option<WebSettings> {
    let listen = w.listen.parse::<SocketAddr>().ok();
    if listen.is_none() {
        r.problem(format!(
            "web.listen: `{}` is not an address:port (like 127.0.0.1:8080)",
            w.listen
        ));
    }
    let public = w
        .public_url
        .clone()
        .or_else(|| listen.map(|l| format!("http://{l}")))?;
    let public_url = match Url::parse(&public) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
        _ => {
            r.problem(format!("web.public_url: `{public}` is not an http(s) URL"));
            None
        }
    };
    Some(WebSettings {
        listen: listen?,
        public_url: public_url?,
    })
}
