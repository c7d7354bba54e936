/// An n-dimensional array of integer indices in row-major order: token ids for an embedding
/// lookup, positions for a gather, or class targets for a cross-entropy loss.
///
/// Indices are not differentiable, so they live beside ``Tensor`` rather than in `Float`
/// storage. `Int32` halves the memory of `Int` and holds any vocabulary or sequence position.
public struct IndexTensor: Equatable, Sendable {
    /// The extent of each axis, outermost first.
    public let shape: [Int]
    /// The indices in row-major order [shape].
    public let values: [Int32]

    /// Creates an index tensor of `shape` holding `values` in row-major order.
    public init(_ values: [Int32], shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in index shape \(shape)")
        precondition(values.count == shape.reduce(1, *), "\(values.count) indices do not fill shape \(shape)")
        self.shape = shape
        self.values = values
    }

    /// Creates an index tensor of `shape` from `Int` values, which must fit in `Int32`.
    public init(_ values: [Int], shape: [Int]) {
        self.init(values.map { value in
            precondition(value >= Int(Int32.min) && value <= Int(Int32.max), "index \(value) does not fit in Int32")
            return Int32(truncatingIfNeeded: value)
        }, shape: shape)
    }

    /// Creates a one-dimensional index tensor.
    public init(_ values: [Int]) {
        self.init(values, shape: [values.count])
    }

    /// The number of indices.
    public var count: Int { values.count }
    /// The number of axes.
    public var rank: Int { shape.count }

    /// The index at a multi-dimensional position.
    public subscript(position: Int...) -> Int {
        precondition(position.count == rank, "position \(position) does not match index shape \(shape)")
        var flat = 0
        for axis in 0..<rank {
            precondition(position[axis] >= 0 && position[axis] < shape[axis],
                         "position \(position) out of range for index shape \(shape)")
            flat = flat * shape[axis] + position[axis]
        }
        return Int(values[flat])
    }
}
