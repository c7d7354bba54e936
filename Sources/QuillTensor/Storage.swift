#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A reference-counted block of `Float`s, recycled through ``BufferPool``.
///
/// Storages are taken from the pool and go back to it whole, object and memory together: when
/// the last tensor viewing a storage is released, its `deinit` hands the storage back (see
/// ``Tensor``), so a warm training step allocates neither tensor memory nor storage objects.
public final class TensorStorage {
    /// The first element; valid for `count` elements.
    public let pointer: UnsafeMutablePointer<Float>
    /// The number of elements the current owner asked for (at most `capacity`).
    public internal(set) var count: Int
    /// The elements allocated: the pool's size class of the first request.
    let capacity: Int
    /// The pool that allocated this storage, which takes it back and counts its bytes until it
    /// is freed.
    let pool: BufferPool
    /// Whether the pool still counts this storage's bytes (it stops when it evicts it).
    fileprivate var isCounted = true

    /// What happens when the system has no memory for a storage, given the bytes asked for:
    /// by default a fatal error; the `quill` command prints one line and exits instead.
    nonisolated(unsafe) public static var outOfMemory: (_ bytes: Int) -> Never = { bytes in
        fatalError("Out of memory allocating a tensor of \(bytes) bytes.")
    }

    /// Storages of at least this many bytes are mapped from the system on their own, so freeing
    /// one returns its memory at once; `malloc` would keep freed blocks in its heap, where buffers
    /// of other sizes fragment them and the resident memory creeps up as batch shapes vary.
    static let mappedBytes = 256 << 10

    /// Allocates `capacity` uninitialized floats from the system, 64-byte aligned (AVX-512 loads,
    /// BLAS): large ones as their own pages, small ones from `malloc`.
    fileprivate init(capacity: Int, pool: BufferPool) {
        let (bytes, overflow) = Self.allocatedBytes(capacity: capacity)
        guard !overflow else { Self.outOfMemory(.max) }
        var raw: UnsafeMutableRawPointer?
        if bytes >= Self.mappedBytes {
            let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            if mapped != MAP_FAILED { raw = mapped }
        } else if posix_memalign(&raw, 64, bytes) != 0 {
            raw = nil
        }
        guard let raw else { Self.outOfMemory(bytes) }
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(capacity, 1))
        self.capacity = capacity
        self.count = capacity
        self.pool = pool
    }

    /// A storage of `count` uninitialized floats, from the pool when it holds one of that size class.
    static func uninitialized(count: Int) -> TensorStorage { BufferPool.current.take(count) }

    /// The bytes the system allocates for `capacity` floats (at least one), and whether that
    /// overflows: what `init` maps or takes from `malloc`, and what `deinit` gives back the same way.
    private static func allocatedBytes(capacity: Int) -> (bytes: Int, overflow: Bool) {
        let (bytes, overflow) = max(capacity, 1).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        return (bytes, overflow)
    }

    deinit {
        let bytes = Self.allocatedBytes(capacity: capacity).bytes
        if bytes >= Self.mappedBytes { munmap(pointer, bytes) } else { Glibc.free(pointer) }
        if isCounted { pool.freed(bytes: capacity * 4) }
    }
}

/// Recycles tensor storages by size class, so a warm training step allocates no tensor memory
/// and no storage objects, and keeps no more memory than the tensors themselves have needed.
///
/// Training repeats the same shapes every step; after the first step every storage a step
/// needs is waiting in the pool. Variable shapes (sentence batches of every length) would
/// instead fill a pool with classes the next batches do not use, so the pool bounds itself by
/// the working set: all the memory it has allocated, in tensors and cached, stays within half
/// as much again as the most that tensors alone have held at once so far (the live peak),
/// which the process needs anyway. A request the cache cannot serve first frees the classes
/// taken least recently until the new storage fits under that bound. A fixed-shape step reuses
/// everything and frees nothing; a longer batch raises the peak by what it needs; shorter ones
/// recycle memory already counted.
public final class BufferPool: @unchecked Sendable {
    /// The pool may hold half as much again as the live peak (`peak / 2`): a step that uses some
    /// sizes early and others late (its forward pass, then its backward) needs both cached,
    /// which the live peak alone does not count. At no headroom a warm character-RNN step took
    /// 11 buffers from the system and a GPT step 5.5; a quarter served the benchmark models, and
    /// the test suite's tiny GPT needed 40%.
    static let headroomDivisor = 2
    /// The pool tensors use, unless a thread has set its own with ``using(_:_:)``.
    public static let shared = BufferPool(maxCachedBytes: defaultMaxCachedBytes)

    /// The pool tensors made on this thread take their storages from.
    static var current: BufferPool { threadPool.value.pool ?? shared }
    private static let threadPool = ThreadLocal { ThreadPool() }

    /// Runs `body` with tensors made on this thread taking their storages from `pool`: a test
    /// counts one step's allocations there, apart from tests running beside it on the shared pool.
    public static func using<T>(_ pool: BufferPool, _ body: () throws -> T) rethrows -> T {
        let slot = threadPool.value, outer = slot.pool
        slot.pool = pool
        defer { slot.pool = outer }
        return try body()
    }

    /// The cached storages of one size class. A class, so taking and giving mutate it through a
    /// plain dictionary read: mutating an array stored in the dictionary goes through its
    /// `_modify` coroutines, whose frames cost three mallocs per call on this toolchain.
    private final class Bucket {
        var storages: [TensorStorage] = []
        /// The pool's clock at the last take from this class.
        var lastTake = 0
    }

    private var free: [Int: Bucket] = [:]
    private var lock = pthread_mutex_t()
    private var cachedBytes = 0
    /// The bytes of every storage this pool allocated that is not yet freed: in tensors or cached.
    private var allocatedBytes = 0
    /// The most bytes held in tensors (allocated, not cached) at any one time so far.
    private var peakLiveBytes = 0
    /// Counts takes, to order size classes by their last use.
    private var clock = 0
    /// The most memory the pool caches for reuse, beyond the working-set bound: unlimited by
    /// default; the environment variable `QUILL_POOL_MB` sets it (0 turns caching off).
    public var maxCachedBytes: Int
    /// Storages obtained from the system allocator so far (a warm step adds none).
    public private(set) var systemAllocations = 0
    /// Cached storages freed to make room under the working-set bound or the cap.
    public private(set) var evictions = 0

    /// A pool that caches at most `maxCachedBytes` beyond the working-set bound.
    public init(maxCachedBytes: Int = .max) {
        self.maxCachedBytes = maxCachedBytes
        pthread_mutex_init(&lock, nil)
    }

    /// The cap for this process: `QUILL_POOL_MB`, or none.
    static var defaultMaxCachedBytes: Int { cap(setting: getenv("QUILL_POOL_MB").map { String(cString: $0) }) }

    /// `setting` megabytes where that is a count; otherwise no cap (`Int.max`): the working-set
    /// bound alone limits the pool.
    static func cap(setting: String?) -> Int {
        if let setting, let megabytes = Int(setting), megabytes >= 0 { return megabytes << 20 }
        return .max
    }

    /// The bytes cached for reuse now.
    public var cachedByteCount: Int { locked { cachedBytes } }
    /// The bytes of the storages this pool allocated that are not yet freed, cached or in tensors.
    public var allocatedByteCount: Int { locked { allocatedBytes } }
    /// The most bytes tensors have held at once, which bounds ``allocatedByteCount`` (with half
    /// as much again as headroom).
    public var peakLiveByteCount: Int { locked { peakLiveBytes } }

    private func locked<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return body()
    }

    /// The buffer size a request for `count` floats is served from: sizes above 4,096 round up
    /// to one of 8 classes per power of two (at most 12.5% slack), so variable shapes (sentence
    /// batches of every length) reuse buffers instead of caching one per exact size.
    static func sizeClass(_ count: Int) -> Int {
        guard count > 4096 else { return count }
        let step = 1 << (Int.bitWidth - count.leadingZeroBitCount - 4)
        return (count + step - 1) & ~(step - 1)
    }

    func take(_ requested: Int) -> TensorStorage {
        let capacity = Self.sizeClass(requested)
        pthread_mutex_lock(&lock)
        clock += 1
        if let bucket = free[capacity] {
            bucket.lastTake = clock
            if let storage = bucket.storages.popLast() {
                cachedBytes -= capacity * 4
                peakLiveBytes = max(peakLiveBytes, allocatedBytes - cachedBytes)
                pthread_mutex_unlock(&lock)
                storage.count = requested
                return storage
            }
        }
        // A new storage: make room for it under the live peak it may raise.
        let live = allocatedBytes - cachedBytes + capacity * 4
        peakLiveBytes = max(peakLiveBytes, live)
        let bound = peakLiveBytes + peakLiveBytes / Self.headroomDivisor
        let evicted = evict { allocatedBytes + capacity * 4 > bound }
        allocatedBytes += capacity * 4
        systemAllocations += 1
        pthread_mutex_unlock(&lock)
        withExtendedLifetime(evicted) {}  // freed here, outside the lock
        let storage = TensorStorage(capacity: capacity, pool: self)
        storage.count = requested
        return storage
    }

    /// Takes back `storage`, which nothing else references, to cache it; one that does not fit
    /// under ``maxCachedBytes`` beside its own class, after freeing the least recently taken
    /// classes, is freed instead.
    func give(_ storage: TensorStorage) {
        let capacity = storage.capacity
        pthread_mutex_lock(&lock)
        var evicted: [TensorStorage] = []
        if cachedBytes + capacity * 4 > maxCachedBytes {
            if capacity * 4 <= maxCachedBytes {
                evicted = evict(sparing: capacity) { cachedBytes + capacity * 4 > maxCachedBytes }
            }
            guard cachedBytes + capacity * 4 <= maxCachedBytes else {
                pthread_mutex_unlock(&lock)
                return  // released by the caller, which frees its memory
            }
        }
        if let bucket = free[capacity] {
            bucket.storages.append(storage)
        } else {
            let bucket = Bucket()
            bucket.lastTake = clock
            bucket.storages.append(storage)
            free[capacity] = bucket
        }
        cachedBytes += capacity * 4
        pthread_mutex_unlock(&lock)
        withExtendedLifetime(evicted) {}  // freed here, outside the lock
    }

    /// A storage of `bytes` this pool allocated was freed.
    fileprivate func freed(bytes: Int) {
        pthread_mutex_lock(&lock)
        allocatedBytes -= bytes
        pthread_mutex_unlock(&lock)
    }

    /// Removes cached storages of the least recently taken classes (never `sparing`) while
    /// `overBound` holds, uncounts them and returns them for freeing outside the lock. Called
    /// with the lock held.
    private func evict(sparing: Int? = nil, while overBound: () -> Bool) -> [TensorStorage] {
        var evicted: [TensorStorage] = []
        while overBound() {
            var oldest: (capacity: Int, bucket: Bucket)?
            for (capacity, bucket) in free where capacity != sparing && !bucket.storages.isEmpty {
                if bucket.lastTake < oldest?.bucket.lastTake ?? .max { oldest = (capacity, bucket) }
            }
            guard let (capacity, bucket) = oldest else { break }
            while overBound(), let storage = bucket.storages.popLast() {
                cachedBytes -= capacity * 4
                allocatedBytes -= capacity * 4
                storage.isCounted = false
                evicted.append(storage)
            }
            if bucket.storages.isEmpty { free[capacity] = nil }
        }
        evictions += evicted.count
        return evicted
    }

    /// Frees every cached storage.
    public func drain() {
        pthread_mutex_lock(&lock)
        let dropped = free
        free = [:]
        for storage in dropped.values.flatMap(\.storages) { storage.isCounted = false }
        allocatedBytes -= cachedBytes
        cachedBytes = 0
        pthread_mutex_unlock(&lock)
        withExtendedLifetime(dropped) {}
    }
}

/// A thread's choice of pool (nil: the shared one).
private final class ThreadPool {
    var pool: BufferPool?
}
