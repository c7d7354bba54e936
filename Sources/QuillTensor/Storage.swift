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

    /// What happens when the system has no memory for a storage, given the bytes asked for:
    /// by default a fatal error; the `quill` command prints one line and exits instead.
    nonisolated(unsafe) public static var outOfMemory: (_ bytes: Int) -> Never = { bytes in
        fatalError("Out of memory allocating a tensor of \(bytes) bytes.")
    }

    /// Allocates `capacity` uninitialized floats from the system, 64-byte aligned (AVX-512 loads, BLAS).
    fileprivate init(capacity: Int) {
        var raw: UnsafeMutableRawPointer?
        let (bytes, overflow) = max(capacity, 1).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard !overflow, posix_memalign(&raw, 64, bytes) == 0, let raw else {
            Self.outOfMemory(overflow ? .max : bytes)
        }
        self.pointer = raw.bindMemory(to: Float.self, capacity: max(capacity, 1))
        self.capacity = capacity
        self.count = capacity
    }

    /// A storage of `count` uninitialized floats, from the pool when it holds one of that size class.
    static func uninitialized(count: Int) -> TensorStorage { BufferPool.shared.take(count) }

    deinit { Glibc.free(pointer) }
}

/// Recycles tensor storages by size class, so a warm training step allocates no tensor memory
/// and no storage objects.
///
/// Training repeats the same shapes every step; after the first step every storage a step
/// needs is waiting in the pool. The pool keeps at most `maxCachedBytes`: when a storage comes
/// back to a full pool, the size classes taken least recently are freed first, so the classes
/// the current shapes use stay cached (sentence batches of every length would otherwise fill
/// the pool with classes that the next batches do not need).
public final class BufferPool: @unchecked Sendable {
    /// The pool every tensor uses.
    public static let shared = BufferPool()

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
    /// Counts takes, to order size classes by their last use.
    private var clock = 0
    /// The most memory the pool keeps for reuse: by default a quarter of the machine's
    /// memory, at most 4 GiB; the environment variable `QUILL_POOL_MB` sets it.
    public var maxCachedBytes: Int
    /// Storages obtained from the system allocator so far (a warm step adds none).
    public private(set) var systemAllocations = 0
    /// Storages the calling thread has obtained from the system allocator, through any pool:
    /// what one step allocates, which the pool-wide count cannot tell while tests run side by side.
    public static var systemAllocationsOnThisThread: Int { threadAllocations.value.count }
    private static let threadAllocations = ThreadLocal { AllocationCount() }

    init(maxCachedBytes: Int = BufferPool.defaultMaxCachedBytes) {
        self.maxCachedBytes = maxCachedBytes
        pthread_mutex_init(&lock, nil)
    }

    /// The cap for this process: `QUILL_POOL_MB` and the machine's physical memory.
    static var defaultMaxCachedBytes: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        return cap(setting: getenv("QUILL_POOL_MB").map { String(cString: $0) },
                   physicalMemory: pages > 0 && pageSize > 0 ? pages * pageSize : nil)
    }

    /// `setting` megabytes where that is a count; otherwise a quarter of `physicalMemory` bytes,
    /// at most 4 GiB (4 GiB where the size is unknown).
    static func cap(setting: String?, physicalMemory: Int?) -> Int {
        if let setting, let megabytes = Int(setting), megabytes >= 0 { return megabytes << 20 }
        let limit = 4 << 30
        guard let physicalMemory else { return limit }
        return min(limit, physicalMemory / 4)
    }

    /// The bytes cached for reuse now.
    public var cachedByteCount: Int {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return cachedBytes
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
                pthread_mutex_unlock(&lock)
                storage.count = requested
                return storage
            }
        }
        systemAllocations += 1
        pthread_mutex_unlock(&lock)
        Self.threadAllocations.value.count += 1
        let storage = TensorStorage(capacity: capacity)
        storage.count = requested
        return storage
    }

    /// Takes back `storage`, which nothing else references. A full pool first frees the
    /// storages of the classes taken least recently; a storage larger than the whole cap, or
    /// one that still does not fit beside its own class, goes instead.
    func give(_ storage: TensorStorage) {
        let capacity = storage.capacity
        pthread_mutex_lock(&lock)
        var evicted: [TensorStorage] = []
        if cachedBytes + capacity * 4 > maxCachedBytes {
            if capacity * 4 <= maxCachedBytes { evicted = evict(toFit: capacity * 4, sparing: capacity) }
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

    /// Removes the storages of the least recently taken classes (never `sparing`, the class
    /// being given back) until `bytes` more fit under the cap, and returns them for freeing.
    /// Called with the lock held, only when the pool is full.
    private func evict(toFit bytes: Int, sparing: Int) -> [TensorStorage] {
        var evicted: [TensorStorage] = []
        while cachedBytes + bytes > maxCachedBytes {
            var oldest: (capacity: Int, bucket: Bucket)?
            for (capacity, bucket) in free where capacity != sparing && !bucket.storages.isEmpty {
                if bucket.lastTake < oldest?.bucket.lastTake ?? .max { oldest = (capacity, bucket) }
            }
            guard let (capacity, bucket) = oldest else { break }
            while cachedBytes + bytes > maxCachedBytes, let storage = bucket.storages.popLast() {
                cachedBytes -= capacity * 4
                evicted.append(storage)
            }
            if bucket.storages.isEmpty { free[capacity] = nil }
        }
        return evicted
    }

    /// Frees every cached storage.
    public func drain() {
        pthread_mutex_lock(&lock)
        let dropped = free
        free = [:]
        cachedBytes = 0
        pthread_mutex_unlock(&lock)
        withExtendedLifetime(dropped) {}
    }
}

/// One thread's count of storages taken from the system allocator.
private final class AllocationCount {
    var count = 0
}
