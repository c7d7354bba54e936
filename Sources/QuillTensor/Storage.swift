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

    /// Allocates `capacity` uninitialized floats from the system, 64-byte aligned (AVX-512 loads, BLAS).
    fileprivate init(capacity: Int) {
        var raw: UnsafeMutableRawPointer?
        let bytes = max(capacity, 1) * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("Out of memory allocating a tensor of \(capacity) floats (\(bytes) bytes).")
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
/// needs is waiting in the pool. The pool keeps at most `maxCachedBytes` and frees the rest.
public final class BufferPool: @unchecked Sendable {
    /// The pool every tensor uses.
    public static let shared = BufferPool()

    /// The cached storages of one size class. A class, so taking and giving mutate it through a
    /// plain dictionary read: mutating an array stored in the dictionary goes through its
    /// `_modify` coroutines, whose frames cost three mallocs per call on this toolchain.
    private final class Bucket {
        var storages: [TensorStorage] = []
    }

    private var free: [Int: Bucket] = [:]
    private var lock = pthread_mutex_t()
    private var cachedBytes = 0
    /// The most memory the pool keeps for reuse.
    public var maxCachedBytes = 4 << 30
    /// Storages obtained from the system allocator so far (a warm step adds none).
    public private(set) var systemAllocations = 0

    init() { pthread_mutex_init(&lock, nil) }

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
        if let bucket = free[capacity], let storage = bucket.storages.popLast() {
            cachedBytes -= capacity * 4
            pthread_mutex_unlock(&lock)
            storage.count = requested
            return storage
        }
        systemAllocations += 1
        pthread_mutex_unlock(&lock)
        let storage = TensorStorage(capacity: capacity)
        storage.count = requested
        return storage
    }

    /// Takes back `storage`, which nothing else references, or lets it go when the pool is full.
    func give(_ storage: TensorStorage) {
        let capacity = storage.capacity
        pthread_mutex_lock(&lock)
        guard cachedBytes + capacity * 4 <= maxCachedBytes else {
            pthread_mutex_unlock(&lock)
            return  // released by the caller, which frees its memory
        }
        if let bucket = free[capacity] {
            bucket.storages.append(storage)
        } else {
            let bucket = Bucket()
            bucket.storages.append(storage)
            free[capacity] = bucket
        }
        cachedBytes += capacity * 4
        pthread_mutex_unlock(&lock)
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
