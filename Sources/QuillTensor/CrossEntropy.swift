/// How a loss combines its per-element values.
public enum LossReduction: Sendable {
    /// The sum over the elements that are not ignored.
    case sum
    /// The mean over the elements that are not ignored; 0 when every element is ignored.
    case mean
    /// One loss per element, 0 where the target is ignored.
    case none
}

/// Fused softmax cross-entropy from logits, one tape op: the forward keeps only each row's
/// log Σ e^x, and the backward writes softmax − one-hot straight into the logits' gradient.
extension Tensor {
    /// The cross-entropy between softmax of these logits [..., V] and class `targets` [...].
    ///
    /// Rows whose target equals `ignoreIndex` (padding) add nothing to the loss, to the count
    /// that `.mean` divides by, or to the gradient; `ignoreIndex` may lie outside 0..<V, as
    /// PyTorch's -100 does. Returns a scalar [] for `.sum` and `.mean`, [...] for `.none`.
    public func crossEntropy(targets: IndexTensor, ignoreIndex: Int? = nil,
                             reduction: LossReduction = .mean) -> Tensor {
        let (logits, rows, classes) = lastAxisRows()
        precondition(targets.shape == Array(shape.dropLast()),
                     "cross-entropy targets shape \(targets.shape) must be the logits shape \(shape) without its last axis")
        // A target can only equal an ignore index that fits in Int32; otherwise nothing is ignored.
        let ignoredTarget = ignoreIndex.flatMap { Int32(exactly: $0) }
        var counted = 0
        for target in targets.values where target != ignoredTarget {
            precondition(target >= 0 && Int(target) < classes,
                         "cross-entropy target \(target) out of range 0..<\(classes) (ignore index \(String(describing: ignoreIndex)))")
            counted += 1
        }
        // Every other target is in 0..<V, so -1 stands for "nothing ignored" inside the kernels.
        let ignored = ignoredTarget ?? -1
        let logSumExp = Tensor(uninitializedShape: [rows])
        let losses = Tensor(uninitializedShape: targets.shape)
        targets.values.withUnsafeBufferPointer {
            crossEntropyForward(losses.data, logSumExp.data, logits.data, $0.baseAddress, ignoring: ignored,
                                rows: rows, columns: classes)
        }
        let out: Tensor
        let scale: Float
        switch reduction {
        case .none:
            out = losses
            scale = 1
        case .sum, .mean:
            var total = 0.0
            let p = losses.data
            for r in 0..<rows { total += Double(p[r]) }
            scale = reduction == .sum ? 1 : (counted == 0 ? 0 : 1 / Float(counted))
            out = Tensor(scalar: Float(total) * scale)
        }
        if Tape.needsRecord(self) && scale != 0 {
            Tape.record(out) { g in
                targets.values.withUnsafeBufferPointer {
                    crossEntropyBackward(self.gradientPointer(), logits.data, logSumExp.data, $0.baseAddress,
                                         ignoring: ignored, lossGradient: g.data,
                                         lossGradientStride: reduction == .none ? 1 : 0, scale: scale,
                                         rows: rows, columns: classes)
                }
            }
        }
        return out
    }
}

// MARK: - Kernels

/// Computes each row's loss log Σ e^x − x[target] from `logits` [rows, V] into `losses` [rows]
/// (0 for ignored rows), and saves each row's `logSumExp` [rows] for ``crossEntropyBackward``.
func crossEntropyForward(_ losses: UnsafeMutablePointer<Float>, _ logSumExp: UnsafeMutablePointer<Float>,
                         _ logits: UnsafePointer<Float>, _ targets: UnsafePointer<Int32>?, ignoring ignored: Int32,
                         rows: Int, columns v: Int) {
    guard let targets else { return }
    parallelFor(rows, grain: rowGrain(v)) { range in
        for r in range {
            let target = targets[r]
            if target == ignored { losses[r] = 0; logSumExp[r] = 0; continue }
            let x = logits + r * v
            let lse = logSumExpRow(x, v)
            logSumExp[r] = lse
            losses[r] = lse - x[Int(target)]
        }
    }
}

/// Accumulates dlogits [rows, V] += s_r · (softmax(logits_r) − onehot(target_r)) for every row that
/// is not ignored, with s_r = `scale` · `lossGradient`[r · `lossGradientStride`].
///
/// The softmax is recomputed from the saved `logSumExp` [rows], which costs one exp per logit but
/// saves keeping a [rows, V] probability buffer alive between the passes.
func crossEntropyBackward(_ logitsGradient: UnsafeMutablePointer<Float>, _ logits: UnsafePointer<Float>,
                          _ logSumExp: UnsafePointer<Float>, _ targets: UnsafePointer<Int32>?, ignoring ignored: Int32,
                          lossGradient: UnsafePointer<Float>, lossGradientStride: Int, scale: Float,
                          rows: Int, columns v: Int) {
    guard let targets else { return }
    parallelFor(rows, grain: rowGrain(v)) { range in
        for r in range {
            let target = targets[r]
            if target == ignored { continue }
            let rowScale = scale * lossGradient[r * lossGradientStride]
            let x = logits + r * v, dx = logitsGradient + r * v
            let shift = Vector(repeating: logSumExp[r]), s = Vector(repeating: rowScale)
            var i = 0
            while i + 8 <= v {
                store(load(dx + i) + s * expUnderflowingToZero(load(x + i) - shift), dx + i)
                i += 8
            }
            if i < v {
                let e = expUnderflowingToZero(loadTail(x + i, v - i, padding: -.infinity) - shift)
                for j in 0..<(v - i) { dx[i + j] += rowScale * e[j] }
            }
            dx[Int(target)] -= rowScale
        }
    }
}
