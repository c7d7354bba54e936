@testable import QuillTensor
import Testing

/// The pool that recycles tensor memory: size classes, reuse, and what a full pool frees.
@Suite struct BufferPoolTests {
    @Test func sizeClassesCoverTheRequestWithLittleSlack() {
        var previous = 0
        for count in [1, 7, 4096, 4097, 8192, 8193, 10_000, 123_457, 10_000_000] {
            let capacity = BufferPool.sizeClass(count)
            #expect(capacity >= count && Double(capacity) <= Double(count) * 1.125, "\(count) → \(capacity)")
            #expect(capacity >= previous)
            previous = capacity
        }
        #expect(BufferPool.sizeClass(9000) == BufferPool.sizeClass(9216))
    }

    @Test func aReturnedStorageServesTheNextRequestOfItsClass() {
        let pool = BufferPool(maxCachedBytes: 1 << 20)
        let first = pool.take(9000)
        let pointer = first.pointer
        pool.give(first)
        let second = pool.take(9100)
        #expect(second.pointer == pointer && second.count == 9100)
        #expect(pool.systemAllocations == 1)
        #expect(pool.cachedByteCount == 0)
    }

    /// Classes of 32, 36 and 40 KiB under an 80 KiB cap: the third class to come back evicts the
    /// class taken least recently, not the one the caller used a moment ago.
    @Test func aFullPoolFreesTheLeastRecentlyTakenClassFirst() {
        let pool = BufferPool(maxCachedBytes: 80 << 10)
        let (a, b) = (pool.take(8192), pool.take(9216))
        pool.give(a)
        pool.give(b)
        pool.give(pool.take(9216))  // b's class is now the most recently used
        #expect(pool.cachedByteCount == 68 << 10)
        pool.give(pool.take(10_240))
        #expect(pool.cachedByteCount == 76 << 10)
        let allocated = pool.systemAllocations
        _ = pool.take(9216)
        #expect(pool.systemAllocations == allocated, "b's class was kept")
        _ = pool.take(8192)
        #expect(pool.systemAllocations == allocated + 1, "a's class was freed")
    }

    @Test func aStorageLargerThanTheCapIsNotKept() {
        let pool = BufferPool(maxCachedBytes: 64 << 10)
        pool.give(pool.take(8192))
        pool.give(pool.take(20_000))
        #expect(pool.cachedByteCount == 32 << 10)
    }

    @Test func theDefaultCapIsAQuarterOfMemoryAtMostFourGiB() {
        let cap = BufferPool.defaultMaxCachedBytes
        #expect(cap > 0 && cap <= 4 << 30)
        #expect(BufferPool.shared.maxCachedBytes == cap)
    }
}
