//! An in-process sink that records what it is asked to do, and can be told to fail. Used by
//! tests and the offline demo; it behaves like a platform that can edit and delete.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::sink::{Capabilities, Notice, Outgoing, Sink, SinkError, ThreadRoot};

/// One thing the memory sink was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryEvent {
    Post {
        id: String,
        key: String,
        text: String,
    },
    Edit {
        ids: Vec<String>,
        text: String,
    },
    Delete {
        ids: Vec<String>,
    },
    Pin {
        id: String,
    },
    Unpin {
        id: String,
    },
}

#[derive(Default)]
pub struct MemorySink {
    caps: Option<Capabilities>,
    log: Mutex<Vec<MemoryEvent>>,
    failures: Mutex<VecDeque<SinkError>>,
    attempts: Mutex<Vec<tokio::time::Instant>>,
    threads: bool,
    /// The thread root each posted entry came with, in order.
    thread_roots: Mutex<Vec<Option<ThreadRoot>>>,
}

impl MemorySink {
    pub fn new(caps: Capabilities) -> Self {
        MemorySink {
            caps: Some(caps),
            ..Default::default()
        }
    }

    /// This sink asks for threads (the `threads` target option).
    pub fn threaded(self) -> Self {
        MemorySink {
            threads: true,
            ..self
        }
    }

    /// The thread root each successfully posted entry was given, in order.
    pub fn thread_roots(&self) -> Vec<Option<ThreadRoot>> {
        self.thread_roots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The next calls fail with these errors, in order.
    pub fn fail_next(&self, errors: impl IntoIterator<Item = SinkError>) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(errors);
    }

    /// Forgets failures still queued by [`MemorySink::fail_next`]: the platform is back.
    pub fn heal(&self) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    pub fn events(&self) -> Vec<MemoryEvent> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// When each call (failed or not) arrived, on tokio's clock.
    pub fn attempt_times(&self) -> Vec<tokio::time::Instant> {
        self.attempts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn attempt(&self) -> Result<(), SinkError> {
        self.attempts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(tokio::time::Instant::now());
        match self
            .failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
        {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn record(&self, e: MemoryEvent) {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).push(e);
    }
}

#[async_trait::async_trait]
impl Sink for MemorySink {
    fn capabilities(&self) -> Capabilities {
        self.caps.unwrap_or(Capabilities {
            edit: true,
            delete: true,
            pin: true,
        })
    }

    fn threads(&self) -> bool {
        self.threads
    }

    async fn post(&self, msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        self.attempt()?;
        self.thread_roots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(msg.thread_root.clone());
        let id = format!("m{}", self.events().len() + 1);
        self.record(MemoryEvent::Post {
            id: id.clone(),
            key: msg.key.part(0),
            text: msg.text.clone(),
        });
        Ok(vec![id])
    }

    /// A post with the same key is found, as a platform that can be searched would.
    async fn already_posted(&self, msg: &Outgoing<'_>) -> Result<Option<Vec<String>>, SinkError> {
        let key = msg.key.part(0);
        Ok(self.events().into_iter().find_map(|e| match e {
            MemoryEvent::Post { id, key: k, .. } if k == key => Some(vec![id]),
            _ => None,
        }))
    }

    async fn edit(&self, remote: &[String], msg: &Outgoing<'_>) -> Result<Vec<String>, SinkError> {
        self.attempt()?;
        self.record(MemoryEvent::Edit {
            ids: remote.to_vec(),
            text: msg.text.clone(),
        });
        Ok(remote.to_vec())
    }

    async fn delete(
        &self,
        remote: &[String],
        _msg: &Outgoing<'_>,
    ) -> Result<Vec<String>, SinkError> {
        self.attempt()?;
        self.record(MemoryEvent::Delete {
            ids: remote.to_vec(),
        });
        Ok(Vec::new())
    }

    async fn post_notice(&self, notice: &Notice) -> Result<Vec<String>, SinkError> {
        self.attempt()?;
        let id = format!("m{}", self.events().len() + 1);
        self.record(MemoryEvent::Post {
            id: id.clone(),
            key: notice.key.part(0),
            text: notice.text.clone(),
        });
        Ok(vec![id])
    }

    async fn edit_notice(
        &self,
        remote: &[String],
        notice: &Notice,
    ) -> Result<Vec<String>, SinkError> {
        self.attempt()?;
        self.record(MemoryEvent::Edit {
            ids: remote.to_vec(),
            text: notice.text.clone(),
        });
        Ok(remote.to_vec())
    }

    async fn pin(&self, remote: &str) -> Result<(), SinkError> {
        self.attempt()?;
        self.record(MemoryEvent::Pin {
            id: remote.to_string(),
        });
        Ok(())
    }

    async fn unpin(&self, remote: &str) -> Result<(), SinkError> {
        self.attempt()?;
        self.record(MemoryEvent::Unpin {
            id: remote.to_string(),
        });
        Ok(())
    }
}
