//! The search's threads: the calling thread and a pool of workers kept for the rest of the
//! process (one pool per thread count, made when a search first asks for it).
//!
//! Contract of [`Workers::each`]: every input is given to `job` exactly once, all of them at
//! once (the first on the calling thread, each other on a worker), and the results come back
//! in input order; it returns when all have finished. Nothing else is shared: a job sees only
//! what its closure borrows.
//!
//! Why a pool kept alive rather than threads started per step: a search with 2 threads runs
//! three parallel steps per batch (expansion, marking first successors, numbering them), a few
//! hundred batches per large search: a new thread starts with an empty allocator heap, whose
//! pages the kernel zeroes again as it fills them. The calling thread works too, so that a
//! search with N threads has N threads busy in its parallel steps and one in its serial ones
//! (an idle rayon worker spins a little before it sleeps).

use rayon::{ThreadPool, ThreadPoolBuilder};
use std::sync::{Arc, Mutex};

/// The pools made so far, by number of workers.
static POOLS: Mutex<Vec<(usize, Arc<ThreadPool>)>> = Mutex::new(Vec::new());

/// `threads` threads: the caller and `threads - 1` kept workers.
pub(crate) struct Workers {
    threads: usize,
    pool: Option<Arc<ThreadPool>>,
}

impl Workers {
    /// The caller and `threads - 1` workers (none for 1; at least 1 thread in all).
    pub(crate) fn new(threads: usize) -> Workers {
        let threads = threads.max(1);
        Workers {
            threads,
            pool: (threads > 1).then(|| pool(threads - 1)),
        }
    }

    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    /// Runs `job` on each input at once, one input per thread (see the module's contract);
    /// `inputs` holds at most [`Workers::threads`] of them.
    pub(crate) fn each<I: Send, R: Send>(
        &self,
        inputs: Vec<I>,
        job: impl Fn(I) -> R + Sync,
    ) -> Vec<R> {
        assert!(inputs.len() <= self.threads, "one input per thread at most");
        let mut inputs = inputs.into_iter();
        let Some(here) = inputs.next() else {
            return Vec::new();
        };
        let Some(pool) = &self.pool else {
            return vec![job(here)];
        };
        let job = &job;
        let mut others: Vec<Option<R>> = (0..inputs.len()).map(|_| None).collect();
        let first = pool.in_place_scope(|scope| {
            for (input, out) in inputs.zip(others.iter_mut()) {
                scope.spawn(move |_| *out = Some(job(input)));
            }
            job(here)
        });
        std::iter::once(first)
            .chain(others.into_iter().map(|r| r.expect("every job ran")))
            .collect()
    }
}

/// The pool of `workers` threads, made on first use.
fn pool(workers: usize) -> Arc<ThreadPool> {
    let mut pools = POOLS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, pool)) = pools.iter().find(|(n, _)| *n == workers) {
        return Arc::clone(pool);
    }
    let pool = Arc::new(
        ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(move |i| format!("search-worker-{}", i + 1))
            .build()
            .expect("the search's worker threads start"),
    );
    pools.push((workers, Arc::clone(&pool)));
    pool
}
