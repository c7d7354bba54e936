#if canImport(Glibc)
import Glibc
#endif
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

    struct CapCase: CustomTestStringConvertible, Sendable {
        var testDescription: String
        var setting: String?
        var physicalMemory: Int?
        var cap: Int
    }

    @Test(arguments: [
        CapCase(testDescription: "2 GiB of memory keep 512 MiB", physicalMemory: 2 << 30, cap: 512 << 20),
        CapCase(testDescription: "12 GiB keep 3 GiB", physicalMemory: 12 << 30, cap: 3 << 30),
        CapCase(testDescription: "16 GiB keep 4 GiB", physicalMemory: 16 << 30, cap: 4 << 30),
        CapCase(testDescription: "64 GiB keep at most 4 GiB", physicalMemory: 64 << 30, cap: 4 << 30),
        CapCase(testDescription: "unknown memory keeps 4 GiB", physicalMemory: nil, cap: 4 << 30),
        CapCase(testDescription: "QUILL_POOL_MB=100 keeps 100 MiB", setting: "100", physicalMemory: 64 << 30, cap: 100 << 20),
        CapCase(testDescription: "QUILL_POOL_MB=0 keeps nothing", setting: "0", physicalMemory: 8 << 30, cap: 0),
        CapCase(testDescription: "a QUILL_POOL_MB that is no count is ignored", setting: "lots", physicalMemory: 8 << 30,
                cap: 2 << 30),
    ])
    func theDefaultCapIsAQuarterOfMemoryAtMostFourGiB(_ c: CapCase) {
        #expect(BufferPool.cap(setting: c.setting, physicalMemory: c.physicalMemory) == c.cap)
    }

    @Test func theSharedPoolUsesThisMachinesCap() {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        let expected = getenv("QUILL_POOL_MB") == nil ? min(4 << 30, pages * pageSize / 4) : BufferPool.defaultMaxCachedBytes
        #expect(BufferPool.shared.maxCachedBytes == expected)
    }
}
