//! `mutex-across-await`: a `std::sync::Mutex` guard held across an `.await`, while a task
//! locks the same mutex. Where the task runs on the holder's thread, it blocks the very
//! thread the holder needs to get past its `.await`: a deadlock (cut by a deadline here,
//! and said so). Elsewhere it stalls its own thread until the guard is dropped. Then the
//! async mutexes (tokio's, async-lock's, the futures crate's) doing the same safely: the
//! task waits for the lock without blocking its thread. (A spawned task may not hold a
//! std guard across an `.await` at all: the guard is not `Send`, and the spawn refuses
//! the task at compile time; the main future, which `block_on` runs, may.)

use std::future::Future;
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant};

use super::{Lab, Outcome, ms};
use crate::runtime::Runtime;

/// How long the task tries for the std lock before the experiment calls it a deadlock.
const DEADLINE: Duration = Duration::from_secs(1);

/// How long the holder keeps its guard across its `.await`.
const HELD: Duration = Duration::from_millis(50);

/// The task's side with a std mutex: `lock()`, which blocks its thread. Tried in a loop
/// with a deadline, so that a deadlock ends: `lock()` itself would block forever.
fn lock_blocking(mutex: &Mutex<u32>) -> bool {
    let start = Instant::now();
    loop {
        match mutex.try_lock() {
            Ok(mut value) => {
                *value += 1;
                return true;
            }
            Err(TryLockError::WouldBlock) if start.elapsed() < DEADLINE => {
                std::thread::sleep(ms(1));
            }
            Err(_) => return false,
        }
    }
}

/// The std mutex: the main future holds the guard across a sleep while a task locks.
// Holding the guard across the `.await` is the mistake this experiment shows.
#[allow(clippy::await_holding_lock)]
async fn std_mutex<R: Runtime>(lab: &Lab<R>) -> String {
    let mutex = Arc::new(Mutex::new(0_u32));
    let guard = mutex.lock().unwrap_or_else(|e| e.into_inner());
    let task_mutex = mutex.clone();
    let locker = lab.spawn("std lock()", async move { lock_blocking(&task_mutex) });
    lab.rt.sleep(HELD).await;
    drop(guard);
    match locker.await {
        Ok(true) => {
            "its thread stalled until the holder's .await ended and the guard dropped".to_string()
        }
        Ok(false) => format!(
            "deadlock: it blocked the one thread the holder needs to resume (cut after {} s by a deadline)",
            DEADLINE.as_secs()
        ),
        Err(e) => format!("the task failed: {e}"),
    }
}

/// An async mutex: the same, with `lock().await` in the task.
async fn async_mutex<R, G, L>(lab: &Lab<R>, hold: impl Future<Output = G>, lock: L) -> String
where
    R: Runtime,
    L: Future<Output = ()> + Send + 'static,
{
    let guard = hold.await;
    let locker = lab.spawn("async lock()", lock);
    lab.rt.sleep(HELD).await;
    drop(guard);
    match locker.await {
        Ok(()) => "the task waited without blocking its thread, and got the lock".to_string(),
        Err(e) => format!("the task failed: {e}"),
    }
}

/// The experiment: the std mutex, then the three async ones.
pub async fn mutex_across_await<R: Runtime>(lab: &Lab<R>) -> Outcome {
    let line = std_mutex(lab).await;
    lab.out.line(format!(
        "std::sync::Mutex held across an .await, a task locking it: {line}"
    ));

    let tokio_mutex = Arc::new(tokio::sync::Mutex::new(0_u32));
    let task_mutex = tokio_mutex.clone();
    let line = async_mutex(lab, tokio_mutex.lock(), async move {
        *task_mutex.lock().await += 1;
    })
    .await;
    lab.out
        .line(format!("tokio::sync::Mutex, the same: {line}"));

    let async_lock_mutex = Arc::new(async_lock::Mutex::new(0_u32));
    let task_mutex = async_lock_mutex.clone();
    let line = async_mutex(lab, async_lock_mutex.lock(), async move {
        *task_mutex.lock().await += 1;
    })
    .await;
    lab.out.line(format!("async_lock::Mutex, the same: {line}"));

    let futures_mutex = Arc::new(futures::lock::Mutex::new(0_u32));
    let task_mutex = futures_mutex.clone();
    let line = async_mutex(lab, futures_mutex.lock(), async move {
        *task_mutex.lock().await += 1;
    })
    .await;
    lab.out
        .line(format!("futures::lock::Mutex, the same: {line}"));
    Outcome::default()
}
