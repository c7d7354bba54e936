#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import QuillTensor

/// A language model's output layer fused with its softmax cross-entropy, as llm.c fuses its
/// classifier: one tape op from hidden rows to the summed loss. The sentence models' decoders
/// use it.
///
/// The vocabulary-sized logits [N, V] are the largest tensor of a training step (about three
/// quarters of the FLOPs at a 10k vocabulary). The forward writes them once (bias, then the
/// GEMM accumulating onto it) and keeps each row's log Σ e^x; the backward overwrites them in
/// place with their own gradient, so no second [N, V] buffer is ever allocated or zeroed.
public enum VocabularyProjection {
    /// Σ_r −log softmax(x_r · Wᵀ + b)[t_r] over `input` [N, H] with `weight` [V, H], `bias` [V]
    /// and `targets` [N], returned as a scalar [].
    public static func summedCrossEntropy(_ input: Tensor, weight: Tensor, bias: Tensor, targets: IndexTensor) -> Tensor {
        let x = input.contiguous()
        let rows = x.shape[0], hidden = x.shape[1], vocabulary = weight.shape[0]
        precondition(weight.shape == [vocabulary, hidden] && bias.shape == [vocabulary] && targets.count == rows,
                     "projection shapes: input \(x.shape), weight \(weight.shape), bias \(bias.shape), targets \(targets.shape)")
        let logits = Tensor(uninitializedShape: [rows, vocabulary])
        let logSumExp = Tensor(uninitializedShape: [max(rows, 1)])
        let losses = Tensor(uninitializedShape: [max(rows, 1)])
        projectionForward(logits.data, x.data, weight.data, bias.data, rows: rows, hidden: hidden, vocabulary: vocabulary)
        targets.values.withUnsafeBufferPointer {
            crossEntropyRows(losses.data, logSumExp.data, logits.data, $0.baseAddress!, rows: rows, vocabulary: vocabulary)
        }
        var total = 0.0
        for r in 0..<rows { total += Double(losses.data[r]) }
        let out = Tensor(scalar: Float(total))
        guard Tape.needsRecord(x, weight, bias) else { return out }
        Tape.record(out) { g in
            let dLogits = logits.data
            targets.values.withUnsafeBufferPointer {
                crossEntropyGradientInPlace(dLogits, logSumExp.data, $0.baseAddress!, scale: g.scalar,
                                            rows: rows, vocabulary: vocabulary)
            }
            if x.requiresGrad {
                BLAS.gemm(m: rows, n: hidden, k: vocabulary, a: dLogits, lda: vocabulary, b: weight.data, ldb: hidden,
                          beta: 1, c: x.gradientPointer(), ldc: hidden)
            }
            if weight.requiresGrad {
                BLAS.gemm(transposeA: true, m: vocabulary, n: hidden, k: rows, a: dLogits, lda: vocabulary,
                          b: x.data, ldb: hidden, beta: 1, c: weight.gradientPointer(), ldc: hidden)
            }
            if bias.requiresGrad { addColumnSums(dLogits, rows: rows, columns: vocabulary, into: bias.gradientPointer()) }
        }
        return out
    }

    /// log p(t_r | x_r) for every row of `input` [N, H], without recording: the logits are
    /// computed `chunk` rows at a time, so importance sampling over thousands of rows never
    /// holds an [N, V] buffer.
    ///
    /// 512 rows keep the GEMM large enough that packing `weight` once per call costs little,
    /// while the [chunk, V] scratch (20 MB at V = 10k) stays under glibc's largest mmap
    /// threshold, so evaluation's thousands of calls reuse heap memory instead of page-faulting
    /// a fresh mapping each time.
    public static func logLikelihoods(_ input: Tensor, weight: Tensor, bias: Tensor, targets: IndexTensor,
                                      chunk: Int = 512) -> [Float] {
        let x = input.contiguous()
        let rows = x.shape[0], hidden = x.shape[1], vocabulary = weight.shape[0]
        var result = [Float](repeating: 0, count: rows)
        let logits = Tensor(uninitializedShape: [min(chunk, max(rows, 1)), vocabulary])
        let scratch = Tensor(uninitializedShape: [min(chunk, max(rows, 1))])
        var start = 0
        while start < rows {
            let count = min(chunk, rows - start)
            projectionForward(logits.data, x.data + start * hidden, weight.data, bias.data,
                              rows: count, hidden: hidden, vocabulary: vocabulary)
            targets.values.withUnsafeBufferPointer { t in
                result.withUnsafeMutableBufferPointer { r in
                    crossEntropyRows(r.baseAddress! + start, scratch.data, logits.data, t.baseAddress! + start,
                                     rows: count, vocabulary: vocabulary)
                }
            }
            start += count
        }
        for r in 0..<rows { result[r] = -result[r] }
        return result
    }

    /// The logits [N, V] of `input` [N, H], without recording (generation).
    public static func logits(_ input: Tensor, weight: Tensor, bias: Tensor) -> Tensor {
        let x = input.copy()
        let out = Tensor(uninitializedShape: [x.shape[0], weight.shape[0]])
        projectionForward(out.data, x.data, weight.data, bias.data, rows: x.shape[0], hidden: x.shape[1],
                          vocabulary: weight.shape[0])
        return out
    }
}

// MARK: - Kernels

/// Writes `logits` [rows, V] = `input` [rows, H] · `weight` [V, H]ᵀ + `bias` [V]: the bias is
/// copied into every row, then one GEMM accumulates onto it.
func projectionForward(_ logits: UnsafeMutablePointer<Float>, _ input: UnsafePointer<Float>,
                       _ weight: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
                       rows: Int, hidden: Int, vocabulary v: Int) {
    guard rows > 0 else { return }
    parallelFor(rows, grain: max(1, 65_536 / v)) { range in
        for r in range { (logits + r * v).update(from: bias, count: v) }
    }
    BLAS.gemm(transposeB: true, m: rows, n: v, k: hidden, a: input, lda: hidden, b: weight, ldb: hidden,
              beta: 1, c: logits, ldc: v)
}

/// Computes each row's loss log Σ e^x − x[target] into `losses` [rows] and saves the row's
/// log Σ e^x in `logSumExp` [rows] for ``crossEntropyGradientInPlace``.
func crossEntropyRows(_ losses: UnsafeMutablePointer<Float>, _ logSumExp: UnsafeMutablePointer<Float>,
                      _ logits: UnsafePointer<Float>, _ targets: UnsafePointer<Int32>, rows: Int, vocabulary v: Int) {
    parallelFor(rows, grain: max(1, 16_384 / v)) { range in
        for r in range {
            let x = logits + r * v
            let lse = QuillTensor.logSumExp(x, count: v)
            logSumExp[r] = lse
            losses[r] = lse - x[Int(targets[r])]
        }
    }
}

/// Overwrites `logits` [rows, V] with `scale` · (softmax − onehot(target)), the gradient of the
/// summed cross-entropy scaled by `scale`, recomputing the softmax from `logSumExp` [rows].
func crossEntropyGradientInPlace(_ logits: UnsafeMutablePointer<Float>, _ logSumExp: UnsafePointer<Float>,
                                 _ targets: UnsafePointer<Int32>, scale: Float, rows: Int, vocabulary v: Int) {
    parallelFor(rows, grain: max(1, 16_384 / v)) { range in
        for r in range {
            let x = logits + r * v
            let shift = SIMD8<Float>(repeating: logSumExp[r]), s = SIMD8<Float>(repeating: scale)
            var i = 0
            while i + 8 <= v {
                let e = vectorExp(loadVector(x + i) - shift)
                storeVector(s * e, x + i)
                i += 8
            }
            while i < v { x[i] = scale * expf(x[i] - logSumExp[r]); i += 1 }
            x[Int(targets[r])] -= scale
        }
    }
}

/// Adds the column sums of `matrix` [rows, columns] to `sums` [columns]: a bias's gradient.
func addColumnSums(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>) {
    // Threads split the columns, so no two write the same sum; each streams its rows once.
    parallelFor(columns, grain: 2048) { range in
        for r in 0..<rows {
            let row = matrix + r * columns
            var i = range.lowerBound
            while i + 8 <= range.upperBound { storeVector(loadVector(sums + i) + loadVector(row + i), sums + i); i += 8 }
            while i < range.upperBound { sums[i] += row[i]; i += 1 }
        }
    }
}

@inline(__always) func loadVector(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always) func storeVector(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}
