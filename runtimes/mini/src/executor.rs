//! An executor small enough to read in one sitting: what chapter 17.5 says a runtime does.
//!
//! - A **task** is a spawned future in a box, with the queue it goes back to.
//! - A **waker** is an `Arc` of that task: [`Wake::wake`] pushes the task onto the queue.
//!   That is all "waking" means: *this future may make progress now, poll it again*.
//! - The **run queue** holds the tasks that were woken; a thread that runs the executor
//!   pops one and calls `poll` on its future. That thread is "who calls `poll`": never the
//!   program itself.
//! - **`block_on`** polls the main future, and, when it is `Pending`, sleeps until its
//!   waker is called (running the queue meanwhile, on the single-thread flavor).
//! - A **timer thread** keeps every sleeping future's deadline and waker, and calls the
//!   waker when the deadline passes.
//!
//! Why `Pin`: a future made by `async` may hold references into itself (a local borrowed
//! across an `.await`), so once polled it must not move. A task's future lives in a
//! `Pin<Box<...>>`: on the heap, where it stays until it is dropped.
//!
//! There is no I/O here: a socket's readiness would need a reactor (epoll) or a completion
//! queue (io_uring). HTTP goes through async-compat's tokio thread, as on the futures crate.

use std::cell::Cell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Instant;

/// A spawned future: boxed (so tasks of any type share one queue) and pinned (so it stays
/// where it was first polled). `Send`, because a pool thread other than the spawner's may
/// poll it.
type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

// ANCHOR: task
/// A spawned future and the queue its waker pushes it onto.
struct Task {
    /// `None` once the future has finished: a late wake then polls nothing.
    future: Mutex<Option<BoxFuture>>,
    queue: Arc<Queue>,
}

impl Wake for Task {
    /// Waking a task is putting it back on the run queue. Nothing is polled here: the
    /// waker may be called on any thread (the timer's, a channel sender's).
    fn wake(self: Arc<Self>) {
        self.queue.clone().push(self);
    }
}

impl Task {
    /// Polls the task's future once, with a waker that is the task itself.
    fn poll(self: Arc<Self>) {
        let waker = Waker::from(self.clone());
        let mut cx = Context::from_waker(&waker);
        let mut future = lock(&self.future);
        let finished = match future.as_mut() {
            Some(f) => f.as_mut().poll(&mut cx).is_ready(),
            None => false,
        };
        if finished {
            *future = None; // Finished: drop the future, and never poll it again.
        }
    }
}
// ANCHOR_END: task

/// The run queue: the woken tasks, and whether the main future of a `block_on` waiting on
/// this queue was woken. Threads with nothing to do wait on `ready`.
pub struct Queue {
    state: Mutex<State>,
    ready: Condvar,
}

#[derive(Default)]
struct State {
    tasks: VecDeque<Arc<Task>>,
    main_woken: bool,
}

impl Queue {
    /// An empty queue.
    pub fn new() -> Arc<Queue> {
        Arc::new(Queue {
            state: Mutex::new(State::default()),
            ready: Condvar::new(),
        })
    }

    fn push(&self, task: Arc<Task>) {
        lock(&self.state).tasks.push_back(task);
        self.ready.notify_all();
    }

    /// Starts `future` as a task: it is queued, to be polled for the first time by
    /// whichever thread runs this queue next.
    pub fn spawn(self: &Arc<Self>, future: impl Future<Output = ()> + Send + 'static) {
        let task = Task {
            future: Mutex::new(Some(Box::pin(future))),
            queue: self.clone(),
        };
        self.push(Arc::new(task));
    }

    // ANCHOR: run
    /// A pool thread's life: take the next woken task, poll it, and again; with no task
    /// woken, sleep until one is. It never ends (the pool lives as long as the process).
    pub fn run_forever(&self) -> ! {
        IN_EXECUTOR.set(true);
        loop {
            let mut state = lock(&self.state);
            while state.tasks.is_empty() {
                state = self
                    .ready
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            let task = state.tasks.pop_front().expect("not empty");
            drop(state); // Poll without holding the lock: the task may wake others.
            task.poll();
        }
    }
    // ANCHOR_END: run
}

thread_local! {
    /// Whether this thread is running the executor (a `block_on`, or a pool thread).
    static IN_EXECUTOR: Cell<bool> = const { Cell::new(false) };
}

/// The main future's waker: it marks the main future woken and wakes `block_on`'s thread.
struct MainWaker(Arc<Queue>);

impl Wake for MainWaker {
    fn wake(self: Arc<Self>) {
        lock(&self.0.state).main_woken = true;
        self.0.ready.notify_all();
    }
}

// ANCHOR: block_on
/// Runs `future` to completion on this thread. `queue`'s woken tasks are polled here too
/// between polls of the main future (the single-thread flavor); a pool's `block_on` passes
/// a queue of its own that no task is pushed to, and only waits on it.
pub fn block_on<F: Future>(queue: &Arc<Queue>, future: F) -> F::Output {
    // A task that blocked its thread here would stop that thread from polling the others.
    assert!(
        !IN_EXECUTOR.replace(true),
        "mini: block_on called from inside a task, whose thread it would block"
    );
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            IN_EXECUTOR.set(false);
        }
    }
    let _leave = Leave;

    let mut future = pin!(future); // Pinned on this stack frame: it will not move again.
    let waker = Waker::from(Arc::new(MainWaker(queue.clone())));
    let mut cx = Context::from_waker(&waker);
    lock(&queue.state).main_woken = true; // The first poll needs no wake.
    loop {
        let main_woken = std::mem::take(&mut lock(&queue.state).main_woken);
        if main_woken && let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // Poll the tasks woken so far, once each; tasks they wake wait for the next round,
        // so a task that keeps yielding cannot starve the main future.
        let woken = std::mem::take(&mut lock(&queue.state).tasks);
        let polled = !woken.is_empty();
        for task in woken {
            task.poll();
        }
        let mut state = lock(&queue.state);
        while !polled && !state.main_woken && state.tasks.is_empty() {
            state = queue
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}
// ANCHOR_END: block_on

/// The timer thread's list: each sleeping future's deadline and waker.
struct Timers {
    sleepers: Mutex<Vec<(Instant, Waker)>>,
    changed: Condvar,
}

/// The one timer thread, started by the first sleep.
fn timers() -> &'static Timers {
    static TIMERS: OnceLock<&'static Timers> = OnceLock::new();
    TIMERS.get_or_init(|| {
        let timers: &'static Timers = Box::leak(Box::new(Timers {
            sleepers: Mutex::new(Vec::new()),
            changed: Condvar::new(),
        }));
        thread::Builder::new()
            .name("mini-timer".into())
            .spawn(move || fire_forever(timers))
            .expect("mini: cannot start its timer thread");
        timers
    })
}

/// The timer thread: wake every sleeper whose deadline passed, then wait for the next
/// deadline (or for a new sleeper).
fn fire_forever(timers: &Timers) -> ! {
    async_lab_runtime::census::mark_current(async_lab_runtime::census::Role::Timer);
    let mut sleepers = lock(&timers.sleepers);
    loop {
        let now = Instant::now();
        let (due, waiting) = std::mem::take(&mut *sleepers)
            .into_iter()
            .partition(|(deadline, _)| *deadline <= now);
        *sleepers = waiting;
        for (_, waker) in due {
            waker.wake(); // The sleeping task goes back on its run queue.
        }
        let next = sleepers.iter().map(|(deadline, _)| *deadline).min();
        sleepers = match next {
            None => (timers.changed.wait(sleepers)).unwrap_or_else(PoisonError::into_inner),
            Some(next) => {
                (timers.changed.wait_timeout(sleepers, next - now))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
        };
    }
}

// ANCHOR: sleep
/// A future that is ready at `deadline`.
pub struct Sleep {
    /// When it is ready.
    pub deadline: Instant,
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if Instant::now() >= self.deadline {
            return Poll::Ready(());
        }
        // Not yet: leave the waker with the timer thread, which calls it at the deadline.
        let timers = timers();
        lock(&timers.sleepers).push((self.deadline, cx.waker().clone()));
        timers.changed.notify_one();
        Poll::Pending
    }
}
// ANCHOR_END: sleep

/// Locks `mutex`; a panic elsewhere while it was held leaves nothing half-done here.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
