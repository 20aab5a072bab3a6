//! The tasks of one `block_on`, stopped together when it returns: trpl's rule, which
//! listing 17-6 shows (its spawned task counts only to 4 or 5).
//!
//! A [`Scope`] is opened by each `block_on`. While a future of the scope is polled (the
//! main future, or one of its tasks), a scoped thread-local ([`scoped_tls`], a pointer
//! set for the length of the poll) says which scope that is: `spawn_task` reads it to make
//! the new task a [`ScopedTask`] of the same scope, on the same runtime.
//!
//! Closing the scope must stop tasks that are parked (waiting on a timer, say) as well as
//! running ones, with as little as possible on the hot path:
//! - a scoped task checks the scope's `closed` flag on every poll; once it is set, the task
//!   finishes as cancelled, and its runtime drops its future;
//! - a task that returns `Pending` leaves its waker with the scope (again only when the
//!   waker changed), and takes it back when it ends; closing wakes every waker left.
//!
//! So a task that finishes on its first poll never takes the scope's lock, and no waker
//! outlives its task. The lock's `open` flag orders the two sides: a task that parks after
//! the scope closed is woken at once, and sees the flag on its next poll.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;

use super::{Sleeper, sleeper};
use crate::executor::Executor;

scoped_tls::scoped_thread_local! {
    /// The scope whose future this thread is polling right now.
    static CURRENT: Arc<Scope>
}

/// The tasks of one `block_on`, stopped together when it returns.
pub struct Scope {
    /// Set once, when the `block_on` returns; every task of the scope checks it per poll.
    closed: AtomicBool,
    /// The wakers of the scope's parked tasks, to wake them when the scope closes.
    parked: Mutex<Parked>,
    /// The runtime whose `block_on` opened the scope (an `R: Executor`), so that tasks
    /// spawned inside go to it.
    runtime: Box<dyn Any + Send + Sync>,
    sleeper: Sleeper,
}

/// The wakers of parked tasks, in slots a task keeps the key of.
struct Parked {
    open: bool,
    wakers: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Scope {
    /// A new open scope for a `block_on` on `rt`.
    pub(super) fn new<R: Executor>(rt: &R) -> Arc<Scope> {
        Arc::new(Scope {
            closed: AtomicBool::new(false),
            parked: Mutex::new(Parked {
                open: true,
                wakers: Vec::new(),
                free: Vec::new(),
            }),
            runtime: Box::new(rt.clone()),
            sleeper: sleeper(rt),
        })
    }

    /// The scope of the future being polled on this thread, if any.
    pub fn current() -> Option<Arc<Scope>> {
        CURRENT.is_set().then(|| CURRENT.with(Arc::clone))
    }

    /// Calls `f` with the scope of the future being polled on this thread, if any.
    pub(super) fn with_current<T>(f: impl FnOnce(Option<&Arc<Scope>>) -> T) -> T {
        if CURRENT.is_set() {
            CURRENT.with(|scope| f(Some(scope)))
        } else {
            f(None)
        }
    }

    /// Polls `future` with `scope` as this thread's current scope.
    pub(super) fn enter<F: Future>(
        scope: &Arc<Scope>,
        future: Pin<&mut F>,
        cx: &mut Context<'_>,
    ) -> Poll<F::Output> {
        CURRENT.set(scope, || future.poll(cx))
    }

    /// The timer of the runtime this scope runs on.
    pub fn sleeper(&self) -> &Sleeper {
        &self.sleeper
    }

    /// The runtime whose `block_on` opened this scope, when it is an `R`.
    pub(super) fn runtime<R: Executor>(&self) -> Option<&R> {
        self.runtime.downcast_ref()
    }

    /// Closes the scope: its tasks finish as cancelled on their next poll, and the parked
    /// ones are woken for it.
    pub(super) fn close(&self) {
        let wakers = {
            let mut parked = self.lock();
            parked.open = false;
            self.closed.store(true, Ordering::Release);
            parked.free.clear();
            std::mem::take(&mut parked.wakers)
        };
        for waker in wakers.into_iter().flatten() {
            waker.wake();
        }
    }

    fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn lock(&self) -> MutexGuard<'_, Parked> {
        self.parked.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A task's place in its scope.
///
/// Two pointers, no more: a runtime allocates a task's future inline in the task, and
/// tokio rounds a task up to 128 bytes, so a few bytes more than the runtime's own task
/// can double its size. The parking slot is therefore boxed, made the first time the task
/// parks: a task that never waits on anything never allocates it.
struct Member {
    scope: Arc<Scope>,
    parked: Option<Box<Parking>>,
}

/// Where a parked task left its waker: the slot's key, and a clone to tell whether the
/// next waker is the same one.
struct Parking {
    key: usize,
    waker: Waker,
}

impl Member {
    /// Leaves `waker` with the scope, unless the same one is there already. A scope that
    /// has closed meanwhile wakes the task at once instead.
    fn park(&mut self, waker: &Waker) {
        if (self.parked.as_ref()).is_some_and(|left| left.waker.will_wake(waker)) {
            return;
        }
        let mut parked = self.scope.lock();
        if !parked.open {
            drop(parked);
            waker.wake_by_ref();
            return;
        }
        match &mut self.parked {
            Some(left) => {
                parked.wakers[left.key] = Some(waker.clone());
                left.waker = waker.clone();
            }
            None => {
                let key = parked.free.pop().unwrap_or(parked.wakers.len());
                if key == parked.wakers.len() {
                    parked.wakers.push(None);
                }
                parked.wakers[key] = Some(waker.clone());
                self.parked = Some(Box::new(Parking {
                    key,
                    waker: waker.clone(),
                }));
            }
        }
    }

    /// Takes the task's waker back from the scope, if it left one.
    fn leave(&mut self) {
        if let Some(left) = self.parked.take() {
            let mut parked = self.scope.lock();
            // A closed scope has already taken (and woken) every waker.
            if parked.open {
                parked.wakers[left.key] = None;
                parked.free.push(left.key);
            }
        }
    }
}

impl Drop for Member {
    // The runtime may drop a task unfinished (its executor shut down): its waker goes too.
    fn drop(&mut self) {
        self.leave();
    }
}

/// What a task of a closed scope gives instead of its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

pin_project! {
    /// A task of a scope, made by `spawn_task`: polled with its scope as the current one,
    /// and finished as [`Cancelled`] once the scope has closed. Spawned outside any
    /// `block_on`, it has no scope and is only its future.
    pub struct ScopedTask<F> {
        #[pin]
        future: F,
        member: Option<Member>,
    }
}

impl<F> ScopedTask<F> {
    /// `future` as a task of `scope`, or of none.
    pub(super) fn new(scope: Option<Arc<Scope>>, future: F) -> ScopedTask<F> {
        ScopedTask {
            future,
            member: scope.map(|scope| Member {
                scope,
                parked: None,
            }),
        }
    }
}

impl<F: Future> Future for ScopedTask<F> {
    type Output = Result<F::Output, Cancelled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let Some(member) = this.member else {
            return this.future.poll(cx).map(Ok);
        };
        if member.scope.is_closed() {
            member.leave();
            return Poll::Ready(Err(Cancelled));
        }
        match Scope::enter(&member.scope, this.future, cx) {
            Poll::Ready(output) => {
                member.leave();
                Poll::Ready(Ok(output))
            }
            Poll::Pending => {
                member.park(cx.waker());
                Poll::Pending
            }
        }
    }
}
