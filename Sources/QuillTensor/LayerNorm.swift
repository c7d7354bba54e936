/// Fused layer normalization over the last axis: an llm.c-style kernel pair registered as one tape op.
extension Tensor {
    /// Normalizes each row [..., C] to zero mean and unit variance over its last axis, then
    /// multiplies by `weight` [C] and adds `bias` [C] when they are given.
    ///
    /// The variance is the biased (population) one, and `epsilon` is added to it before the
    /// square root, as in PyTorch's `LayerNorm`.
    public func layerNormalized(weight: Tensor? = nil, bias: Tensor? = nil, epsilon: Float = 1e-5) -> Tensor {
        let (input, rows, c) = lastAxisRows()
        for (name, parameter) in [("weight", weight), ("bias", bias)] {
            if let parameter {
                precondition(parameter.shape == [c], "layer norm \(name) shape \(parameter.shape) must be [\(c)] for input \(shape)")
            }
        }
        let w = weight?.contiguousNoGrad(), b = bias?.contiguousNoGrad()
        let out = input.uninitializedLike()
        let mean = Tensor(uninitializedShape: [rows]), rstd = Tensor(uninitializedShape: [rows])
        layerNormForward(out.data, mean.data, rstd.data, input.data, w?.data, b?.data,
                         rows: rows, columns: c, epsilon: epsilon)
        let needsGradient = requiresGrad || weight?.requiresGrad == true || bias?.requiresGrad == true
        if Tape.isRecording && needsGradient {
            Tape.record(out) { g in
                layerNormBackward(self.requiresGrad ? self.gradientPointer() : nil,
                                  weight.flatMap { $0.requiresGrad ? $0.gradientPointer() : nil },
                                  bias.flatMap { $0.requiresGrad ? $0.gradientPointer() : nil },
                                  g.data, input.data, w?.data, mean.data, rstd.data, rows: rows, columns: c)
            }
        }
        return out
    }
}

// MARK: - Kernels

/// Normalizes each row of `input` [rows, C] to zero mean, unit variance, then applies `weight`
/// and `bias` [C] when given, into `output` [rows, C].
/// Saves `mean` and `rstd` (1/√(variance + ε)) [rows] for ``layerNormBackward``.
func layerNormForward(_ output: UnsafeMutablePointer<Float>, _ mean: UnsafeMutablePointer<Float>,
                      _ rstd: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>,
                      _ weight: UnsafePointer<Float>?, _ bias: UnsafePointer<Float>?,
                      rows: Int, columns c: Int, epsilon: Float) {
    parallelFor(rows, grain: rowGrain(c)) { range in
        for r in range {
            let x = input + r * c, y = output + r * c
            let (m, s) = rowMoments(x, c, epsilon: epsilon)
            mean[r] = m
            rstd[r] = s
            // Whole vectors in loops specialized on which of weight and bias are given, so the
            // loop body has no branch; the last c % 8 columns go one by one.
            let mv = Vector(repeating: m), sv = Vector(repeating: s)
            let full = c & ~7
            var i = 0
            switch (weight, bias) {
            case let (w?, b?):
                while i < full { store(fma((load(x + i) - mv) * sv, load(w + i), load(b + i)), y + i); i += 8 }
                while i < c { y[i] = (x[i] - m) * s * w[i] + b[i]; i += 1 }
            case let (w?, nil):
                while i < full { store((load(x + i) - mv) * sv * load(w + i), y + i); i += 8 }
                while i < c { y[i] = (x[i] - m) * s * w[i]; i += 1 }
            case let (nil, b?):
                while i < full { store(fma(load(x + i) - mv, sv, load(b + i)), y + i); i += 8 }
                while i < c { y[i] = (x[i] - m) * s + b[i]; i += 1 }
            case (nil, nil):
                while i < full { store((load(x + i) - mv) * sv, y + i); i += 8 }
                while i < c { y[i] = (x[i] - m) * s; i += 1 }
            }
        }
    }
}

/// The mean of the `c` floats at `x` and 1/√(variance + ε), in two passes (mean, then squared
/// deviations) that avoid the cancellation of E[x²] − E[x]².
@inline(__always) func rowMoments(_ x: UnsafePointer<Float>, _ c: Int, epsilon: Float) -> (mean: Float, rstd: Float) {
    let full = c & ~7
    var s0 = Vector(repeating: 0), s1 = s0
    var i = 0
    while i + 16 <= full { s0 += load(x + i); s1 += load(x + i + 8); i += 16 }
    if i < full { s0 += load(x + i); i += 8 }
    var total = horizontalSum(s0 + s1)
    while i < c { total += x[i]; i += 1 }
    let m = total / Float(c)
    let mv = Vector(repeating: m)
    var q0 = Vector(repeating: 0), q1 = q0
    i = 0
    while i + 16 <= full {
        let d0 = load(x + i) - mv, d1 = load(x + i + 8) - mv
        q0 = fma(d0, d0, q0); q1 = fma(d1, d1, q1); i += 16
    }
    if i < full { let d = load(x + i) - mv; q0 = fma(d, d, q0); i += 8 }
    var squares = horizontalSum(q0 + q1)
    while i < c { let d = x[i] - m; squares += d * d; i += 1 }
    return (m, 1 / (squares / Float(c) + epsilon).squareRoot())
}

/// The sum of the lanes of `v`, without the generic lane loop of `SIMD8.sum()`.
@inline(__always) func horizontalSum(_ v: Vector) -> Float {
    let h = v.lowHalf + v.highHalf
    return (h[0] + h[2]) + (h[1] + h[3])
}

/// Accumulates (`+=`) the gradients of ``layerNormForward`` from `gradient` [rows, C]: into
/// `inputGradient` [rows, C], `weightGradient` [C] and `biasGradient` [C], each skipped when nil.
/// Reads the forward's `input` [rows, C], `weight` [C] (nil means all ones), `mean` and `rstd` [rows].
///
/// With n̂ = (x − mean)·rstd and dn̂ = weight ⊙ dy:
/// dx = rstd · (dn̂ − mean(dn̂) − n̂ · mean(dn̂ ⊙ n̂)), dweight = Σ dy ⊙ n̂, dbias = Σ dy.
/// Threads split the rows; each sums its own weight and bias gradients, added up at the end.
func layerNormBackward(_ inputGradient: UnsafeMutablePointer<Float>?, _ weightGradient: UnsafeMutablePointer<Float>?,
                       _ biasGradient: UnsafeMutablePointer<Float>?, _ gradient: UnsafePointer<Float>,
                       _ input: UnsafePointer<Float>, _ weight: UnsafePointer<Float>?,
                       _ mean: UnsafePointer<Float>, _ rstd: UnsafePointer<Float>, rows: Int, columns c: Int) {
    func backwardRows(_ range: Range<Int>, _ dweight: UnsafeMutablePointer<Float>?, _ dbias: UnsafeMutablePointer<Float>?) {
        let one = Vector(repeating: 1)
        for r in range {
            let x = input + r * c, dy = gradient + r * c
            let mv = Vector(repeating: mean[r]), sv = Vector(repeating: rstd[r])
            var dnormSum = Vector(repeating: 0), dnormNormSum = Vector(repeating: 0)
            for i in stride(from: 0, to: c, by: 8) {
                let lanes = min(8, c - i)
                let norm = (loadUpTo8(x + i, lanes) - mv) * sv
                let dnorm = (weight.map { loadUpTo8($0 + i, lanes) } ?? one) * loadUpTo8(dy + i, lanes)
                dnormSum += dnorm
                dnormNormSum += dnorm * norm
            }
            let dnormMean = Vector(repeating: horizontalSum(dnormSum) / Float(c))
            let dnormNormMean = Vector(repeating: horizontalSum(dnormNormSum) / Float(c))
            for i in stride(from: 0, to: c, by: 8) {
                let lanes = min(8, c - i)
                let norm = (loadUpTo8(x + i, lanes) - mv) * sv
                let g = loadUpTo8(dy + i, lanes)
                if let dbias { storeUpTo8(loadUpTo8(dbias + i, lanes) + g, dbias + i, lanes) }
                if let dweight { storeUpTo8(loadUpTo8(dweight + i, lanes) + g * norm, dweight + i, lanes) }
                if let inputGradient {
                    let dx = inputGradient + r * c + i
                    let dnorm = (weight.map { loadUpTo8($0 + i, lanes) } ?? one) * g
                    storeUpTo8(loadUpTo8(dx, lanes) + (dnorm - dnormMean - norm * dnormNormMean) * sv, dx, lanes)
                }
            }
        }
    }

    let chunks = min(Threads.count, max(1, rows * c / 32_768))
    if chunks == 1 { backwardRows(0..<rows, weightGradient, biasGradient); return }
    // Per-chunk [dweight, dbias] partial sums [chunks, 2, C], so threads never share a row of sums.
    let partial = Tensor.zeros([chunks, 2, c])
    let p = partial.data
    let step = (rows + chunks - 1) / chunks
    parallelFor(chunks, grain: 1) { range in
        for chunk in range {
            let slice = p + chunk * 2 * c
            backwardRows(min(rows, chunk * step)..<min(rows, (chunk + 1) * step),
                         weightGradient == nil ? nil : slice, biasGradient == nil ? nil : slice + c)
        }
    }
    for chunk in 0..<chunks {
        if let weightGradient { addInPlace(weightGradient, p + chunk * 2 * c, c) }
        if let biasGradient { addInPlace(biasGradient, p + chunk * 2 * c + c, c) }
    }
}
