#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reductions along one axis (sum, mean, max, log-sum-exp) and over all elements (sum, mean).
///
/// An axis reduction views its input as [outer, n, inner], reducing the middle axis into a dense
/// [outer, inner] output. The kernels live in ReductionKernels.swift.
extension Tensor {
    /// The sum along `axis` (negative counts from the end); `keepingDimensions` keeps it with extent 1.
    public func sum(axis: Int, keepingDimensions: Bool = false) -> Tensor {
        scaledSum(axis: axis, keepingDimensions: keepingDimensions, scale: 1)
    }

    /// The mean along `axis` (negative counts from the end); `keepingDimensions` keeps it with extent 1.
    public func mean(axis: Int, keepingDimensions: Bool = false) -> Tensor {
        let extent = shape[normalizedAxis(axis, rank: rank)]
        return scaledSum(axis: axis, keepingDimensions: keepingDimensions, scale: 1 / Float(extent))
    }

    /// The largest element along `axis` (negative counts from the end); `keepingDimensions` keeps
    /// it with extent 1.
    ///
    /// The gradient goes to the first largest element only, as PyTorch's `max(dim)`.
    public func max(axis: Int, keepingDimensions: Bool = false) -> Tensor {
        let r = AxisReduction(shape: shape, axis: axis, keepingDimensions: keepingDimensions)
        precondition(r.n > 0, "max(axis: \(axis)) over an empty axis of shape \(shape)")
        let x = contiguousNoGrad()
        let out = Tensor(uninitializedShape: r.outputShape)
        // At least one slot, so the buffer has an address even when the result is empty.
        var indices = [Int32](repeating: 0, count: Swift.max(r.outer * r.inner, 1))
        indices.withUnsafeMutableBufferPointer { maxForward(x.data, out.data, $0.baseAddress!, r) }
        withExtendedLifetime(x) {}
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                let dense = g.contiguousNoGrad()
                indices.withUnsafeBufferPointer { maxBackward(dense.data, $0.baseAddress!, self.gradientPointer(), r) }
                withExtendedLifetime(dense) {}
            }
        }
        return out
    }

    /// The index of the first largest element along `axis`, for every position of the other axes
    /// in row-major order.
    public func argmax(axis: Int) -> [Int] {
        let r = AxisReduction(shape: shape, axis: axis, keepingDimensions: false)
        precondition(r.n > 0, "argmax(axis: \(axis)) over an empty axis of shape \(shape)")
        let x = contiguousNoGrad()
        let values = Tensor(uninitializedShape: r.outputShape)
        var indices = [Int32](repeating: 0, count: Swift.max(r.outer * r.inner, 1))
        indices.withUnsafeMutableBufferPointer { maxForward(x.data, values.data, $0.baseAddress!, r) }
        withExtendedLifetime(x) {}
        return indices.prefix(r.outer * r.inner).map(Int.init)
    }

    /// log Σ exp(x) along `axis` (negative counts from the end); `keepingDimensions` keeps it
    /// with extent 1.
    ///
    /// Subtracts the maximum before exponentiating, so large inputs do not overflow; a row of
    /// -∞ gives -∞. The gradient is the softmax along `axis`.
    public func logSumExp(axis: Int, keepingDimensions: Bool = false) -> Tensor {
        let r = AxisReduction(shape: shape, axis: axis, keepingDimensions: keepingDimensions)
        let x = contiguousNoGrad()
        let out = Tensor(uninitializedShape: r.outputShape)
        logSumExpForward(x.data, out.data, r)
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                let dense = g.contiguousNoGrad()
                logSumExpBackward(dense.data, x.data, out.data, self.gradientPointer(), r)
                withExtendedLifetime(dense) {}
            }
        }
        withExtendedLifetime(x) {}
        return out
    }

    /// The sum of all elements, as a rank-0 tensor.
    public func sum() -> Tensor { scaledTotal(scale: 1) }

    /// The mean of all elements, as a rank-0 tensor.
    public func mean() -> Tensor { scaledTotal(scale: 1 / Float(count)) }

    /// `scale` times the sum along `axis`.
    private func scaledSum(axis: Int, keepingDimensions: Bool, scale: Float) -> Tensor {
        let r = AxisReduction(shape: shape, axis: axis, keepingDimensions: keepingDimensions)
        let x = contiguousNoGrad()
        let out = Tensor(uninitializedShape: r.outputShape)
        sumForward(x.data, out.data, r, scale: scale)
        withExtendedLifetime(x) {}
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                let dense = g.contiguousNoGrad()
                sumBackward(dense.data, self.gradientPointer(), r, scale: scale)
                withExtendedLifetime(dense) {}
            }
        }
        return out
    }

    /// `scale` times the sum of all elements, accumulated in `Double` across blocks.
    private func scaledTotal(scale: Float) -> Tensor {
        let x = contiguousNoGrad()
        let total = totalSum(x.data, count)
        withExtendedLifetime(x) {}
        let out = Tensor(scalar: Float(total * Double(scale)))
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                let dx = self.gradientPointer()
                let v = Vector(repeating: g.scalar * scale)
                parallelFor(self.count, grain: 1 << 16) { range in
                    var i = range.lowerBound
                    while i + 8 <= range.upperBound { store(load(dx + i) + v, dx + i); i += 8 }
                    while i < range.upperBound { dx[i] += v[0]; i += 1 }
                }
            }
        }
        return out
    }
}

/// A tensor of some shape seen as [outer, n, inner] around the reduced axis.
struct AxisReduction {
    /// The product of the extents before the axis.
    let outer: Int
    /// The extent of the reduced axis.
    let n: Int
    /// The product of the extents after the axis.
    let inner: Int
    /// The result's shape: the input's without the axis, or with extent 1 there.
    let outputShape: [Int]

    init(shape: [Int], axis: Int, keepingDimensions: Bool) {
        let a = normalizedAxis(axis, rank: shape.count)
        outer = shape[..<a].reduce(1, *)
        n = shape[a]
        inner = shape[(a + 1)...].reduce(1, *)
        var result = shape
        if keepingDimensions { result[a] = 1 } else { result.remove(at: a) }
        outputShape = result
    }
}
