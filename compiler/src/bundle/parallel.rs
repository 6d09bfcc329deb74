//! Work shared over all cores, for verifying and signing bundles.

use super::sign::SignError;

/// Applies `f` to every item on all cores, in order; the first error wins. Workers take the
/// next item as they finish one: a bundle's files range from bytes to megabytes, and equal
/// shares by count left one core with most of the work.
pub fn map<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R, SignError> + Sync,
) -> Result<Vec<R>, SignError> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = || {
        let mut done = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let at = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(at) else { break };
            match f(item) {
                Ok(result) => done.push((at, result)),
                Err(error) => {
                    failed.store(true, Ordering::Relaxed);
                    return Err((at, error));
                }
            }
        }
        Ok(done)
    };
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let workers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut outcomes = vec![work()];
        for worker in workers {
            outcomes.push(worker.join().unwrap_or_else(|_| {
                Err((
                    0,
                    SignError::Malformed("a file could not be read".to_string()),
                ))
            }));
        }
        outcomes
    });
    let mut results = Vec::with_capacity(items.len());
    let mut first_error: Option<(usize, SignError)> = None;
    for outcome in outcomes {
        match outcome {
            Ok(done) => results.extend(done),
            Err((at, error)) => {
                if first_error.as_ref().is_none_or(|(first, _)| at < *first) {
                    first_error = Some((at, error));
                }
            }
        }
    }
    if let Some((_, error)) = first_error {
        return Err(error);
    }
    results.sort_unstable_by_key(|(at, _)| *at);
    Ok(results.into_iter().map(|(_, result)| result).collect())
}
