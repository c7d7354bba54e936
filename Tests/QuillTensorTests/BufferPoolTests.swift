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

    /// Classes of 32, 36 and 40 KiB, all once in use together, under an 80 KiB cap: the third
    /// class to come back evicts the class taken least recently, not the one used a moment ago.
    @Test func aFullPoolFreesTheLeastRecentlyTakenClassFirst() {
        let pool = BufferPool(maxCachedBytes: 80 << 10)
        let (a, b, c) = (pool.take(8192), pool.take(9216), pool.take(10_240))
        pool.give(a)
        pool.give(b)
        pool.give(pool.take(9216))  // b's class is now the most recently used
        #expect(pool.cachedByteCount == 68 << 10)
        pool.give(c)
        #expect(pool.cachedByteCount == 76 << 10)
        let allocated = pool.systemAllocations
        _ = pool.take(9216)
        #expect(pool.systemAllocations == allocated, "b's class was kept")
        _ = pool.take(8192)
        #expect(pool.systemAllocations == allocated + 1, "a's class was freed")
    }

    @Test func aStorageLargerThanTheCapIsNotKept() {
        let pool = BufferPool(maxCachedBytes: 64 << 10)
        do {
            let (small, large) = (pool.take(8192), pool.take(20_000))
            pool.give(small)
            pool.give(large)
        }
        #expect(pool.cachedByteCount == 32 << 10)
        #expect(pool.allocatedByteCount == 32 << 10, "the large storage was freed")
    }

    /// A step that takes the storages of a batch of `length` (as a sentence model's forward and
    /// backward do: several tensors whose sizes grow with the length), holds them all, then
    /// gives them back.
    private func step(_ pool: BufferPool, length: Int) {
        let storages = (1...6).map { pool.take($0 * 1024 * length) }
        for storage in storages { pool.give(storage) }
    }

    @Test func aFixedShapeWarmStepAllocatesNothingAndEvictsNothing() {
        let pool = BufferPool()
        step(pool, length: 24)
        let (allocations, bytes) = (pool.systemAllocations, pool.allocatedByteCount)
        for _ in 0..<20 { step(pool, length: 24) }
        #expect(pool.systemAllocations == allocations)
        #expect(pool.evictions == 0)
        #expect(pool.allocatedByteCount == bytes && pool.cachedByteCount == bytes)
    }

    /// A step of a model whose parameters stay live throughout, with forward temporaries freed
    /// before the backward pass takes its own of another size: the live peak counts only one set
    /// of temporaries, but a warm step needs both cached, which the headroom leaves room for.
    @Test func temporariesOfTwoPhasesStayCachedBesideLongLivedParameters() {
        let pool = BufferPool()
        let parameters = (0..<4).map { _ in pool.take(6400) }
        func step() {
            let forward = (0..<3).map { _ in pool.take(2048) }
            for storage in forward { pool.give(storage) }
            let backward = (0..<3).map { _ in pool.take(2304) }
            for storage in backward { pool.give(storage) }
        }
        step()
        let allocations = pool.systemAllocations
        for _ in 0..<5 { step() }
        #expect(pool.systemAllocations == allocations)
        #expect(pool.evictions == 0)
        withExtendedLifetime(parameters) {}
    }

    /// Batches of every length from 1 to 80, in a shuffled order: without a bound the pool would
    /// cache a class per length (about 30 times the largest step); bounded by the working set it
    /// holds no more than half as much again as the longest batch needed, while repeated lengths
    /// are still served.
    @Test func aVariableLengthWorkloadStaysWithinItsWorkingSet() {
        let pool = BufferPool()
        var generator = RandomGenerator(seed: 3)
        var lengths = Array(1...80) + Array(1...80)
        lengths.shuffle(using: &generator)
        var peakStep = 0
        for length in lengths {
            step(pool, length: length)
            peakStep = max(peakStep, (1...6).map { BufferPool.sizeClass($0 * 1024 * length) * 4 }.reduce(0, +))
            #expect(pool.allocatedByteCount <= peakStep + peakStep / 2, "length \(length)")
        }
        #expect(pool.peakLiveByteCount == peakStep)
        #expect(pool.allocatedByteCount == pool.cachedByteCount, "nothing is in use between steps")
        #expect(pool.evictions > 0)
        let reused = lengths.count * 6 - pool.systemAllocations
        #expect(reused > lengths.count * 6 / 4, "the cache still served \(reused) of \(lengths.count * 6) requests")
    }

    /// A chain of 16 ops whose gradient rules keep their inputs: the backward pass drops each
    /// op once its rule has run, so the activations go back to the pool as their gradients
    /// arrive, and the pass adds little to the forward's live peak. Kept to the end, every
    /// activation and every gradient would be live at once, about twice that peak.
    @Test func backwardReleasesEachOpsActivationsAsItGoes() {
        let pool = BufferPool()
        BufferPool.using(pool) {
            let x = Tensor(repeating: 0.5, shape: [64, 64], requiresGrad: true)
            var h = x
            for _ in 0..<16 { h = (h * 1.01).tanh() }
            let loss = h.sum()
            let forwardPeak = pool.peakLiveByteCount
            loss.backward()
            #expect(pool.peakLiveByteCount < forwardPeak + forwardPeak / 4,
                    "backward raised the live peak from \(forwardPeak) to \(pool.peakLiveByteCount) bytes")
            #expect(x.grad != nil)
        }
    }

    @Test func aStorageThePoolDoesNotKeepGivesBackItsBytes() {
        let pool = BufferPool(maxCachedBytes: 0)
        pool.give(pool.take(10_000))
        #expect(pool.systemAllocations == 1)
        #expect(pool.cachedByteCount == 0 && pool.allocatedByteCount == 0)
    }

    struct CapCase: CustomTestStringConvertible, Sendable {
        var testDescription: String
        var setting: String?
        var cap: Int
    }

    @Test(arguments: [
        CapCase(testDescription: "no setting: no cap beyond the working set", cap: .max),
        CapCase(testDescription: "QUILL_POOL_MB=100 keeps 100 MiB", setting: "100", cap: 100 << 20),
        CapCase(testDescription: "QUILL_POOL_MB=0 keeps nothing", setting: "0", cap: 0),
        CapCase(testDescription: "a QUILL_POOL_MB that is no count is ignored", setting: "lots", cap: .max),
    ])
    func quillPoolMBCapsTheCache(_ c: CapCase) {
        #expect(BufferPool.cap(setting: c.setting) == c.cap)
    }
}
