//! trpl's unbounded channel, backed by each runtime's own: tokio's `mpsc` (tokio, trpl),
//! async-channel (smol, async-std) or the futures crate's `mpsc` (futures, threads).
//!
//! `send` is synchronous and works from any thread, with no runtime around it, as in
//! listing 17-25; `recv().await` gives `None` once every sender is gone, which is why
//! listing 17-11's loop never ends while a sender lives.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::{Stream, StreamExt as _};

pub use crate::registry::ChannelKind;

/// The sending half; clone it for more producers.
pub struct Sender<T>(SenderKind<T>);

enum SenderKind<T> {
    Tokio(tokio::sync::mpsc::UnboundedSender<T>),
    AsyncChannel(async_channel::Sender<T>),
    Futures(futures::channel::mpsc::UnboundedSender<T>),
}

/// The receiving half.
pub struct Receiver<T>(ReceiverKind<T>);

enum ReceiverKind<T> {
    Tokio(tokio::sync::mpsc::UnboundedReceiver<T>),
    AsyncChannel(Pin<Box<async_channel::Receiver<T>>>),
    Futures(futures::channel::mpsc::UnboundedReceiver<T>),
}

/// The value that could not be sent, because the receiver is gone.
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the receiver is gone")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// A new unbounded channel of the given kind.
pub fn channel<T>(kind: ChannelKind) -> (Sender<T>, Receiver<T>) {
    match kind {
        ChannelKind::TokioMpsc => {
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
            (
                Sender(SenderKind::Tokio(tx)),
                Receiver(ReceiverKind::Tokio(rx)),
            )
        }
        ChannelKind::AsyncChannel => {
            let (tx, rx) = async_channel::unbounded();
            (
                Sender(SenderKind::AsyncChannel(tx)),
                Receiver(ReceiverKind::AsyncChannel(Box::pin(rx))),
            )
        }
        ChannelKind::FuturesMpsc => {
            let (tx, rx) = futures::channel::mpsc::unbounded();
            (
                Sender(SenderKind::Futures(tx)),
                Receiver(ReceiverKind::Futures(rx)),
            )
        }
    }
}

impl<T> Sender<T> {
    /// Sends `value` without waiting (the channel is unbounded). Fails only when the
    /// receiver has been dropped.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        match &self.0 {
            SenderKind::Tokio(tx) => tx.send(value).map_err(|e| SendError(e.0)),
            SenderKind::AsyncChannel(tx) => {
                tx.try_send(value).map_err(|e| SendError(e.into_inner()))
            }
            SenderKind::Futures(tx) => tx
                .unbounded_send(value)
                .map_err(|e| SendError(e.into_inner())),
        }
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender(match &self.0 {
            SenderKind::Tokio(tx) => SenderKind::Tokio(tx.clone()),
            SenderKind::AsyncChannel(tx) => SenderKind::AsyncChannel(tx.clone()),
            SenderKind::Futures(tx) => SenderKind::Futures(tx.clone()),
        })
    }
}

impl<T> Receiver<T> {
    /// The next message, or `None` once every sender is dropped and the queue is empty.
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next message.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match &mut self.0 {
            ReceiverKind::Tokio(rx) => rx.poll_recv(cx),
            ReceiverKind::AsyncChannel(rx) => rx.as_mut().poll_next(cx),
            ReceiverKind::Futures(rx) => rx.poll_next_unpin(cx),
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sender")
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Receiver")
    }
}

/// A [`Receiver`] as a [`Stream`] of its messages.
#[derive(Debug)]
pub struct ReceiverStream<T> {
    inner: Receiver<T>,
}

impl<T> ReceiverStream<T> {
    /// Wraps `receiver`.
    pub fn new(receiver: Receiver<T>) -> ReceiverStream<T> {
        ReceiverStream { inner: receiver }
    }

    /// The receiver back.
    pub fn into_inner(self) -> Receiver<T> {
        self.inner
    }
}

impl<T> Stream for ReceiverStream<T> {
    type Item = T;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.inner.poll_recv(cx)
    }
}
