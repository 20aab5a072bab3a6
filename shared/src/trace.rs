//! Which OS thread polled which task.
//!
//! [`traced`] wraps a future so that every poll records the thread it ran on. Tasks
//! register themselves in a process-wide list that the report reads at the end of a run.
//! The record is a handful of atomics: a poll on the same thread as the last one costs
//! two relaxed atomic operations; only a move to another thread takes a lock.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use crate::census::current_tid;

/// What was seen of one task's polls.
#[derive(Debug)]
pub struct TaskStats {
    /// The task's name, as given to `spawn`.
    pub name: String,
    polls: AtomicU64,
    migrations: AtomicU64,
    last_tid: AtomicU64,
    threads: Mutex<Vec<u64>>,
}

/// A finished snapshot of [`TaskStats`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSummary {
    /// The task's name.
    pub name: String,
    /// How many times it was polled.
    pub polls: u64,
    /// The OS thread ids that polled it, in the order they first did.
    pub threads: Vec<u64>,
    /// How many times a poll ran on another thread than the poll before it.
    pub migrations: u64,
}

static TASKS: Mutex<Vec<Arc<TaskStats>>> = Mutex::new(Vec::new());

impl TaskStats {
    fn record_poll(&self) {
        let tid = current_tid();
        self.polls.fetch_add(1, Ordering::Relaxed);
        let previous = self.last_tid.swap(tid, Ordering::Relaxed);
        if previous != tid {
            if previous != 0 {
                self.migrations.fetch_add(1, Ordering::Relaxed);
            }
            let mut threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
            if !threads.contains(&tid) {
                threads.push(tid);
            }
        }
    }

    fn summary(&self) -> TaskSummary {
        TaskSummary {
            name: self.name.clone(),
            polls: self.polls.load(Ordering::Relaxed),
            threads: self
                .threads
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            migrations: self.migrations.load(Ordering::Relaxed),
        }
    }
}

/// A future that records its polls in a [`TaskStats`].
pub struct Traced<F> {
    inner: Pin<Box<F>>,
    stats: Arc<TaskStats>,
}

/// Wraps `future` so that its polls are recorded under `name`.
pub fn traced<F: Future>(name: impl Into<String>, future: F) -> Traced<F> {
    let stats = Arc::new(TaskStats {
        name: name.into(),
        polls: AtomicU64::new(0),
        migrations: AtomicU64::new(0),
        last_tid: AtomicU64::new(0),
        threads: Mutex::new(Vec::new()),
    });
    TASKS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(stats.clone());
    Traced {
        inner: Box::pin(future),
        stats,
    }
}

impl<F: Future> Future for Traced<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.stats.record_poll();
        self.inner.as_mut().poll(cx)
    }
}

/// Every task traced so far in this process, in the order they were created.
pub fn tasks() -> Vec<TaskSummary> {
    TASKS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(|t| t.summary())
        .collect()
}
