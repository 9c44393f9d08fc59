//! Fetching ahead, in order: the next few signatures' requests go out while the current one
//! is checked, but results come back in the order the caller would have fetched them one by
//! one (Go notation's order), so what is logged, verified and reported does not change.

use super::{Result, SignaturePages};
use crate::oci::Descriptor;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesOrdered;
use futures_util::StreamExt as _;
use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;

/// How many signature fetches a registry target keeps in flight at once (oras' default
/// concurrency is 3; small manifests and envelopes are latency-bound, so more pays off).
pub(crate) const SIGNATURE_FETCH_CONCURRENCY: usize = 8;

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

    /// Run up to the full width from the first future on (the caller already knows it will
    /// want more than one).
    pub(crate) fn widened(mut self) -> Self {
        self.width = self.max_width;
        self
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

/// Fetches signature content from a registry, one boxed future per signature manifest.
type FetchFn<'a, T> = Arc<dyn Fn(Descriptor) -> BoxFuture<'a, T> + Send + Sync + 'a>;
/// The fetches of one page, created as the window reaches them.
type PageFetches<'a, T> = Box<dyn Iterator<Item = BoxFuture<'a, T>> + Send + 'a>;

/// Signatures read page by page ([`SignaturePages`]), each with its fetched content: within a
/// page the fetches run ahead ([`Prefetch`]); the next page is read only when the caller asks
/// past the current one, and nothing beyond `budget` signatures is fetched (Go notation's
/// `--max-signatures`). Call [`PagedPrefetch::content`] once after each
/// [`PagedPrefetch::next`] that returned a descriptor within the budget.
pub(crate) struct PagedPrefetch<'a, T> {
    pages: Box<dyn SignaturePages + 'a>,
    fetch: FetchFn<'a, T>,
    page: VecDeque<Descriptor>,
    running: Option<Prefetch<PageFetches<'a, T>>>,
    width: usize,
    budget: usize,
    handed_out: usize,
}

impl<'a, T: 'a> PagedPrefetch<'a, T> {
    /// `fetch` makes the future that fetches one signature; `width` as for [`Prefetch`].
    pub fn new(
        pages: Box<dyn SignaturePages + 'a>,
        fetch: impl Fn(Descriptor) -> BoxFuture<'a, T> + Send + Sync + 'a,
        width: usize,
        budget: usize,
    ) -> Self {
        PagedPrefetch {
            pages,
            fetch: Arc::new(fetch),
            page: VecDeque::new(),
            running: None,
            width,
            budget,
            handed_out: 0,
        }
    }

    /// The next signature manifest descriptor, reading the next page when this one is done;
    /// `None` after the last.
    pub async fn next(&mut self) -> Result<Option<Descriptor>> {
        while self.page.is_empty() {
            let Some(page) = self.pages.next_page().await? else {
                return Ok(None);
            };
            let fetch = self.fetch.clone();
            let fetches: PageFetches<'a, T> = Box::new(
                page.clone()
                    .into_iter()
                    .take(self.budget)
                    .map(move |d| fetch(d)),
            );
            self.budget = self.budget.saturating_sub(page.len());
            let running = Prefetch::new(fetches, self.width);
            // Past the first signature the caller is known to want more: no need to wait.
            self.running = Some(if self.handed_out > 0 {
                running.widened()
            } else {
                running
            });
            self.page = page.into();
        }
        self.handed_out += 1;
        Ok(self.page.pop_front())
    }

    /// The fetched content of the descriptor [`PagedPrefetch::next`] returned last.
    pub async fn content(&mut self) -> Option<T> {
        self.running.as_mut()?.next().await
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

    /// Pages served from a list, noting each read in `log`.
    struct Pages<'a> {
        pages: VecDeque<Vec<Descriptor>>,
        log: &'a std::sync::Mutex<Vec<String>>,
    }

    #[async_trait::async_trait]
    impl SignaturePages for Pages<'_> {
        async fn next_page(&mut self) -> Result<Option<Vec<Descriptor>>> {
            self.log.lock().unwrap().push("page".into());
            Ok(self.pages.pop_front())
        }
    }

    fn sig(n: u8) -> Descriptor {
        Descriptor::for_content(crate::oci::MEDIA_TYPE_IMAGE_MANIFEST, &[n])
    }

    #[tokio::test]
    async fn pages_are_read_only_when_needed_and_the_budget_bounds_the_fetches() {
        let log = std::sync::Mutex::new(Vec::new());
        let pages = Pages {
            pages: [vec![sig(1), sig(2), sig(3)], vec![], vec![sig(4), sig(5)]].into(),
            log: &log,
        };
        let fetch = |d: Descriptor| -> BoxFuture<'_, String> {
            let log = &log;
            Box::pin(async move {
                log.lock()
                    .unwrap()
                    .push(format!("fetch {}", &d.digest[7..11]));
                d.digest
            })
        };
        let mut p = PagedPrefetch::new(Box::new(pages), fetch, 8, 4);
        let first = p.next().await.unwrap().unwrap();
        assert_eq!(p.content().await, Some(first.digest.clone()));
        // One page read, one fetch: a caller content with the first signature stops here.
        let short = |d: &Descriptor| format!("fetch {}", &d.digest[7..11]);
        assert_eq!(*log.lock().unwrap(), ["page".to_string(), short(&sig(1))]);
        let mut seen = vec![first];
        while let Some(d) = p.next().await.unwrap() {
            if seen.len() < 4 {
                assert_eq!(p.content().await, Some(d.digest.clone()));
            }
            seen.push(d);
        }
        assert_eq!(seen, [sig(1), sig(2), sig(3), sig(4), sig(5)]);
        // The empty page is skipped; sig(5) is past the budget and never fetched.
        let log = log.lock().unwrap();
        assert_eq!(log.iter().filter(|l| *l == "page").count(), 4, "{log:?}");
        assert!(!log.contains(&short(&sig(5))), "{log:?}");
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
