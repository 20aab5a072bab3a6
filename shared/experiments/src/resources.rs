//! The OS limits a run meets: open descriptors and threads.
//!
//! Every connection holds a descriptor, two when the embedded site runs in the same
//! process (the client's end and the site's). The soft limit is often 1,024, which 10,000
//! concurrent downloads exhaust; [`raise_descriptor_limit`] lifts it to the hard limit at
//! start, as servers do, and [`make_room_for_downloads`] works out what a run of
//! downloads needs before it starts and raises the limits to it (the hard one too, where
//! the process may). Where a limit still binds, the run stops before its first download
//! with one line that gives the numbers, rather than letting pages fail at random.
//!
//! A thread or memory that the OS refuses a runtime (`ulimit -u`, `ulimit -v`) is read
//! from the runtime's panic ([`refusal_in`]) and said in one line ([`limit_reached`]).
//!
//! Linux only (rlimits, `/proc`); elsewhere nothing is raised and nothing is foreseen.

/// Raises the soft limit on open descriptors to the hard limit. Returns the limit now in
/// force, where the OS tells it.
pub fn raise_descriptor_limit() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        if limit.current != limit.maximum {
            let raised = Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            };
            // Refused (a sandbox, say): the run goes on with the soft limit it has.
            let _ = setrlimit(Resource::Nofile, raised);
        }
    }
    descriptor_limit()
}

/// The limit on open descriptors now in force (the soft one), where the OS tells it.
pub fn descriptor_limit() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        rustix::process::getrlimit(rustix::process::Resource::Nofile).current
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// How many descriptors the process has open now, where the OS tells it.
pub fn open_descriptors() -> Option<u64> {
    let entries = std::fs::read_dir("/proc/self/fd").ok()?;
    // The listing's own descriptor is one of the entries.
    Some((entries.count() as u64).saturating_sub(1))
}

/// The tightest limit on how many threads this process can have, and its name, where
/// the OS tells it: the cgroup's `pids.max`, the kernel's `threads-max` and `pid_max`,
/// and `ulimit -u` (which counts every process and thread of the user).
pub fn thread_limit() -> Option<(u64, &'static str)> {
    let read =
        |path: &str| -> Option<u64> { std::fs::read_to_string(path).ok()?.trim().parse().ok() };
    let mut limits = vec![
        (read("/sys/fs/cgroup/pids.max"), "the cgroup's pids.max"),
        (
            read("/proc/sys/kernel/threads-max"),
            "the kernel's threads-max",
        ),
        (read("/proc/sys/kernel/pid_max"), "the kernel's pid_max"),
    ];
    #[cfg(target_os = "linux")]
    limits.push((
        rustix::process::getrlimit(rustix::process::Resource::Nproc).current,
        "ulimit -u",
    ));
    limits
        .into_iter()
        .filter_map(|(limit, name)| Some((limit?, name)))
        .min_by_key(|(limit, _)| *limit)
}

/// The OS's two ways of refusing a thread or memory, as a runtime's panic message quotes
/// them (`Resource temporarily unavailable (os error 11)` from `io::Error`'s `Display`,
/// `Os { code: 11, .. }` from its `Debug`): `EAGAIN`, which `clone` gives at `ulimit -u`,
/// and `ENOMEM`, which `mmap` gives for a stack or a buffer at `ulimit -v`.
///
/// The runtimes panic with the error's text rather than return it, so the text is all
/// there is to read; only these two error numbers are read from it.
pub fn refusal_in(panic_message: &str) -> Option<&'static str> {
    const REFUSALS: [(i32, &str); 2] = [
        (11, "Resource temporarily unavailable (os error 11)"),
        (12, "Cannot allocate memory (os error 12)"),
    ];
    REFUSALS.iter().find_map(|(code, text)| {
        let quoted = panic_message.contains(&format!("(os error {code})"))
            || panic_message.contains(&format!("Os {{ code: {code},"));
        quoted.then_some(*text)
    })
}

/// The one line for a process that the OS refused a thread or memory: the refusal, and
/// the limits in force that can cause it.
pub fn limit_reached(refusal: &str) -> String {
    let mut limits = Vec::new();
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Resource, getrlimit};
        if let Some(n) = getrlimit(Resource::Nproc).current {
            limits.push(format!(
                "ulimit -u (threads of this user) is {}",
                thousands(n)
            ));
        }
        if let Some(bytes) = getrlimit(Resource::As).current {
            limits.push(format!(
                "ulimit -v (address space) is {} KiB",
                thousands(bytes / 1024)
            ));
        }
    }
    if let Some((n, name)) = thread_limit().filter(|(_, name)| *name != "ulimit -u") {
        limits.push(format!("{name} is {}", thousands(n)));
    }
    let limits = if limits.is_empty() {
        String::new()
    } else {
        format!("; {}", limits.join(", "))
    };
    format!("the OS refused a thread or memory: {refusal}{limits}")
}

/// Address space a run must find free when it starts: room for the runtime's threads'
/// stacks (2 MiB each by default) and its heap.
const ADDRESS_SPACE_MARGIN_MIB: usize = 32;

/// Reserves the margin (32 MiB) of address space and gives it back at once
/// (nothing is touched, so no memory is used), so that a tight `ulimit -v` is refused here,
/// in one line, rather than by an allocation deep inside a runtime, which aborts the
/// process ("memory allocation of 41 bytes failed") where a refused thread would have
/// given that line.
pub fn check_address_space() -> Result<(), String> {
    let mut probe: Vec<u8> = Vec::new();
    let reserved = probe.try_reserve_exact(ADDRESS_SPACE_MARGIN_MIB << 20);
    std::hint::black_box(&probe);
    reserved.map_err(|_| {
        limit_reached(&format!(
            "no room for {ADDRESS_SPACE_MARGIN_MIB} MiB of address space"
        ))
    })
}

/// Descriptors a run keeps for itself besides its connections: the runtime's and the
/// reactor's own, the census's, stdio.
const RESERVED_DESCRIPTORS: u64 = 16;

/// Makes room for `n` downloads at once, each holding `per_download` descriptors (two
/// when the embedded site is in this process, one otherwise), and, when
/// `thread_per_task`, a thread each. The descriptors needed are known before anything
/// starts: the soft limit is raised to them, and the hard one too where the process may
/// (root, or `CAP_SYS_RESOURCE`), up to the kernel's `fs.nr_open`. `Ok` when they fit (or
/// nothing can be told); else the one line that says what was needed, what is allowed
/// and how to raise it, for the run to stop on before it starts any download.
pub fn make_room_for_downloads(
    n: u64,
    per_download: u64,
    thread_per_task: bool,
) -> Result<(), String> {
    if let Some(open) = open_descriptors() {
        let needed = n * per_download + open + RESERVED_DESCRIPTORS;
        let limit = raise_descriptor_limit_to(needed);
        if let Some(limit) = limit.filter(|&limit| limit < needed) {
            let each = if per_download == 2 {
                "two each, with the embedded site in this process"
            } else {
                "one each"
            };
            return Err(format!(
                "{} downloads at once need {} open descriptors ({each}, and {} for the run itself), and the limit is {}: raise it (as root: ulimit -Hn {needed}; ulimit -n {needed}) or ask for at most {}",
                thousands(n),
                thousands(needed),
                thousands(open + RESERVED_DESCRIPTORS),
                thousands(limit),
                thousands(limit.saturating_sub(open + RESERVED_DESCRIPTORS) / per_download)
            ));
        }
    }
    if thread_per_task
        && let Some((limit, name)) = thread_limit()
        && n >= limit
    {
        return Err(format!(
            "a thread per task needs {} threads, and {name} is {}: raise it or ask for fewer than {} downloads",
            thousands(n + 1),
            thousands(limit),
            thousands(limit)
        ));
    }
    Ok(())
}

/// Raises the limit on open descriptors to at least `needed` where it can: the soft limit
/// up to the hard one, and the hard one up to the kernel's most (`fs.nr_open`) where the
/// process is allowed to (it is refused otherwise, and the run keeps what it had).
/// Returns the soft limit now in force, where the OS tells it.
pub fn raise_descriptor_limit_to(needed: u64) -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        if let (Some(hard), Some(kernel_most)) = (limit.maximum, kernel_descriptor_most())
            && hard < needed
        {
            let raised = needed.min(kernel_most);
            let _ = setrlimit(
                Resource::Nofile,
                Rlimit {
                    current: Some(raised),
                    maximum: Some(raised),
                },
            );
        }
    }
    raise_descriptor_limit()
}

/// The kernel's most descriptors a process may be allowed (`/proc/sys/fs/nr_open`).
fn kernel_descriptor_most() -> Option<u64> {
    std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// `n` with a comma between thousands: `10,000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_thread_or_buffer_is_read_from_a_panic_s_text() {
        let eagain = "Resource temporarily unavailable (os error 11)";
        assert_eq!(
            refusal_in(
                "OS can't spawn worker thread: Resource temporarily unavailable (os error 11)"
            ),
            Some(eagain)
        );
        assert_eq!(
            refusal_in(
                "called `Result::unwrap()` on an `Err` value: Os { code: 11, kind: WouldBlock, message: \"Resource temporarily unavailable\" }"
            ),
            Some(eagain)
        );
        assert_eq!(
            refusal_in(
                "failed to spawn thread: Os { code: 12, kind: OutOfMemory, message: \"Cannot allocate memory\" }"
            ),
            Some("Cannot allocate memory (os error 12)")
        );
        assert_eq!(refusal_in("boom (os error 110)"), None);
        assert_eq!(refusal_in("the task panicked"), None);
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(9_993), "9,993");
        assert_eq!(thousands(10_000), "10,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn room_is_made_for_what_fits_and_the_rest_is_refused_up_front() {
        // Within the kernel's most, the limits are raised (the tests run as root in CI;
        // elsewhere the hard limit may bind, and the refusal must say so).
        match make_room_for_downloads(1000, 2, false) {
            Ok(()) => assert!(descriptor_limit().is_none_or(|l| l >= 2000)),
            Err(line) => assert!(
                line.starts_with("1,000 downloads at once need 2,0"),
                "{line}"
            ),
        }
        let most = kernel_descriptor_most().unwrap_or(1 << 20);
        let line =
            make_room_for_downloads(most, 2, false).expect_err("more than the kernel allows");
        assert!(line.contains("and the limit is "), "{line}");
        assert!(
            line.contains("(two each, with the embedded site in this process"),
            "{line}"
        );
    }
}
