//! `syscall-probe`, the hidden command whose system calls `bench`'s driver counts (its
//! `*_syscalls` figures): one kind of operation, `n` times after a warm-up, on the
//! configuration's runtime (a yield, a 1 ms sleep, a loopback echo round trip), or with
//! the blocking std calls and no runtime at all (the floors). It prints nothing and
//! starts nothing else: no census, no tracing, no embedded site, so that the process's
//! system calls are the runtime's, its operations' and a constant start and end. The
//! driver runs it under `strace -f -c` twice, with `n` operations and with none, and
//! divides the difference by `n` (`src/syscalls.rs`): what the start and the end cost
//! cancels.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use async_lab_runtime::registry::{Flavor as _, Sockets};
use clap::{Args, ValueEnum};
use futures::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::fetch::with_tokio_reactor;
use crate::runtime::Runtime;

/// Operations done before the counted ones, in both runs: what happens only the first
/// few times (a lazily started thread, a timer wheel's first slot) happens in both.
pub const WARM_UP: u64 = 8;

/// The most operations one probe does.
pub const MOST: u64 = 1_000_000;

/// One kind of operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Op {
    /// The runtime's `yield_now`, in a spawned task.
    Yield,
    /// The runtime's 1 ms `sleep`, in a spawned task.
    Sleep,
    /// A one-byte round trip between two tasks over loopback TCP, on the configuration's
    /// sockets (its registry's `io.sockets`).
    Echo,
    /// `std::thread::yield_now`, no runtime.
    FloorYield,
    /// `std::thread::sleep` for 1 ms, no runtime.
    FloorSleep,
    /// A one-byte round trip between two threads over loopback TCP, blocking sockets.
    FloorEcho,
}

impl Op {
    /// True for the floors, which build no runtime.
    pub fn is_floor(self) -> bool {
        matches!(self, Op::FloorYield | Op::FloorSleep | Op::FloorEcho)
    }

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Op::Yield => "yield",
            Op::Sleep => "sleep",
            Op::Echo => "echo",
            Op::FloorYield => "floor-yield",
            Op::FloorSleep => "floor-sleep",
            Op::FloorEcho => "floor-echo",
        }
    }
}

/// `syscall-probe`'s arguments.
#[derive(Debug, Clone, PartialEq, Args)]
pub struct Probe {
    /// The operation
    #[arg(value_enum)]
    pub op: Op,
    /// How many, after the warm-up
    #[arg(value_parser = clap::value_parser!(u64).range(0..=MOST))]
    pub n: u64,
}

/// Does `probe.op` `WARM_UP + probe.n` times on `flavor` (or on no runtime, for a floor).
/// An error is one line.
pub fn run<R: Runtime>(flavor: R::Flavor, probe: &Probe) -> Result<(), String> {
    let n = WARM_UP + probe.n;
    let ms = Duration::from_millis(1);
    match probe.op {
        Op::FloorYield => (0..n).for_each(|_| std::thread::yield_now()),
        Op::FloorSleep => (0..n).for_each(|_| std::thread::sleep(ms)),
        Op::FloorEcho => floor_echo(n).map_err(|e| format!("the blocking echo failed: {e}"))?,
        op => {
            let rt = R::new(flavor, None).map_err(|e| e.to_string())?;
            let sockets = flavor.configuration().capabilities.io.sockets;
            rt.block_on(async {
                match op {
                    Op::Yield => {
                        let task_rt = rt.clone();
                        let task = rt.spawn(async move {
                            for _ in 0..n {
                                task_rt.yield_now().await;
                            }
                        });
                        task.await.map_err(|e| e.to_string())
                    }
                    Op::Sleep => {
                        let task_rt = rt.clone();
                        let task = rt.spawn(async move {
                            for _ in 0..n {
                                task_rt.sleep(ms).await;
                            }
                        });
                        task.await.map_err(|e| e.to_string())
                    }
                    _ => echo(&rt, sockets, n)
                        .await
                        .map_err(|e| format!("the echo failed: {e}")),
                }
            })?;
        }
    }
    Ok(())
}

/// `trips` round trips between two tasks of `rt` over loopback TCP, on `sockets`.
async fn echo<R: Runtime>(rt: &R, sockets: Sockets, trips: u64) -> io::Result<()> {
    // Bound here, blocking, once: the same in every run, whatever the sockets.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    listener.set_nonblocking(true)?;
    let joined = |r: Result<io::Result<()>, crate::runtime::TaskError>| {
        r.map_err(|e| io::Error::other(e.to_string()))?
    };
    match sockets {
        Sockets::Own(echo) => {
            drop(listener);
            echo(trips).await
        }
        Sockets::Tokio | Sockets::CompatBridge => {
            let bridged = matches!(sockets, Sockets::CompatBridge);
            let server = rt.spawn(in_reactor(bridged, async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                let (mut stream, _) = listener.accept().await?;
                stream.set_nodelay(true)?;
                let mut byte = [0u8];
                while stream.read(&mut byte).await? == 1 {
                    stream.write_all(&byte).await?;
                }
                Ok(())
            }));
            let client = rt.spawn(in_reactor(bridged, async move {
                let mut stream = tokio::net::TcpStream::connect(addr).await?;
                stream.set_nodelay(true)?;
                let mut byte = [7u8];
                for _ in 0..trips {
                    stream.write_all(&byte).await?;
                    stream.read_exact(&mut byte).await?;
                }
                Ok(())
            }));
            joined(client.await)?;
            joined(server.await)
        }
        Sockets::AsyncIo => {
            let server = rt.spawn(async move {
                let listener = async_io::Async::new(listener)?;
                let (mut stream, _) = listener.accept().await?;
                stream.get_ref().set_nodelay(true)?;
                let mut byte = [0u8];
                while stream.read(&mut byte).await? == 1 {
                    stream.write_all(&byte).await?;
                }
                Ok(())
            });
            let client = rt.spawn(async move {
                let mut stream = async_io::Async::<TcpStream>::connect(addr).await?;
                stream.get_ref().set_nodelay(true)?;
                let mut byte = [7u8];
                for _ in 0..trips {
                    stream.write_all(&byte).await?;
                    stream.read_exact(&mut byte).await?;
                }
                Ok(())
            });
            joined(client.await)?;
            joined(server.await)
        }
    }
}

/// `future` inside the compat bridge's tokio where `bridged`, else as it is (on the
/// runtime's own tokio reactor).
async fn in_reactor<F: Future<Output = io::Result<()>>>(bridged: bool, future: F) -> F::Output {
    if bridged {
        with_tokio_reactor(future).await
    } else {
        future.await
    }
}

/// `trips` one-byte round trips to an echo thread over loopback TCP, blocking sockets with
/// Nagle off: a write and a read on each side (bench's `floor_rtt_us`, counted).
fn floor_echo(trips: u64) -> io::Result<()> {
    let (mut client, server) = blocking_echo()?;
    let mut byte = [7u8];
    for _ in 0..trips {
        client.write_all(&byte)?;
        client.read_exact(&mut byte)?;
    }
    drop(client);
    server
        .join()
        .map_err(|_| io::Error::other("the echo thread panicked"))?
}

/// A blocking loopback echo: a thread of the lab's (left out of the census) that sends
/// back each byte it reads, with Nagle off, and the client connected to it. Dropping the
/// client ends the thread.
pub(crate) fn blocking_echo() -> io::Result<(TcpStream, std::thread::JoinHandle<io::Result<()>>)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server =
        std::thread::Builder::new()
            .name("lab-echo".into())
            .spawn(move || -> io::Result<()> {
                crate::census::exclude_current();
                let (mut stream, _) = listener.accept()?;
                stream.set_nodelay(true)?;
                let mut byte = [0u8];
                while stream.read(&mut byte)? == 1 {
                    stream.write_all(&byte)?;
                }
                Ok(())
            })?;
    let client = TcpStream::connect(addr)?;
    client.set_nodelay(true)?;
    Ok((client, server))
}
