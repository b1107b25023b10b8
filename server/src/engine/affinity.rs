//! `--cpus LIST`: which CPU each worker runs on, and the steering that hands
//! each datagram to the socket whose worker runs on the CPU that received it.
//!
//! The pattern is the one Knot and NSD ship. NSD's `cpu-affinity` confines the
//! process to a set of CPUs and `server-N-cpu-affinity` pins server N to one of
//! them; Knot pins UDP worker `i` to CPU `i` and, with `socket-affinity`,
//! attaches a classic-BPF program to the `SO_REUSEPORT` group that picks the
//! socket by the CPU the packet arrived on. A query is then received,
//! answered and sent on the core whose softirq queued it, so neither the
//! datagram nor the socket's state crosses cores. Here worker `i` (the `i`-th
//! socket of each address, and the `i`-th runtime worker) runs on `LIST[i]`;
//! the rest of the process (the blocking pool, start-up) may run on any CPU of
//! the list. The figures and the model for many cores are in
//! `docs/case-study.md`, "More cores".
//!
//! Pinning is one call, [`pin_worker`], that any engine makes at the start of
//! a worker thread it owns.

use std::fmt;
use std::io;
use std::net::UdpSocket;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use nix::libc;
use nix::sched::{CpuSet, sched_getaffinity, sched_setaffinity};
use nix::sys::socket::{setsockopt, sockopt};
use nix::unistd::Pid;
use socket2::SockRef;

/// A checked `--cpus` list: distinct CPU numbers, in the order workers take
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuList(Vec<usize>);

/// Why a `--cpus` list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpuListError {
    /// Nothing, or an empty item between commas.
    #[error("expected CPU numbers or ranges separated by commas, e.g. 0, 0,1 or 0-3,8")]
    Empty,
    /// An item that is neither `N` nor `N-M`.
    #[error("\"{0}\" is not a CPU number or range (expected e.g. 0, 0,1 or 0-3,8)")]
    NotACpu(String),
    /// `N-M` with `M < N`.
    #[error("\"{0}\": a range goes from the lower CPU number to the higher, e.g. 0-3")]
    Backwards(String),
    /// The same CPU twice: two workers on one core compete for it.
    #[error("CPU {0} is listed twice (one worker per CPU)")]
    Twice(usize),
    /// Beyond what a CPU set can hold.
    #[error("CPU {cpu} is beyond the highest CPU number this system can address ({max})")]
    TooLarge {
        /// The CPU asked for.
        cpu: usize,
        /// The highest a CPU set holds.
        max: usize,
    },
    /// Not in the process's allowed set (offline, or excluded by taskset or
    /// a cpuset cgroup).
    #[error(
        "CPU {cpu} is not one this process may run on (allowed: {allowed}); \
         see `taskset -p $$` or the cgroup's cpuset"
    )]
    NotAllowed {
        /// The CPU asked for.
        cpu: usize,
        /// The allowed set, as a list like `0-3,8`.
        allowed: String,
    },
}

impl CpuList {
    /// Parses `0`, `0,1`, `0-3,8` (Linux's cpu-list syntax, as `taskset -c`
    /// and `/proc/*/status` write it).
    pub fn parse(text: &str) -> Result<Self, CpuListError> {
        let mut cpus = Vec::new();
        for item in text.split(',').map(str::trim) {
            if item.is_empty() {
                return Err(CpuListError::Empty);
            }
            let number = |part: &str| {
                part.trim()
                    .parse::<usize>()
                    .map_err(|_| CpuListError::NotACpu(item.to_owned()))
            };
            let (first, last) = match item.split_once('-') {
                None => (number(item)?, number(item)?),
                Some((first, last)) => (number(first)?, number(last)?),
            };
            if last < first {
                return Err(CpuListError::Backwards(item.to_owned()));
            }
            for cpu in first..=last {
                let max = CpuSet::count() - 1;
                if cpu > max {
                    return Err(CpuListError::TooLarge { cpu, max });
                }
                if cpus.contains(&cpu) {
                    return Err(CpuListError::Twice(cpu));
                }
                cpus.push(cpu);
            }
        }
        Ok(CpuList(cpus))
    }

    /// Refuses the list unless every CPU is in `allowed`.
    pub fn check_allowed(&self, allowed: &[usize]) -> Result<(), CpuListError> {
        match self.0.iter().find(|cpu| !allowed.contains(cpu)) {
            None => Ok(()),
            Some(&cpu) => Err(CpuListError::NotAllowed {
                cpu,
                allowed: ranges(allowed),
            }),
        }
    }

    /// The CPUs, in worker order.
    pub fn cpus(&self) -> &[usize] {
        &self.0
    }

    /// How many workers the list makes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Never true for a parsed list; here for the `len` convention.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The CPU of worker `i` (of each address's socket group).
    pub fn of_worker(&self, i: usize) -> usize {
        self.0[i % self.0.len()]
    }
}

impl fmt::Display for CpuList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&items.join(","))
    }
}

/// `cpus` written as Linux writes a cpu list: `0-3,8`.
fn ranges(cpus: &[usize]) -> String {
    let mut sorted = cpus.to_vec();
    sorted.sort_unstable();
    let mut items = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        items.push(if i == j {
            sorted[i].to_string()
        } else {
            format!("{}-{}", sorted[i], sorted[j])
        });
        i = j + 1;
    }
    items.join(",")
}

/// The CPUs the calling thread may run on.
pub fn allowed_cpus() -> io::Result<Vec<usize>> {
    let set = sched_getaffinity(Pid::from_raw(0)).map_err(io::Error::from)?;
    Ok((0..CpuSet::count())
        .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
        .collect())
}

/// Confines the calling thread to `cpus` (one CPU pins it). Threads it starts
/// afterwards inherit the set.
pub fn pin_current_thread(cpus: &[usize]) -> io::Result<()> {
    let mut set = CpuSet::new();
    for &cpu in cpus {
        set.set(cpu).map_err(io::Error::from)?;
    }
    // Pid 0 is the calling thread, not the whole process.
    sched_setaffinity(Pid::from_raw(0), &set).map_err(io::Error::from)
}

/// Pins the calling worker thread to `cpu`, the error naming it: what an
/// engine calls first thing on the thread that serves the socket of worker
/// `i`, with `cpus.of_worker(i)`.
pub fn pin_worker(cpu: usize) -> io::Result<()> {
    pin_current_thread(&[cpu]).map_err(|err| {
        io::Error::new(
            err.kind(),
            format!("--cpus: pinning a worker to CPU {cpu}: {err}"),
        )
    })
}

/// Pins the tokio runtime's worker threads, one per CPU of the list, from the
/// runtime's `on_thread_start`.
///
/// Tokio names no worker index there, but it starts its workers while the
/// runtime is built, before anything can ask for a blocking-pool thread: the
/// first `len` threads to start are the workers ([`Self::wait_for_workers`]
/// makes sure of it). Any later thread (the blocking pool) gets the whole
/// list, rather than the one CPU of the worker that happened to start it.
#[derive(Debug)]
pub struct RuntimePins {
    /// The CPUs, in worker order.
    cpus: CpuList,
    /// Threads started so far.
    started: AtomicUsize,
}

impl RuntimePins {
    /// Pins for a runtime with one worker per CPU of `cpus`.
    pub fn new(cpus: CpuList) -> Self {
        Self {
            cpus,
            started: AtomicUsize::new(0),
        }
    }

    /// Call first thing in each runtime thread.
    pub fn on_thread_start(&self) {
        let index = self.started.fetch_add(1, Ordering::SeqCst);
        let cpus = match self.cpus.cpus().get(index) {
            Some(cpu) => std::slice::from_ref(cpu),
            None => self.cpus.cpus(),
        };
        if let Err(err) = pin_current_thread(cpus) {
            tracing::warn!("--cpus: cannot pin a runtime thread to CPU {cpus:?}: {err}");
        }
    }

    /// Waits (up to `timeout`) until every worker has started and pinned
    /// itself; call it right after building the runtime, before any
    /// `spawn_blocking`. Returns whether they all did.
    pub fn wait_for_workers(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.started.load(Ordering::SeqCst) < self.cpus.len() {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        true
    }
}

/// Steers one address's `SO_REUSEPORT` group by CPU: `group[i]` is served on
/// `cpus.of_worker(i)`, and a datagram the kernel receives on that CPU goes to
/// it. Every socket gets `SO_INCOMING_CPU` for its CPU (which Linux 6.1 and
/// later also use to pick within a group when no program is attached), and the
/// group gets the classic-BPF program of [`reuseport_program`].
///
/// Call after all of the group is bound, in bind order: the kernel numbers a
/// group's sockets in the order they joined it, and the program returns those
/// numbers.
pub fn steer_by_cpu(group: &[UdpSocket], cpus: &CpuList) -> io::Result<()> {
    let Some(first) = group.first() else {
        return Ok(());
    };
    for (i, socket) in group.iter().enumerate() {
        SockRef::from(socket).set_cpu_affinity(cpus.of_worker(i))?;
    }
    let worker_cpus: Vec<usize> = (0..group.len()).map(|i| cpus.of_worker(i)).collect();
    let mut program = reuseport_program(&worker_cpus);
    let fprog = libc::sock_fprog {
        len: u16::try_from(program.len()).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "too many CPUs for a BPF program",
            )
        })?,
        filter: program.as_mut_ptr(),
    };
    setsockopt(first, sockopt::AttachReusePortCbpf, &fprog).map_err(io::Error::from)
}

/// The classic-BPF program that returns, for the CPU a datagram arrived on,
/// the index of the socket served on that CPU (`cpus[i]` -> `i`). A CPU not in
/// the list gets an index past the group, so the kernel falls back to its
/// flow hash.
///
/// A run of consecutive CPUs (the usual `0-N`) is one subtraction; any other
/// list is one comparison per CPU (a 64-CPU list: at most 64 JIT-compiled
/// compares per datagram).
pub fn reuseport_program(cpus: &[usize]) -> Vec<libc::sock_filter> {
    let op = |code: u32, k: u32, jt: u8, jf: u8| libc::sock_filter {
        code: u16::try_from(code).unwrap_or(u16::MAX),
        jt,
        jf,
        k,
    };
    let k = |value: usize| u32::try_from(value).unwrap_or(u32::MAX);
    // A = the CPU the packet is being processed on (the receive softirq's).
    let load_cpu = op(
        libc::BPF_LD | libc::BPF_W | libc::BPF_ABS,
        (libc::SKF_AD_OFF + libc::SKF_AD_CPU).cast_unsigned(),
        0,
        0,
    );
    let mut program = vec![load_cpu];
    let consecutive = cpus.windows(2).all(|pair| pair[1] == pair[0] + 1);
    if consecutive {
        // A - first wraps below it to a huge index: the kernel's fallback.
        let first = cpus.first().copied().unwrap_or(0);
        program.push(op(
            libc::BPF_ALU | libc::BPF_SUB | libc::BPF_K,
            k(first),
            0,
            0,
        ));
        program.push(op(libc::BPF_RET | libc::BPF_A, 0, 0, 0));
        return program;
    }
    for (index, &cpu) in cpus.iter().enumerate() {
        // Equal: fall through to return the index; else skip that return.
        program.push(op(
            libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K,
            k(cpu),
            0,
            1,
        ));
        program.push(op(libc::BPF_RET | libc::BPF_K, k(index), 0, 0));
    }
    program.push(op(libc::BPF_RET | libc::BPF_K, k(cpus.len()), 0, 0));
    program
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the handful of classic-BPF instructions [`reuseport_program`]
    /// uses, with `cpu` as the packet's CPU, as the kernel's interpreter does.
    fn run(program: &[libc::sock_filter], cpu: u32) -> u32 {
        let mut a = 0u32;
        let mut pc = 0;
        loop {
            let insn = &program[pc];
            let code = u32::from(insn.code);
            pc += 1;
            match code {
                c if c == libc::BPF_LD | libc::BPF_W | libc::BPF_ABS => {
                    assert_eq!(
                        insn.k,
                        (libc::SKF_AD_OFF + libc::SKF_AD_CPU).cast_unsigned()
                    );
                    a = cpu;
                }
                c if c == libc::BPF_ALU | libc::BPF_SUB | libc::BPF_K => a = a.wrapping_sub(insn.k),
                c if c == libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K => {
                    pc += usize::from(if a == insn.k { insn.jt } else { insn.jf });
                }
                c if c == libc::BPF_RET | libc::BPF_A => return a,
                c if c == libc::BPF_RET | libc::BPF_K => return insn.k,
                other => panic!("unexpected BPF opcode {other:#x}"),
            }
        }
    }

    #[test]
    fn lists_parse_as_taskset_writes_them() {
        let parse = |text: &str| CpuList::parse(text).map(|list| list.cpus().to_vec());
        assert_eq!(parse("0"), Ok(vec![0]));
        assert_eq!(parse("0,1"), Ok(vec![0, 1]));
        assert_eq!(parse("0-3,8"), Ok(vec![0, 1, 2, 3, 8]));
        assert_eq!(
            parse(" 3 , 1 "),
            Ok(vec![3, 1]),
            "worker order is list order"
        );
        assert_eq!(parse("5-5"), Ok(vec![5]));
    }

    #[test]
    fn bad_lists_say_what_was_expected() {
        let err = |text: &str| CpuList::parse(text).unwrap_err().to_string();
        assert!(err("").contains("e.g. 0, 0,1 or 0-3,8"), "{}", err(""));
        assert!(err("0,,1").contains("separated by commas"));
        assert!(err("a").contains("\"a\" is not a CPU number or range"));
        assert!(err("1-x").contains("\"1-x\" is not a CPU"));
        assert!(err("-1").contains("\"-1\" is not a CPU"));
        assert!(err("3-1").contains("\"3-1\": a range goes from the lower"));
        assert!(err("0,0-1").contains("CPU 0 is listed twice"));
        assert!(err("99999").contains("CPU 99999 is beyond"));
    }

    #[test]
    fn cpus_outside_the_allowed_set_are_refused_naming_both() {
        let list = CpuList::parse("0,2").unwrap();
        assert_eq!(list.check_allowed(&[0, 1, 2]), Ok(()));
        let err = list
            .check_allowed(&[0, 1, 4, 5, 6])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("CPU 2 is not one this process may run on (allowed: 0-1,4-6)"),
            "{err}"
        );
    }

    #[test]
    fn this_thread_is_allowed_somewhere_and_can_be_pinned_there() {
        let allowed = allowed_cpus().unwrap();
        assert!(!allowed.is_empty());
        let last = *allowed.last().unwrap();
        // On a thread of its own: the test harness's threads keep their set.
        std::thread::spawn(move || {
            pin_current_thread(&[last]).unwrap();
            assert_eq!(allowed_cpus().unwrap(), vec![last]);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn the_program_maps_each_cpu_to_its_socket_and_others_past_the_group() {
        for cpus in [vec![0, 1], vec![4, 5, 6, 7], vec![3, 1], vec![0, 2, 9, 5]] {
            let program = reuseport_program(&cpus);
            for (index, &cpu) in cpus.iter().enumerate() {
                assert_eq!(run(&program, cpu as u32), index as u32, "{cpus:?}");
            }
            for other in (0..12u32).filter(|&cpu| !cpus.contains(&(cpu as usize))) {
                assert!(
                    run(&program, other) >= cpus.len() as u32,
                    "{cpus:?} {other}"
                );
            }
        }
        // A run of consecutive CPUs costs the same whatever its length.
        assert_eq!(reuseport_program(&(0..64).collect::<Vec<_>>()).len(), 3);
    }
}
