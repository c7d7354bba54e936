#ifndef QUILL_ALLOCATION_COUNTER_H
#define QUILL_ALLOCATION_COUNTER_H

/// Heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign,
/// valloc, pvalloc) made by any thread of this process since it started.
unsigned long long quill_allocation_count(void);

/// Calls to free with a non-null pointer since the process started.
unsigned long long quill_free_count(void);

#endif
