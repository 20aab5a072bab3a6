//! Streams as trpl offers them: `Stream`, `StreamExt`, `stream_from_iter`, `interval` and
//! `IntervalStream`.
//!
//! Most of `StreamExt` is tokio-stream's adapters, which need no runtime. The two that
//! need a timer, `timeout` and `throttle`, are written here over a [`Sleeper`]: the timer
//! of the runtime polling them, found through the current [`Scope`] on first poll (or
//! futures-timer's thread outside any `block_on`). tokio-stream's own would need tokio's
//! timer, and would fail on smol.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

pub use futures::Stream;
use tokio_stream::adapters::{
    Chain, Filter, FilterMap, Fuse, Map, Merge, Skip, SkipWhile, Take, TakeWhile, Then,
};

use super::{BoxSleep, Scope, Sleeper, sleeper};
use crate::executor::Executor;

/// A stream of the items of `iter`, each ready at once.
pub fn stream_from_iter<I: IntoIterator>(iter: I) -> tokio_stream::Iter<I::IntoIter> {
    tokio_stream::iter(iter)
}

/// The timer of the runtime polling us, or futures-timer's outside any `block_on`.
fn current_sleeper() -> Sleeper {
    Scope::current()
        .map(|scope| scope.sleeper().clone())
        .unwrap_or_else(|| Arc::new(|d| Box::pin(futures_timer::Delay::new(d)) as BoxSleep))
}

/// The stream methods the book uses, with the same shapes as tokio-stream's.
pub trait StreamExt: Stream {
    /// The next item, or `None` at the end.
    fn next(&mut self) -> futures::stream::Next<'_, Self>
    where
        Self: Unpin,
    {
        futures::StreamExt::next(self)
    }

    /// Each item passed through `f`.
    fn map<T, F: FnMut(Self::Item) -> T>(self, f: F) -> Map<Self, F>
    where
        Self: Sized,
    {
        tokio_stream::StreamExt::map(self, f)
    }

    /// Only the items for which `f` is true.
    fn filter<F: FnMut(&Self::Item) -> bool>(self, f: F) -> Filter<Self, F>
    where
        Self: Sized,
    {
        tokio_stream::StreamExt::filter(self, f)
    }

    /// Each item passed through `f`, the `None`s left out.
    fn filter_map<T, F: FnMut(Self::Item) -> Option<T>>(self, f: F) -> FilterMap<Self, F>
    where
        Self: Sized,
    {
        tokio_stream::StreamExt::filter_map(self, f)
    }

    /// Each item passed through the async `f`.
    fn then<Fut: Future, F: FnMut(Self::Item) -> Fut>(self, f: F) -> Then<Self, Fut, F>
    where
        Self: Sized,
    {
        tokio_stream::StreamExt::then(self, f)
    }

    /// The first `n` items.
    fn take(self, n: usize) -> Take<Self>
    where
        Self: Sized,
    {
        tokio_stream::StreamExt::take(self, n)
    }

    /// Items while `f` is true.
    fn take_while<F: FnMut(&Self::Item) -> bool>(self, f: F) -> TakeWhile<Self, F>
    where
        Self: Sized,
    {
        tokio_stream::StreamExt::take_while(self, f)
    }

    /// All but the first `n` items.
    fn skip(self, n: usize) -> Skip<Self>
    where
        Self: Sized,
    {
        tokio_stream::StreamExt::skip(self, n)
    }

    /// Items from the first for which `f` is false.
    fn skip_while<F: FnMut(&Self::Item) -> bool>(self, f: F) -> SkipWhile<Self, F>
    where
        Self: Sized,
    {
        tokio_stream::StreamExt::skip_while(self, f)
    }

    /// This stream's items, then `other`'s.
    fn chain<U: Stream<Item = Self::Item>>(self, other: U) -> Chain<Self, U>
    where
        Self: Sized,
    {
        tokio_stream::StreamExt::chain(self, other)
    }

    /// Items of both streams as they come, taking turns when both have one.
    fn merge<U: Stream<Item = Self::Item>>(self, other: U) -> Merge<Self, U>
    where
        Self: Sized,
    {
        tokio_stream::StreamExt::merge(self, other)
    }

    /// Ends for good after the first `None`.
    fn fuse(self) -> Fuse<Self>
    where
        Self: Sized,
    {
        tokio_stream::StreamExt::fuse(self)
    }

    /// Every item, collected.
    fn collect<C: Default + Extend<Self::Item>>(self) -> futures::stream::Collect<Self, C>
    where
        Self: Sized,
    {
        futures::StreamExt::collect(self)
    }

    /// Each item as `Ok`, or an `Err(Elapsed)` whenever `duration` passes with no item;
    /// the stream goes on after an `Err`.
    fn timeout(self, duration: Duration) -> Timeout<Self>
    where
        Self: Sized,
    {
        Timeout {
            stream: Box::pin(self),
            duration,
            sleeper: None,
            sleep: None,
        }
    }

    /// The same items, at most one per `duration`: after each item, the stream is not
    /// polled again until `duration` has passed.
    fn throttle(self, duration: Duration) -> Throttle<Self>
    where
        Self: Sized,
    {
        Throttle {
            stream: Box::pin(self),
            duration,
            sleeper: None,
            sleep: None,
        }
    }
}

impl<S: Stream + ?Sized> StreamExt for S {}

/// The error [`StreamExt::timeout`] gives when no item came in time.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Elapsed;

/// Printed as tokio-stream's is (`Elapsed(())`), so listing 17-22's
/// `Problem: {reason:?}` lines read as the book shows them.
impl fmt::Debug for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Elapsed(())")
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// The stream of [`StreamExt::timeout`].
pub struct Timeout<S> {
    stream: Pin<Box<S>>,
    duration: Duration,
    sleeper: Option<Sleeper>,
    sleep: Option<BoxSleep>,
}

impl<S: Stream> Stream for Timeout<S> {
    type Item = Result<S::Item, Elapsed>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(item) = self.stream.as_mut().poll_next(cx) {
            // An item (or the end) resets the deadline.
            self.sleep = None;
            return Poll::Ready(item.map(Ok));
        }
        let this = &mut *self;
        let sleeper = this.sleeper.get_or_insert_with(current_sleeper);
        let sleep = this.sleep.get_or_insert_with(|| sleeper(this.duration));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.sleep = None;
                Poll::Ready(Some(Err(Elapsed)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The stream of [`StreamExt::throttle`].
pub struct Throttle<S> {
    stream: Pin<Box<S>>,
    duration: Duration,
    sleeper: Option<Sleeper>,
    sleep: Option<BoxSleep>,
}

impl<S: Stream> Stream for Throttle<S> {
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        let this = &mut *self;
        if let Some(sleep) = this.sleep.as_mut() {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.sleep = None;
        }
        let item = this.stream.as_mut().poll_next(cx);
        if let Poll::Ready(Some(_)) = &item {
            let sleeper = this.sleeper.get_or_insert_with(current_sleeper);
            this.sleep = Some(sleeper(this.duration));
        }
        item
    }
}

/// Ticks every `period` on a runtime's timer, the first one at once. A late tick is
/// followed by the missed ones at once, as tokio's default (`Burst`) does.
pub struct Interval {
    sleeper: Sleeper,
    period: Duration,
    next: Instant,
    sleep: Option<BoxSleep>,
}

/// An interval on `rt`'s timer.
///
/// # Panics
///
/// When `period` is zero, as tokio's `interval` does.
pub fn interval<R: Executor>(rt: &R, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "interval: the period must be more than zero"
    );
    Interval {
        sleeper: sleeper(rt),
        period,
        next: Instant::now(),
        sleep: None,
    }
}

impl Interval {
    /// Waits for the next tick and returns the instant it was due.
    pub async fn tick(&mut self) -> Instant {
        std::future::poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick.
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if self.sleep.is_none() {
            let now = Instant::now();
            if now < self.next {
                self.sleep = Some((self.sleeper)(self.next - now));
            }
        }
        if let Some(sleep) = self.sleep.as_mut() {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.sleep = None;
        }
        let due = self.next;
        self.next += self.period;
        Poll::Ready(due)
    }

    /// The time between ticks.
    pub fn period(&self) -> Duration {
        self.period
    }
}

/// An [`Interval`] as a [`Stream`] of the instants its ticks were due.
pub struct IntervalStream {
    interval: Interval,
}

impl IntervalStream {
    /// Wraps `interval`.
    pub fn new(interval: Interval) -> IntervalStream {
        IntervalStream { interval }
    }

    /// The interval back.
    pub fn into_inner(self) -> Interval {
        self.interval
    }
}

impl Stream for IntervalStream {
    type Item = Instant;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        self.interval.poll_tick(cx).map(Some)
    }
}
