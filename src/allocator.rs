//! The binary's global allocator: mimalloc for ordinary blocks, the system
//! allocator for huge ones.
//!
//! `generate` on a large inventory makes millions of small allocations
//! (names, records), where mimalloc is markedly faster than glibc. A few
//! blocks are huge and grow by doubling, serde_yaml's event buffer above
//! all (about 200 MB for 100,000 servers): glibc grows those in place with
//! `mremap`, while mimalloc copies them and so holds the old and the new
//! block at once. Blocks from [`HUGE`] octets up therefore go to the
//! system allocator.
//!
//! Only the binary uses it: the library's tests and benchmarks run on the
//! system allocator.

use std::alloc::{GlobalAlloc, Layout, System};

use mimalloc::MiMalloc;

/// Blocks of this many octets or more go to the system allocator.
const HUGE: usize = 1 << 20;

/// Routes each block by its size; see the module documentation.
pub struct Hybrid;

fn is_huge(size: usize) -> bool {
    size >= HUGE
}

// SAFETY: every block is freed or resized by the allocator that made it:
// `dealloc` and `realloc` receive the layout the block was last given,
// whose size routes them exactly as its allocation was routed, and a
// resize across `HUGE` moves the block from one allocator to the other.
unsafe impl GlobalAlloc for Hybrid {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe {
            if is_huge(layout.size()) {
                System.alloc(layout)
            } else {
                MiMalloc.alloc(layout)
            }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe {
            if is_huge(layout.size()) {
                System.alloc_zeroed(layout)
            } else {
                MiMalloc.alloc_zeroed(layout)
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `layout.size()` routes to the allocator that made `ptr`.
        unsafe {
            if is_huge(layout.size()) {
                System.dealloc(ptr, layout);
            } else {
                MiMalloc.dealloc(ptr, layout);
            }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same-side resizes go to the allocator that made `ptr`;
        // a move across sides copies the smaller of the two sizes into a
        // new block of the caller's alignment, then frees the old block.
        unsafe {
            match (is_huge(layout.size()), is_huge(new_size)) {
                (true, true) => System.realloc(ptr, layout, new_size),
                (false, false) => MiMalloc.realloc(ptr, layout, new_size),
                _ => {
                    let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
                    let new = self.alloc(new_layout);
                    if !new.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    new
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::HUGE;

    /// The binary's tests run on [`super::Hybrid`]: blocks that grow and
    /// shrink across the threshold keep their contents.
    #[test]
    fn blocks_keep_their_contents_across_the_threshold() {
        let pattern = |i: usize| (i % 251) as u8;
        let mut block: Vec<u8> = Vec::with_capacity(16);
        for i in 0..3 * HUGE {
            block.push(pattern(i));
        }
        block.truncate(HUGE / 4);
        block.shrink_to_fit();
        assert!(block.capacity() < HUGE);
        assert!(block.iter().enumerate().all(|(i, &b)| b == pattern(i)));
        let zeroed = vec![0u64; HUGE];
        assert!(zeroed.iter().all(|&word| word == 0));
        let mut aligned: Vec<u128> = Vec::with_capacity(1);
        aligned.extend((0..HUGE as u128 / 8).map(|n| n * 3));
        assert_eq!(aligned.as_ptr() as usize % std::mem::align_of::<u128>(), 0);
        aligned.truncate(3);
        aligned.shrink_to_fit();
        assert_eq!(aligned, [0, 3, 6]);
    }
}
