/// The L2 norm of all the gradients of `parameters` taken together, as one long vector.
///
/// Parameters without a gradient count as zero. Squares are summed in `Double`, in a fixed
/// chunking that depends only on `Threads.count`, so the result is reproducible.
public func gradientNorm(_ parameters: [Tensor]) -> Float {
    var sum = 0.0
    for parameter in parameters {
        guard let gradient = parameter.grad else { continue }
        sum += sumOfSquares(UnsafePointer(gradient.data), count: gradient.count)
    }
    return Float(sum.squareRoot())
}

/// Scales the gradients of `parameters` so that their global L2 norm is at most `maxNorm`,
/// and returns the norm before clipping, as `torch.nn.utils.clip_grad_norm_`.
///
/// Gradients are multiplied by `maxNorm / (norm + 1e-6)` when that is below 1, so a clipped
/// norm lands just under `maxNorm`. A non-finite norm leaves the gradients untouched (PyTorch
/// would turn them all to NaN); check the returned value and skip the step instead.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Float) -> Float {
    precondition(maxNorm >= 0, "clipGradientNorm needs maxNorm >= 0, got \(maxNorm)")
    let norm = gradientNorm(parameters)
    guard norm.isFinite else { return norm }
    let coefficient = maxNorm / (norm + 1e-6)
    guard coefficient < 1 else { return norm }
    for parameter in parameters {
        guard let gradient = parameter.grad else { continue }
        let g = gradient.data
        parallelFor(gradient.count, grain: 1 << 15) { range in
            scale(g + range.lowerBound, count: range.count, by: coefficient)
        }
    }
    return norm
}

extension Optimizer {
    /// Clips the gradients of this optimizer's parameters to global norm `maxNorm`; returns the
    /// norm before clipping (see ``clipGradientNorm(_:maxNorm:)``).
    @discardableResult
    public func clipGradientNorm(maxNorm: Float) -> Float {
        QuillTensor.clipGradientNorm(parameters, maxNorm: maxNorm)
    }
}

/// The sum of squares of `count` floats from `x`, split across threads in fixed chunks.
private func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
    let grain = 1 << 15
    let chunks = min(Threads.count, max(1, count / grain))
    let chunkSize = (count + chunks - 1) / max(chunks, 1)
    return withUnsafeTemporaryAllocation(of: Double.self, capacity: chunks) { partials in
        parallelFor(chunks, grain: 1) { range in
            for chunk in range {
                let start = chunk * chunkSize
                partials[chunk] = sumOfSquaresSerial(x + start, count: max(0, min(count, start + chunkSize) - start))
            }
        }
        return partials.reduce(0, +)
    }
}

/// The sum of squares of `count` floats: float lanes over blocks of 1024, blocks summed in `Double`.
@inline(never)
private func sumOfSquaresSerial(_ x: UnsafePointer<Float>, count: Int) -> Double {
    var total = 0.0
    var blockStart = 0
    while blockStart < count {
        let blockEnd = min(count, blockStart + 1024)
        var lanes = SIMD8<Float>(repeating: 0)
        var i = blockStart
        while i + 8 <= blockEnd {
            let v = loadUpTo8(x + i, 8)
            lanes += v * v
            i += 8
        }
        let tail = loadUpTo8(x + i, blockEnd - i)
        lanes += tail * tail
        total += Double(lanes.sum())
        blockStart = blockEnd
    }
    return total
}

/// Multiplies `count` floats at `x` by `factor` in place.
@inline(never)
private func scale(_ x: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
    var i = 0
    while i + 8 <= count {
        storeUpTo8(loadUpTo8(x + i, 8) * factor, x + i, 8)
        i += 8
    }
    storeUpTo8(loadUpTo8(x + i, count - i) * factor, x + i, count - i)
}
