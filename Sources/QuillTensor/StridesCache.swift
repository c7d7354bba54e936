/// The row-major strides of the shapes this thread used most recently, so a new tensor of a
/// recent shape shares one strides array instead of allocating its own.
///
/// A training step makes the same few shapes over and over; without this, every new tensor
/// paid one malloc for its strides array, about a sixth of a warm MLP step's allocations.
final class StridesCache {
    /// How many shapes each thread remembers.
    static let capacity = 16

    private var shapes: [[Int]] = []
    private var strides: [[Int]] = []
    private var next = 0

    private static let local = ThreadLocal { StridesCache() }

    /// This thread's cache.
    @inline(__always)
    static var current: StridesCache { local.value }

    /// The row-major strides of `shape`, shared with earlier requests for the same shape.
    func strides(for shape: [Int]) -> [Int] {
        if shape.isEmpty { return [] }
        for i in shapes.indices where shapes[i] == shape { return strides[i] }
        let result = Tensor.contiguousStrides(for: shape)
        if shapes.count < Self.capacity {
            shapes.append(shape)
            strides.append(result)
        } else {
            shapes[next] = shape
            strides[next] = result
            next = (next + 1) % Self.capacity
        }
        return result
    }
}

extension Tensor {
    /// Row-major strides for a dense tensor of `shape`, from this thread's ``StridesCache``.
    @inline(__always)
    static func rowMajorStrides(for shape: [Int]) -> [Int] {
        StridesCache.current.strides(for: shape)
    }
}
