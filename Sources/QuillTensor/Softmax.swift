#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fused softmax and log-softmax along the last axis, each one tape op with a hand-written backward.
extension Tensor {
    /// e^x / Σ e^x along the last axis, [..., n] → [..., n].
    ///
    /// Each row is shifted by its maximum before exponentiating, so large logits cannot overflow.
    /// A row that is entirely -∞ (fully masked) gives zeros rather than NaN.
    public func softmax() -> Tensor {
        let (input, rows, n) = lastAxisRows()
        let out = input.uninitializedLike()
        softmaxForward(out.data, input.data, rows: rows, columns: n)
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                softmaxBackward(self.gradientPointer(), g.data, out.data, rows: rows, columns: n)
            }
        }
        return out
    }

    /// x − log Σ e^x along the last axis, [..., n] → [..., n]: log-probabilities without
    /// the underflow of `softmax().log()`.
    public func logSoftmax() -> Tensor {
        let (input, rows, n) = lastAxisRows()
        let out = input.uninitializedLike()
        logSoftmaxForward(out.data, input.data, rows: rows, columns: n)
        if Tape.needsRecord(self) {
            Tape.record(out) { g in
                logSoftmaxBackward(self.gradientPointer(), g.data, out.data, rows: rows, columns: n)
            }
        }
        return out
    }

    /// This tensor as dense rows over its last axis: (dense tensor, row count, row length).
    func lastAxisRows() -> (Tensor, Int, Int) {
        precondition(rank >= 1, "a last-axis op needs at least one axis, got a scalar")
        let n = shape[rank - 1]
        return (contiguousNoGrad(), n == 0 ? 0 : count / n, n)
    }
}

// MARK: - Kernels

/// Writes the softmax of each row of `input` [rows, n] into `output` [rows, n].
func softmaxForward(_ output: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, rows: Int, columns n: Int) {
    parallelFor(rows, grain: rowGrain(n)) { range in
        for r in range { softmaxRow(output + r * n, input + r * n, n) }
    }
}

/// Accumulates the softmax gradient into `inputGradient` [rows, n] from `gradient` and the
/// saved `output` [rows, n]: dx += y ⊙ (g − Σ g·y).
func softmaxBackward(_ inputGradient: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>,
                     _ output: UnsafePointer<Float>, rows: Int, columns n: Int) {
    parallelFor(rows, grain: rowGrain(n)) { range in
        for r in range { softmaxBackwardRow(inputGradient + r * n, gradient + r * n, output + r * n, n) }
    }
}

/// Writes the log-softmax of each row of `input` [rows, n] into `output` [rows, n].
func logSoftmaxForward(_ output: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>, rows: Int, columns n: Int) {
    parallelFor(rows, grain: rowGrain(n)) { range in
        for r in range {
            let x = input + r * n, y = output + r * n
            let logSumExp = logSumExpRow(x, n)
            // A fully masked row would give -∞ − (-∞) = NaN; its log-probabilities are all -∞.
            if logSumExp == -.infinity { y.initialize(repeating: -.infinity, count: n); continue }
            let shift = Vector(repeating: logSumExp)
            var i = 0
            while i + 8 <= n { store(load(x + i) - shift, y + i); i += 8 }
            while i < n { y[i] = x[i] - shift[0]; i += 1 }
        }
    }
}

/// Accumulates the log-softmax gradient into `inputGradient` [rows, n] from `gradient` and the
/// saved `output` [rows, n] of log-probabilities: dx += g − e^y · Σ g.
func logSoftmaxBackward(_ inputGradient: UnsafeMutablePointer<Float>, _ gradient: UnsafePointer<Float>,
                        _ output: UnsafePointer<Float>, rows: Int, columns n: Int) {
    parallelFor(rows, grain: rowGrain(n)) { range in
        for r in range {
            let dx = inputGradient + r * n, g = gradient + r * n, y = output + r * n
            let total = Vector(repeating: rowSum(g, n))
            var i = 0
            while i + 8 <= n {
                store(load(dx + i) + load(g + i) - expUnderflowingToZero(load(y + i)) * total, dx + i)
                i += 8
            }
            if i < n {
                let e = expUnderflowingToZero(loadTail(y + i, n - i, padding: -.infinity))
                for j in 0..<(n - i) { dx[i + j] += g[i + j] - e[j] * total[0] }
            }
        }
    }
}

// MARK: - Row helpers shared by the softmax, cross-entropy and causal-mask kernels

/// Rows per thread chunk so that each chunk touches at least ~16k elements.
@inline(__always) func rowGrain(_ n: Int) -> Int { max(1, 16_384 / max(n, 1)) }

/// The first `count` (< 8) floats at `p`, with the remaining lanes set to `padding`.
@inline(__always) func loadTail(_ p: UnsafePointer<Float>, _ count: Int, padding: Float) -> Vector {
    var v = Vector(repeating: padding)
    for j in 0..<count { v[j] = p[j] }
    return v
}

/// e^x that returns exactly 0 below float's range, so masked (-∞) entries vanish.
@inline(__always) func expUnderflowingToZero(_ x: Vector) -> Vector {
    vectorExp(x).replacing(with: 0, where: x .< Vector(repeating: -87.3))
}

/// The largest of `n` floats at `x` (-∞ when `n` is 0), NaNs skipped.
@inline(__always) func rowMaximum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    // Two accumulators halve the dependency chain of the compares.
    var m0 = Vector(repeating: -.infinity), m1 = m0
    var i = 0
    while i + 16 <= n { m0 = lanewiseMaximum(m0, load(x + i)); m1 = lanewiseMaximum(m1, load(x + i + 8)); i += 16 }
    if i + 8 <= n { m0 = lanewiseMaximum(m0, load(x + i)); i += 8 }
    var result = horizontalMaximum(lanewiseMaximum(m0, m1))
    while i < n { result = max(result, x[i]); i += 1 }
    return result
}

/// The largest lane of `v`. `SIMD8.max()` stays a call to a generic lane loop here.
@inline(__always) func horizontalMaximum(_ v: Vector) -> Float {
    let low = v.lowHalf, high = v.highHalf
    let m = low.replacing(with: high, where: high .> low)
    return max(max(m[0], m[1]), max(m[2], m[3]))
}

/// Σ x over `n` floats.
@inline(__always) func rowSum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var s = Vector(repeating: 0)
    var i = 0
    while i + 8 <= n { s += load(x + i); i += 8 }
    var result = horizontalSum(s)
    while i < n { result += x[i]; i += 1 }
    return result
}

/// Σ a·b over `n` floats.
@inline(__always) func rowDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var s = Vector(repeating: 0)
    var i = 0
    while i + 8 <= n { s += load(a + i) * load(b + i); i += 8 }
    var result = horizontalSum(s)
    while i < n { result += a[i] * b[i]; i += 1 }
    return result
}

/// log Σ e^x over the `count` floats at `x`, shifted by their maximum for stability (−∞ when
/// all are −∞): the normalizer of a row of logits, for code that scores tokens itself, such as
/// beam search and fused output layers.
public func logSumExp(_ x: UnsafePointer<Float>, count: Int) -> Float { logSumExpRow(x, count) }

/// log Σ e^x over `n` floats, shifted by the maximum for stability (-∞ for an all -∞ row).
@inline(__always) func logSumExpRow(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    let m = rowMaximum(x, n)
    if m == -.infinity { return -.infinity }
    let shift = Vector(repeating: m)
    var s = Vector(repeating: 0)
    var i = 0
    while i + 8 <= n { s += expUnderflowingToZero(load(x + i) - shift); i += 8 }
    if i < n { s += expUnderflowingToZero(loadTail(x + i, n - i, padding: -.infinity) - shift) }
    return m + logf(horizontalSum(s))
}

/// Writes the softmax of the `n` floats at `x` to `y` (zeros for an all -∞ row).
@inline(__always) func softmaxRow(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ n: Int) {
    let m = rowMaximum(x, n)
    if m == -.infinity { y.initialize(repeating: 0, count: n); return }
    let shift = Vector(repeating: m)
    var s = Vector(repeating: 0)
    var i = 0
    while i + 8 <= n {
        let e = expUnderflowingToZero(load(x + i) - shift)
        store(e, y + i)
        s += e
        i += 8
    }
    if i < n {
        let e = expUnderflowingToZero(loadTail(x + i, n - i, padding: -.infinity) - shift)
        for j in 0..<(n - i) { y[i + j] = e[j] }
        s += e
    }
    let scale = Vector(repeating: 1 / horizontalSum(s))
    i = 0
    while i + 8 <= n { store(load(y + i) * scale, y + i); i += 8 }
    while i < n { y[i] *= scale[0]; i += 1 }
}

/// Accumulates dx += y ⊙ (g − Σ g·y) over the `n` floats of one row.
@inline(__always) func softmaxBackwardRow(_ dx: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
                                          _ y: UnsafePointer<Float>, _ n: Int) {
    let dot = Vector(repeating: rowDot(g, y, n))
    var i = 0
    while i + 8 <= n { store(load(dx + i) + load(y + i) * (load(g + i) - dot), dx + i); i += 8 }
    while i < n { dx[i] += y[i] * (g[i] - dot[0]); i += 1 }
}
