//! [`ThreadBound`]: a `Send` future around one that is not, for an executor whose tasks
//! never leave their thread.
//!
//! An [`Executor`](crate::Executor)'s handle is a `Send + Sync` value, and what lives in
//! one thread stays in that thread: smol's `local` flavor keeps its `LocalExecutor` in a
//! thread-local, and its handle finds it there. A thread-per-core runtime's timer is the
//! same kind of state (monoio's and compio's sleeps hold an `Rc` of their thread's timer
//! wheel), so its `sleep` is not `Send`, while the lab's experiments, written once for
//! every executor, hold sleeps in tasks that a multi-thread executor may move. A
//! `ThreadBound` is the handle of such a future: it makes the future on the thread that
//! first polls it, keeps it in that thread's slot, and polls it there; only the slot's key
//! travels. On an executor whose tasks stay on their thread it is always polled there.

use std::any::Any;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::thread::{self, ThreadId};

/// A future that is `Send` although the future it runs (made by `make`) is not. See the
/// [module](self). Polled on a thread other than the one that first polled it, it panics:
/// the executor moved a task that was to stay on its thread. Dropped on another thread, it
/// leaves its future in the first thread's slot until that thread ends.
pub struct ThreadBound<M, T> {
    state: State<M>,
    output: std::marker::PhantomData<fn() -> T>,
}

enum State<M> {
    /// Not polled yet: what makes the future.
    Unmade(M),
    /// Made, in `thread`'s slot `key`.
    Made { thread: ThreadId, key: usize },
    /// Finished.
    Done,
}

thread_local! {
    /// This thread's futures made by a `ThreadBound`: each a `Pin<Box<dyn Future<Output = T>>>`
    /// behind `dyn Any`, so that one list holds futures of every output type.
    static SLOTS: RefCell<Vec<Option<Box<dyn Any>>>> = const { RefCell::new(Vec::new()) };
}

/// A future as a slot holds it.
type Slotted<T> = Pin<Box<dyn Future<Output = T>>>;

/// What a slot holds while its future is out of it, being polled.
struct BeingPolled;

impl<M, T, F> ThreadBound<M, T>
where
    M: FnOnce() -> F + Send,
    F: Future<Output = T> + 'static,
    T: 'static,
{
    /// The future `make()` returns, made on the thread that first polls this one.
    pub fn new(make: M) -> ThreadBound<M, T> {
        ThreadBound {
            state: State::Unmade(make),
            output: std::marker::PhantomData,
        }
    }
}

// Polling never moves `M` or the made future out of a pinned place: the one is moved out
// before it is called, the other lives boxed in a slot.
impl<M, T> Unpin for ThreadBound<M, T> {}

impl<M, T, F> Future for ThreadBound<M, T>
where
    M: FnOnce() -> F + Send,
    F: Future<Output = T> + 'static,
    T: 'static,
{
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let here = thread::current().id();
        let (key, mut future) = match std::mem::replace(&mut self.state, State::Done) {
            State::Unmade(make) => {
                let future: Slotted<T> = Box::pin(make());
                (None, future)
            }
            State::Made { thread, key } => {
                assert_eq!(
                    thread, here,
                    "a ThreadBound future was polled on another thread than its first: its executor moved a task that was to stay on its thread"
                );
                // Its slot keeps a placeholder while it is polled, so that a ThreadBound
                // it polls in turn neither takes the slot nor frees it.
                let slotted =
                    SLOTS.with(|slots| slots.borrow_mut()[key].replace(Box::new(BeingPolled)));
                let future = slotted
                    .and_then(|any| any.downcast::<Slotted<T>>().ok())
                    .expect("a ThreadBound's slot holds its future");
                (Some(key), *future)
            }
            State::Done => panic!("a ThreadBound future was polled after it finished"),
        };
        // Polled with no borrow of the slots held: the future may make ThreadBounds too.
        match future.as_mut().poll(cx) {
            Poll::Ready(output) => {
                if let Some(key) = key {
                    SLOTS.with(|slots| slots.borrow_mut().truncate_free(key));
                }
                Poll::Ready(output)
            }
            Poll::Pending => {
                let boxed: Box<dyn Any> = Box::new(future);
                let key = SLOTS.with(|slots| {
                    let mut slots = slots.borrow_mut();
                    match key {
                        Some(key) => {
                            slots[key] = Some(boxed);
                            key
                        }
                        None => slots.place(boxed),
                    }
                });
                self.state = State::Made { thread: here, key };
                Poll::Pending
            }
        }
    }
}

impl<M, T> Drop for ThreadBound<M, T> {
    fn drop(&mut self) {
        if let State::Made { thread, key } = self.state
            && thread == thread::current().id()
        {
            // The thread's slots may be gone already, when it is ending.
            let _ = SLOTS.try_with(|slots| {
                if let Ok(mut slots) = slots.try_borrow_mut() {
                    slots.truncate_free(key);
                }
            });
        }
    }
}

/// A thread's slots: a list whose free places are `None`.
trait Slots {
    /// Puts `value` in a free place, or a new one at the end; gives its key.
    fn place(&mut self, value: Box<dyn Any>) -> usize;
    /// Frees place `key`, and drops the free places at the end.
    fn truncate_free(&mut self, key: usize);
}

impl Slots for Vec<Option<Box<dyn Any>>> {
    fn place(&mut self, value: Box<dyn Any>) -> usize {
        match self.iter().position(Option::is_none) {
            Some(key) => {
                self[key] = Some(value);
                key
            }
            None => {
                self.push(Some(value));
                self.len() - 1
            }
        }
    }

    fn truncate_free(&mut self, key: usize) {
        self[key] = None;
        while self.last().is_some_and(Option::is_none) {
            self.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    use super::*;

    fn is_send<T: Send>(_: &T) {}

    /// A future that is not `Send` (it holds an `Rc`), pending `n` times, then ready
    /// with how many `Rc`s it shares.
    fn not_send(n: usize) -> impl Future<Output = usize> {
        let shared = Rc::new(());
        let mut left = n;
        std::future::poll_fn(move |cx| {
            if left == 0 {
                return Poll::Ready(Rc::strong_count(&shared));
            }
            left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        })
    }

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn slots_in_use() -> usize {
        SLOTS.with(|s| s.borrow().iter().filter(|s| s.is_some()).count())
    }

    #[test]
    fn a_future_that_is_not_send_runs_behind_a_handle_that_is() {
        let mut bound = ThreadBound::new(|| not_send(2));
        is_send(&bound);
        let wakes = Arc::new(Count(AtomicUsize::new(0)));
        let waker = std::task::Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut bound).poll(&mut cx).is_pending());
        assert_eq!(
            slots_in_use(),
            1,
            "the made future waits in this thread's slot"
        );
        assert!(Pin::new(&mut bound).poll(&mut cx).is_pending());
        assert_eq!(Pin::new(&mut bound).poll(&mut cx), Poll::Ready(1));
        assert_eq!(
            wakes.0.load(Ordering::Relaxed),
            2,
            "the made future's wakes"
        );
        assert_eq!(slots_in_use(), 0, "a finished future leaves its slot");
    }

    #[test]
    fn dropping_it_unfinished_frees_its_slot() {
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut first = ThreadBound::new(|| not_send(5));
        let mut second = ThreadBound::new(|| not_send(5));
        assert!(Pin::new(&mut first).poll(&mut cx).is_pending());
        assert!(Pin::new(&mut second).poll(&mut cx).is_pending());
        assert_eq!(slots_in_use(), 2);
        drop(first);
        assert_eq!(slots_in_use(), 1);
        drop(second);
        assert_eq!(slots_in_use(), 0);
    }

    /// A ThreadBound polled inside another's poll (a timeout around a sleep) ends first:
    /// the outer one's slot, out for its poll, is neither freed nor given to another.
    #[test]
    fn one_polled_inside_another_leaves_the_outer_slot_alone() {
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut outer = ThreadBound::new(|| {
            let mut inner = Some(ThreadBound::new(|| not_send(1)));
            let mut third_made = false;
            std::future::poll_fn(move |cx| {
                if let Some(bound) = inner.as_mut() {
                    if Pin::new(bound).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    inner = None;
                }
                // The inner one is done; then, once, a third is made meanwhile.
                if !third_made {
                    third_made = true;
                    let mut third = ThreadBound::new(|| not_send(1));
                    assert!(Pin::new(&mut third).poll(cx).is_pending());
                    std::mem::forget(third);
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Poll::Ready(7)
            })
        });
        assert!(Pin::new(&mut outer).poll(&mut cx).is_pending());
        assert_eq!(slots_in_use(), 2, "the inner one's slot, then the outer's");
        assert!(Pin::new(&mut outer).poll(&mut cx).is_pending());
        assert_eq!(slots_in_use(), 2, "the outer one's slot, and the third's");
        assert_eq!(Pin::new(&mut outer).poll(&mut cx), Poll::Ready(7));
        assert_eq!(slots_in_use(), 1, "the third's, forgotten");
        SLOTS.with(|slots| slots.borrow_mut().clear());
    }

    #[test]
    fn polled_on_another_thread_it_panics_with_why() {
        let mut bound = ThreadBound::new(|| not_send(3));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(Pin::new(&mut bound).poll(&mut cx).is_pending());
        let moved = thread::spawn(move || {
            let mut cx = Context::from_waker(std::task::Waker::noop());
            let _ = Pin::new(&mut bound).poll(&mut cx);
        })
        .join()
        .expect_err("polled on another thread");
        let message = crate::runtime::panic_message(&*moved);
        assert!(message.contains("polled on another thread"), "{message}");
    }
}
