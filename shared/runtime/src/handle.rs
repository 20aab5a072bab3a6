//! Each runtime's own join handle, as a [`Executor::Handle`](crate::Executor::Handle):
//! awaiting it gives the task's output or a [`TaskError`]; dropping it detaches the task.
//!
//! The runtimes differ in both halves, and these adapters even them out with no
//! allocation and no channel of their own:
//! - tokio's `JoinHandle` already detaches on drop and reports a panic as a `JoinError`:
//!   `runtime-tokio`'s `TokioJoin` (trpl's too) only renames the error.
//! - smol's `Task` (adapted in `runtime-smol`) cancels its task when dropped, and it and
//!   async-std's `JoinHandle` carry a task's panic into whoever awaits them: their
//!   adapters detach on drop and share [`poll_catching`].
//! - Runtimes with no handle worth adapting (a thread per task; the futures crate's
//!   pools, whose `RemoteHandle` cancels on drop and costs two allocations) use
//!   [`JoinHandle::reporting`](crate::runtime::JoinHandle::reporting): a channel.
//!
//! A runtime that can refuse to spawn (a local pool spawned into from another thread)
//! gives [`Spawned::failed`], which reports the error when awaited.
//!
//! A handle is kept to two pointers: a program may hold a great many (100,000 in
//! `benches/facade_overhead.rs`), and the memory they take shows in what a spawn costs.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::FutureExt;

use crate::runtime::TaskError;

/// A task's handle, or why the task could not start.
#[derive(Debug)]
pub enum Spawned<H> {
    /// The task started; `H` is its handle.
    Started(H),
    /// The runtime refused the task; awaiting the handle gives this error (boxed, so
    /// that the handle of a task that did start stays small).
    Failed(Box<TaskError>),
}

impl<H> Spawned<H> {
    /// The handle of a task the runtime refused, for `error`.
    pub fn failed(error: TaskError) -> Spawned<H> {
        Spawned::Failed(Box::new(error))
    }
}

impl<H, T> Future for Spawned<H>
where
    H: Future<Output = Result<T, TaskError>> + Unpin,
{
    type Output = Result<T, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Spawned::Started(handle) => handle.poll_unpin(cx),
            Spawned::Failed(error) => Poll::Ready(Err(TaskError::clone(error))),
        }
    }
}

/// Polls `handle`, a runtime's handle that carries its task's panic into the awaiting
/// task, and turns that panic back into [`TaskError::Panicked`].
pub fn poll_catching<H: Future + Unpin>(
    handle: &mut H,
    cx: &mut Context<'_>,
) -> Poll<Result<H::Output, TaskError>> {
    match std::panic::catch_unwind(AssertUnwindSafe(|| handle.poll_unpin(cx))) {
        Ok(poll) => poll.map(Ok),
        Err(payload) => Poll::Ready(Err(TaskError::from_panic(&*payload))),
    }
}
