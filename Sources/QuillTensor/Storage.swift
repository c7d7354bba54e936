#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A reference-counted block of `Float`s that returns its memory to ``BufferPool`` when released.
public final class TensorStorage {
    /// The first element; valid for `count` elements.
    public let pointer: UnsafeMutablePointer<Float>
    /// The number of elements.
    public let count: Int

    /// Takes a buffer of `count` uninitialized floats from the pool.
    init(uninitializedCount count: Int) {
        self.count = count
        self.pointer = BufferPool.shared.take(count)
    }

    deinit { BufferPool.shared.give(pointer, count: count) }
}

/// Recycles tensor buffers by exact size, so a warm training step allocates no tensor memory.
///
/// Training repeats the same shapes every step; after the first step every buffer a step needs
/// is waiting in the pool. The pool keeps at most `maxCachedBytes` and frees the rest.
public final class BufferPool: @unchecked Sendable {
    /// The pool every tensor uses.
    public static let shared = BufferPool()

    /// The cached buffers of one size class. A class, so taking and giving mutate it through a
    /// plain dictionary read: mutating an array stored in the dictionary goes through its
    /// `_modify` coroutines, whose frames cost three mallocs per call on this toolchain.
    private final class Bucket {
        var buffers: [UnsafeMutablePointer<Float>] = []
    }

    private var free: [Int: Bucket] = [:]
    private var lock = pthread_mutex_t()
    private var cachedBytes = 0
    /// The most memory the pool keeps for reuse.
    public var maxCachedBytes = 4 << 30
    /// Buffers obtained from the system allocator so far (a warm step adds none).
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

    func take(_ requested: Int) -> UnsafeMutablePointer<Float> {
        let count = Self.sizeClass(requested)
        pthread_mutex_lock(&lock)
        if let bucket = free[count], let p = bucket.buffers.popLast() {
            cachedBytes -= count * 4
            pthread_mutex_unlock(&lock)
            return p
        }
        systemAllocations += 1
        pthread_mutex_unlock(&lock)
        // 64-byte alignment suits AVX-512 loads and BLAS.
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            fatalError("Out of memory allocating a tensor of \(count) floats (\(bytes) bytes).")
        }
        return raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    func give(_ pointer: UnsafeMutablePointer<Float>, count requested: Int) {
        let count = Self.sizeClass(requested)
        pthread_mutex_lock(&lock)
        if cachedBytes + count * 4 <= maxCachedBytes {
            if let bucket = free[count] {
                bucket.buffers.append(pointer)
            } else {
                let bucket = Bucket()
                bucket.buffers.append(pointer)
                free[count] = bucket
            }
            cachedBytes += count * 4
            pthread_mutex_unlock(&lock)
        } else {
            pthread_mutex_unlock(&lock)
            Glibc.free(pointer)
        }
    }

    /// Frees every cached buffer.
    public func drain() {
        pthread_mutex_lock(&lock)
        for (_, bucket) in free { for p in bucket.buffers { Glibc.free(p) } }
        free = [:]
        cachedBytes = 0
        pthread_mutex_unlock(&lock)
    }
}
