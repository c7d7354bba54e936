/// The shape two shapes broadcast to (NumPy rules: align trailing axes; extents must match or be 1).
public func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
    // The common case, one shape already the result (a bias row), returns it without allocating.
    if broadcasts(b, into: a) { return a }
    if broadcasts(a, into: b) { return b }
    let rank = max(a.count, b.count)
    var result = [Int](repeating: 1, count: rank)
    for i in 0..<rank {
        let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
        let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
        precondition(x == y || x == 1 || y == 1, "shapes \(a) and \(b) do not broadcast")
        result[i] = x == 1 ? y : x
    }
    return result
}

/// Whether `shape` broadcasts to exactly `target`.
private func broadcasts(_ shape: [Int], into target: [Int]) -> Bool {
    let lead = target.count - shape.count
    if lead < 0 { return false }
    for axis in shape.indices where shape[axis] != 1 && shape[axis] != target[lead + axis] { return false }
    return true
}

extension Tensor {
    /// Strides that view this tensor as `shape`, with 0 on broadcast axes.
    func broadcastStrides(to target: [Int]) -> [Int] {
        withBroadcastStrides(to: target) { Array($0) }
    }

    /// Calls `body` with the strides that view this tensor as `target`, 0 on broadcast axes:
    /// this tensor's own strides when no axis broadcasts, else strides kept on the stack (an
    /// array here was one malloc per broadcast op).
    func withBroadcastStrides<R>(to target: [Int], _ body: (UnsafeBufferPointer<Int>) -> R) -> R {
        if target == shape && !shape.contains(1) { return strides.withUnsafeBufferPointer(body) }
        let lead = target.count - rank
        precondition(lead >= 0, "cannot broadcast shape \(shape) to \(target)")
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: target.count) { result in
            result.initialize(repeating: 0)
            for axis in 0..<rank where shape[axis] != 1 {
                precondition(shape[axis] == target[lead + axis], "cannot broadcast shape \(shape) to \(target)")
                result[lead + axis] = strides[axis]
            }
            return body(UnsafeBufferPointer(result))
        }
    }

    /// Sums a gradient of a broadcast result back to this tensor's shape.
    func reduceBroadcastGradient(_ gradient: Tensor) -> Tensor {
        if gradient.shape == shape { return gradient }
        let target = gradient.shape
        let lead = target.count - rank
        let result = Tensor.zeros(shape)
        let out = result.data
        let g = gradient.contiguousNoGrad()
        let gp = g.data
        let resultStrides = Tensor.rowMajorStrides(for: shape)
        // Strides of `result` viewed in the gradient's shape (0 on summed axes), on the stack.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: target.count) { outStrides in
            outStrides.initialize(repeating: 0)
            for axis in 0..<rank where shape[axis] != 1 { outStrides[lead + axis] = resultStrides[axis] }
            Tensor.rowMajorStrides(for: target).withUnsafeBufferPointer { gradientStrides in
                forEachRow(shape: target, stridesA: UnsafeBufferPointer(outStrides), stridesB: gradientStrides) {
                    outBase, gBase, n, outStep, gStep in
                    if outStep == 0 {
                        var s: Float = 0
                        for i in 0..<n { s += gp[gBase + i * gStep] }
                        out[outBase] += s
                    } else {
                        for i in 0..<n { out[outBase + i * outStep] += gp[gBase + i * gStep] }
                    }
                }
            }
        }
        return withExtendedLifetime(g) { result }
    }
}

/// Walks the rows (innermost axis) of `shape` for two operands with their own strides, calling
/// `body(offsetA, offsetB, rowLength, innerStrideA, innerStrideB)` once per row.
@inline(__always)
func forEachRow(shape: [Int], stridesA: [Int], stridesB: [Int],
                _ body: (Int, Int, Int, Int, Int) -> Void) {
    stridesA.withUnsafeBufferPointer { a in
        stridesB.withUnsafeBufferPointer { b in forEachRow(shape: shape, stridesA: a, stridesB: b, body) }
    }
}

/// ``forEachRow(shape:stridesA:stridesB:_:)`` with strides in buffers (on the stack, say).
@inline(__always)
func forEachRow(shape: [Int], stridesA: UnsafeBufferPointer<Int>, stridesB: UnsafeBufferPointer<Int>,
                _ body: (Int, Int, Int, Int, Int) -> Void) {
    let rank = shape.count
    if rank == 0 { body(0, 0, 1, 0, 0); return }
    let inner = shape[rank - 1]
    let total = shape.reduce(1, *)
    if total == 0 { return }
    let rows = total / inner
    // The multi-index on the stack: an array here was one malloc per broadcast op.
    withUnsafeTemporaryAllocation(of: Int.self, capacity: rank) { index in
        index.initialize(repeating: 0)
        var a = 0, b = 0
        for _ in 0..<rows {
            body(a, b, inner, stridesA[rank - 1], stridesB[rank - 1])
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                a += stridesA[axis]; b += stridesB[axis]
                if index[axis] < shape[axis] { break }
                a -= stridesA[axis] * shape[axis]; b -= stridesB[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
