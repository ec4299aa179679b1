//! Spreading independent work over the machine's cores, std threads only.

/// Applies `f` to every item on up to `available_parallelism` threads and
/// returns the results in the items' order. Items go, heaviest first, to
/// the least loaded thread by `weight`; small inputs stay on this thread.
pub fn map_balanced<T, R, W, F>(items: Vec<T>, weight: W, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    W: Fn(&T) -> usize,
    F: Fn(T) -> R + Sync,
{
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let total: usize = items.iter().map(&weight).sum();
    if threads < 2 || items.len() < 2 || total < 10_000 {
        return items.into_iter().map(f).collect();
    }
    let mut order: Vec<(usize, T)> = items.into_iter().enumerate().collect();
    order.sort_by_key(|(_, item)| std::cmp::Reverse(weight(item)));
    let mut shares: Vec<(usize, Vec<(usize, T)>)> = (0..threads).map(|_| (0, Vec::new())).collect();
    for (index, item) in order {
        let share = shares
            .iter_mut()
            .min_by_key(|(load, _)| *load)
            .expect("one thread at least");
        share.0 += weight(&item);
        share.1.push((index, item));
    }
    let f = &f;
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|(_, share)| {
                scope.spawn(move || {
                    share
                        .into_iter()
                        .map(|(i, item)| (i, f(item)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| handle.join().expect("a worker thread panicked"))
            .collect()
    });
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// `0..len` cut into one range per core, for [`map_balanced`] to run on
/// long lists.
pub fn split(len: usize) -> Vec<std::ops::Range<usize>> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let size = len.div_ceil(threads).max(1);
    (0..len)
        .step_by(size)
        .map(|start| start..(start + size).min(len))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_order_of_items() {
        let items: Vec<usize> = (0..100).collect();
        let squares = map_balanced(items, |&n| n * 1000, |n| n * n);
        assert_eq!(squares, (0..100).map(|n| n * n).collect::<Vec<_>>());
    }

    #[test]
    fn splits_cover_every_index_once() {
        for len in [0, 1, 7, 100_001] {
            let ranges = split(len);
            let covered: Vec<usize> = ranges.into_iter().flatten().collect();
            assert_eq!(covered, (0..len).collect::<Vec<_>>());
        }
    }
}
