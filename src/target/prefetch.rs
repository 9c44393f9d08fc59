//! Fetching ahead, in order: the next few signatures' requests go out while the current one
//! is checked, but results come back in the order the caller would have fetched them one by
//! one (Go notation's order), so what is logged, verified and reported does not change.

use futures_util::stream::FuturesOrdered;
use futures_util::StreamExt as _;
use std::future::Future;

/// How many signature fetches a registry target keeps in flight at once (oras' default
/// concurrency is 3; small manifests and envelopes are latency-bound, so more pays off).
pub const SIGNATURE_FETCH_CONCURRENCY: usize = 8;

/// The results of a sequence of futures, in sequence order, with up to `width` of them
/// running at once. The first one runs alone: the common case (the first signature is the
/// good one) then makes exactly the requests a one-by-one fetch makes, and only a caller
/// that comes back for more gets the rest fetched ahead.
pub struct Prefetch<I>
where
    I: Iterator,
    I::Item: Future,
{
    pending: I,
    running: FuturesOrdered<I::Item>,
    width: usize,
    max_width: usize,
}

impl<I> Prefetch<I>
where
    I: Iterator,
    I::Item: Future,
{
    /// Run `futures` (created lazily, as the window reaches them) at most `max_width` at a
    /// time; a `max_width` of 0 or 1 runs them one by one.
    pub fn new(futures: I, max_width: usize) -> Self {
        Prefetch {
            pending: futures,
            running: FuturesOrdered::new(),
            width: 1,
            max_width: max_width.max(1),
        }
    }

    /// The output of the next future in sequence order, `None` after the last one.
    pub async fn next(&mut self) -> Option<<I::Item as Future>::Output> {
        while self.running.len() < self.width {
            match self.pending.next() {
                Some(f) => self.running.push_back(f),
                None => break,
            }
        }
        let out = self.running.next().await;
        self.width = self.max_width;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Futures that note when they start and finish, each after `delay_ms`.
    fn tasks<'a>(
        log: &'a RefCell<Vec<String>>,
        delays: &'a [u64],
    ) -> impl Iterator<Item = impl Future<Output = usize> + 'a> + 'a {
        delays.iter().enumerate().map(move |(i, &ms)| async move {
            log.borrow_mut().push(format!("start {i}"));
            tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
            log.borrow_mut().push(format!("end {i}"));
            i
        })
    }

    #[tokio::test]
    async fn first_alone_then_a_window_and_results_in_order() {
        let log = RefCell::new(Vec::new());
        // Later futures finish first: the order of results must not follow.
        let delays = [5, 40, 30, 20, 10];
        let mut p = Prefetch::new(tasks(&log, &delays), 3);
        assert_eq!(p.next().await, Some(0));
        assert_eq!(*log.borrow(), ["start 0", "end 0"]);
        assert_eq!(p.next().await, Some(1));
        // 1, 2 and 3 ran together; 4 was not started beyond the window.
        let started: Vec<_> = log
            .borrow()
            .iter()
            .filter(|l| l.starts_with("start"))
            .cloned()
            .collect();
        assert_eq!(started, ["start 0", "start 1", "start 2", "start 3"]);
        assert_eq!(p.next().await, Some(2));
        assert_eq!(p.next().await, Some(3));
        assert_eq!(p.next().await, Some(4));
        assert_eq!(p.next().await, None);
    }

    #[tokio::test]
    async fn width_one_is_one_by_one() {
        let log = RefCell::new(Vec::new());
        let delays = [3, 2, 1];
        let mut p = Prefetch::new(tasks(&log, &delays), 0);
        while p.next().await.is_some() {}
        assert_eq!(
            *log.borrow(),
            ["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]
        );
    }
}
