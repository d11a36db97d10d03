//! Data parallelism without a thread-pool dependency: split a slice into one
//! chunk per core, run a function over each chunk on a scoped thread, and return
//! the results in chunk order, so the output never depends on scheduling.

/// Calls `work` on consecutive chunks of `items` (at least `min_chunk` long) in
/// parallel; results come back in input order.
pub fn map_chunks<T: Sync, R: Send>(items: &[T], min_chunk: usize, work: impl Fn(usize, &[T]) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let chunk = items.len().div_ceil(threads).max(min_chunk).max(1);
    let work = &work;
    std::thread::scope(|scope| {
        let workers: Vec<_> =
            items.chunks(chunk).enumerate().map(|(i, part)| scope.spawn(move || work(i * chunk, part))).collect();
        workers.into_iter().map(|w| w.join().expect("invariant: workers do not panic")).collect()
    })
}

/// Like [`map_chunks`], with mutable access to the items.
pub fn map_chunks_mut<T: Send, R: Send>(
    items: &mut [T],
    min_chunk: usize,
    work: impl Fn(&mut [T]) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let chunk = items.len().div_ceil(threads).max(min_chunk).max(1);
    let work = &work;
    std::thread::scope(|scope| {
        let workers: Vec<_> = items.chunks_mut(chunk).map(|part| scope.spawn(move || work(part))).collect();
        workers.into_iter().map(|w| w.join().expect("invariant: workers do not panic")).collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_input_order() {
        let items: Vec<usize> = (0..1000).collect();
        let sums = super::map_chunks(&items, 10, |start, part| (start, part.iter().sum::<usize>()));
        assert_eq!(sums.iter().map(|(_, s)| s).sum::<usize>(), 499_500);
        assert!(sums.windows(2).all(|w| w[0].0 < w[1].0));
        let mut v = items.clone();
        super::map_chunks_mut(&mut v, 10, |part| part.iter_mut().for_each(|x| *x *= 2));
        assert_eq!(v[999], 1998);
    }
}
