/// An n-dimensional array of `Float` in row-major order, which records the ops applied to it
/// on the autodiff ``Tape`` when it requires gradients.
///
/// A tensor is a view: `shape`, `strides` and `offset` into a shared ``TensorStorage``.
/// Views made by `reshaped`, `transposed`, `permuted` and slicing share storage; kernels that
/// need dense rows call ``contiguous()``, which copies only when the view is not already dense.
public final class Tensor {
    /// The extent of each axis, outermost first.
    public let shape: [Int]
    /// The step in elements between neighbours along each axis.
    public let strides: [Int]
    /// The index in `storage` of the first element.
    public let offset: Int
    /// The memory this tensor views (a `var` only so that `deinit` can ask whether it is the last owner).
    public private(set) var storage: TensorStorage
    /// Whether ops on this tensor are recorded for ``backward()``.
    public var requiresGrad: Bool
    /// The gradient of the last ``backward()`` with respect to this tensor, [same shape], contiguous.
    public var grad: Tensor?

    /// Creates a view of `storage`.
    public init(storage: TensorStorage, shape: [Int], strides: [Int]? = nil, offset: Int = 0,
                requiresGrad: Bool = false) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        self.storage = storage
        self.shape = shape
        self.strides = strides ?? Tensor.rowMajorStrides(for: shape)
        self.offset = offset
        self.requiresGrad = requiresGrad
    }

    /// Creates a contiguous tensor whose elements are not initialized. A shape whose bytes do
    /// not fit in an `Int` goes to ``TensorStorage/outOfMemory`` like any other allocation the
    /// system cannot make.
    public convenience init(uninitializedShape shape: [Int]) {
        var count = 1, overflow = false
        if !shape.contains(0) {
            for extent in shape where !overflow { (count, overflow) = count.multipliedReportingOverflow(by: extent) }
        }
        if overflow || count > Int.max / MemoryLayout<Float>.stride / 2 { TensorStorage.outOfMemory(.max) }
        self.init(storage: TensorStorage.uninitialized(count: count), shape: shape)
    }

    /// The last tensor viewing a storage gives it back to the pool, object and memory together.
    deinit {
        if isKnownUniquelyReferenced(&storage) { storage.pool.give(storage) }
    }

    /// The number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// The number of axes.
    public var rank: Int { shape.count }

    /// Whether the elements lie densely in row-major order from `offset`.
    public var isContiguous: Bool {
        var expected = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    /// The first element of a contiguous tensor; read and write `count` elements from here.
    public var data: UnsafeMutablePointer<Float> {
        precondition(isContiguous, "data needs a contiguous tensor; call contiguous() first (shape \(shape), strides \(strides))")
        return storage.pointer + offset
    }

    /// Row-major strides for a dense tensor of `shape`.
    public static func contiguousStrides(for shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= shape[axis]
        }
        return strides
    }

    /// The value of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "scalar needs a one-element tensor, got shape \(shape)")
        return storage.pointer[offset]
    }

    /// The elements in row-major order.
    public func toArray() -> [Float] {
        let dense = contiguousNoGrad()
        return Array(UnsafeBufferPointer(start: dense.data, count: count))
    }

    /// The element at a multi-dimensional index.
    public subscript(index: Int...) -> Float {
        precondition(index.count == rank, "index \(index) does not match shape \(shape)")
        var position = offset
        for axis in 0..<rank {
            precondition(index[axis] >= 0 && index[axis] < shape[axis], "index \(index) out of range for shape \(shape)")
            position += index[axis] * strides[axis]
        }
        return storage.pointer[position]
    }

    /// Copies this view into a new dense tensor without recording on the tape.
    func contiguousNoGrad() -> Tensor {
        if isContiguous { return self }
        let result = Tensor(uninitializedShape: shape)
        copyStrided(from: self, to: result.data)
        return result
    }
}

extension Tensor: CustomStringConvertible {
    /// A short summary: shape and the first elements.
    public var description: String {
        let values = toArray()
        let shown = values.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(shown)\(values.count > 8 ? ", …" : "")])"
    }
}

/// Copies the elements of a strided view into dense row-major memory.
func copyStrided(from source: Tensor, to destination: UnsafeMutablePointer<Float>) {
    let shape = source.shape, strides = source.strides
    let rank = shape.count
    let total = source.count
    if total == 0 { return }
    let base = source.storage.pointer + source.offset
    if rank == 0 { destination[0] = base[0]; return }
    if isTransposedMatrix(shape: shape, strides: strides) {
        let columns = shape[rank - 1], columnStride = strides[rank - 1]
        forEachTransposedBlock(shape: shape, strides: strides) { view, dense, rows, blockColumns in
            let src = base + view, dst = destination + dense
            if rows == 8 && blockColumns == 8 {
                transposeBlock({ load(src + $0 * columnStride) }) { r, v in store(v, dst + r * columns) }
                return
            }
            for r in 0..<rows { for c in 0..<blockColumns { dst[r * columns + c] = src[r + c * columnStride] } }
        }
        return
    }
    let inner = shape[rank - 1], innerStride = strides[rank - 1]
    let outer = total / inner
    var index = [Int](repeating: 0, count: rank)
    var position = 0
    for row in 0..<outer {
        let out = destination + row * inner
        if innerStride == 1 {
            out.update(from: base + position, count: inner)
        } else {
            for i in 0..<inner { out[i] = base[position + i * innerStride] }
        }
        var axis = rank - 2
        while axis >= 0 {
            index[axis] += 1
            position += strides[axis]
            if index[axis] < shape[axis] { break }
            position -= strides[axis] * shape[axis]
            index[axis] = 0
            axis -= 1
        }
    }
}
