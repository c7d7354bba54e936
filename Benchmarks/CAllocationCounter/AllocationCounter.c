// Counts every heap allocation of the process that links it, for quill-bench's
// "mallocs per training step". Linking this into an executable interposes the C allocator:
// the executable's definitions of malloc & co. come first in symbol lookup, so calls from
// libswiftCore (swift_allocObject -> swift_slowAlloc -> malloc), Foundation and libc itself
// all land here and are forwarded to glibc's own entry points. Link it only into benchmarks.
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include "CAllocationCounter.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);

static atomic_ullong allocations;
static atomic_ullong frees;

static inline void count_allocation(void) {
    atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
}

unsigned long long quill_allocation_count(void) {
    return atomic_load_explicit(&allocations, memory_order_relaxed);
}

unsigned long long quill_free_count(void) {
    return atomic_load_explicit(&frees, memory_order_relaxed);
}

void *malloc(size_t size) {
    count_allocation();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    count_allocation();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    count_allocation();
    return __libc_realloc(pointer, size);
}

void free(void *pointer) {
    if (pointer) atomic_fetch_add_explicit(&frees, 1, memory_order_relaxed);
    __libc_free(pointer);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    count_allocation();
    void *pointer = __libc_memalign(alignment, size);
    if (!pointer) return ENOMEM;
    *result = pointer;
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
    count_allocation();
    return __libc_memalign(alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    count_allocation();
    return __libc_memalign(alignment, size);
}

void *valloc(size_t size) {
    count_allocation();
    return __libc_memalign(4096, size);
}

void *pvalloc(size_t size) {
    count_allocation();
    return __libc_memalign(4096, (size + 4095) & ~(size_t)4095);
}
