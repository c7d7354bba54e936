import QuillTensor

/// The sizes of one direction's pass over a batch of sequences, all time-major.
struct SequenceShape {
    /// T: timesteps.
    let steps: Int
    /// B: sequences in the batch.
    let batchSize: Int
    /// H: hidden units.
    let hiddenSize: Int
    /// I: input features.
    let inputSize: Int
    /// Whether this direction runs from the last timestep to the first.
    let isReverse: Bool

    /// The time processed at step `s`.
    @inline(__always) func time(ofStep s: Int) -> Int { isReverse ? steps - 1 - s : s }

    /// The state slots read (h before `time`) and written (h after) at `time`: a direction's
    /// states [T+1, B, H] are kept in time order, so going backwards slot t+1 precedes slot t.
    @inline(__always) func slots(time: Int) -> (previous: Int, next: Int) {
        isReverse ? (time + 1, time) : (time, time + 1)
    }

    /// The slot holding the final state.
    var finalSlot: Int { isReverse ? 0 : steps }
    /// The slot holding the initial state.
    var initialSlot: Int { isReverse ? steps : 0 }
}

/// What one direction of one layer keeps from its forward pass for backpropagation through time.
struct DirectionTrace {
    /// [T, B, 4H]: LSTM i, f, g, o activations; GRU r, z, n and W_hn·h + b_hn.
    let gates: Tensor
    /// [T+1, B, H]: h before and after every step, in time order (see ``SequenceShape/slots(time:)``).
    let hidden: Tensor
    /// [T+1, B, H]: c like `hidden`; LSTM only.
    let cell: Tensor?
}

/// Runs one direction of one layer over `input` [T, B, I], writing h at every timestep into
/// `output` [T, B, outputStride] (zero past a sequence's length), and returns the trace.
///
/// One GEMM computes x·W_ihᵀ for all T·B rows; each step then runs one GEMM h·W_hhᵀ and
/// one fused pointwise kernel. With `inputRepeats` n > 1 the input's rows come in runs of n
/// identical rows, and the GEMM covers only the first row of each run (every n-th row, so
/// one strided GEMM); the others copy its result.
func runDirection(_ kind: RecurrentCell, _ weights: RecurrentWeights, shape: SequenceShape,
                  input: UnsafePointer<Float>, initialHidden: UnsafePointer<Float>, initialCell: UnsafePointer<Float>?,
                  output: UnsafeMutablePointer<Float>, outputStride: Int,
                  lengths: UnsafePointer<Int>?, inputRepeats n: Int = 1) -> DirectionTrace {
    let T = shape.steps, B = shape.batchSize, H = shape.hiddenSize, I = shape.inputSize
    let gateRows = kind.gateCount * H
    let gates = Tensor(uninitializedShape: [T, B, 4 * H])
    let hidden = Tensor(uninitializedShape: [T + 1, B, H])
    let cell = kind == .lstm ? Tensor(uninitializedShape: [T + 1, B, H]) : nil
    let gp = gates.data, hp = hidden.data, cp = cell?.data
    let wih = weights.inputWeight.data, whh = weights.hiddenWeight.data
    let bih = weights.inputBias.data, bhh = weights.hiddenBias.data

    // Row t·B + j·n of [T, B, ·] is row n·(t·B/n + j): the runs' first rows are evenly spaced.
    BLAS.gemm(transposeB: true, m: T * B / n, n: gateRows, k: I, a: input, lda: n * I, b: wih, ldb: I,
              beta: 0, c: gp, ldc: n * 4 * H)
    if n > 1 {
        parallelFor(T * B / n, grain: max(1, 32_768 / (n * gateRows))) { runs in
            for run in runs {
                let first = gp + run * n * 4 * H
                for copy in 1..<n { (first + copy * 4 * H).update(from: first, count: gateRows) }
            }
        }
    }
    (hp + shape.initialSlot * B * H).update(from: initialHidden, count: B * H)
    if let cp, let initialCell { (cp + shape.initialSlot * B * H).update(from: initialCell, count: B * H) }

    let bias = Tensor(uninitializedShape: [gateRows])
    if kind == .lstm { for j in 0..<gateRows { bias.data[j] = bih[j] + bhh[j] } }
    let hiddenGates = kind == .gru ? Tensor(uninitializedShape: [B, gateRows]) : nil
    forEachRowBlock(B) { rows in
        let b0 = rows.lowerBound, m = rows.count
        let rowLengths = lengths.map { $0 + b0 }
        for s in 0..<T {
            let t = shape.time(ofStep: s), (previous, next) = shape.slots(time: t)
            let gatesAtT = gp + (t * B + b0) * 4 * H
            let hPrevious = hp + (previous * B + b0) * H, hNext = hp + (next * B + b0) * H
            let outputAtT = output + (t * B + b0) * outputStride
            switch kind {
            case .lstm:
                BLAS.gemm(transposeB: true, m: m, n: gateRows, k: H, a: hPrevious, lda: H,
                          b: whh, ldb: H, beta: 1, c: gatesAtT, ldc: 4 * H)
                lstmStepForward(gates: gatesAtT, bias: bias.data,
                                previousCell: cp! + (previous * B + b0) * H, cell: cp! + (next * B + b0) * H,
                                previousHidden: hPrevious, hidden: hNext, output: outputAtT, outputStride: outputStride,
                                batchSize: m, hiddenSize: H, lengths: rowLengths, time: t)
            case .gru:
                let hg = hiddenGates!.data + b0 * gateRows
                BLAS.gemm(transposeB: true, m: m, n: gateRows, k: H, a: hPrevious, lda: H,
                          b: whh, ldb: H, beta: 0, c: hg, ldc: gateRows)
                gruStepForward(gates: gatesAtT, hiddenGates: hg, inputBias: bih, hiddenBias: bhh,
                               previousHidden: hPrevious, hidden: hNext, output: outputAtT, outputStride: outputStride,
                               batchSize: m, hiddenSize: H, lengths: rowLengths, time: t)
            }
        }
    }
    return DirectionTrace(gates: gates, hidden: hidden, cell: cell)
}

/// Where ``backpropagateDirection`` reads and writes gradients; nil pointers are skipped.
struct DirectionGradients {
    /// [T, B, outputStride], the gradient of this direction's outputs.
    let output: UnsafePointer<Float>
    let outputStride: Int
    /// [B, H] gradients of the final h and c.
    let finalHidden: UnsafePointer<Float>?
    let finalCell: UnsafePointer<Float>?
    /// [B, H] buffers the initial h and c gradients are added to.
    let initialHidden: UnsafeMutablePointer<Float>?
    let initialCell: UnsafeMutablePointer<Float>?
    /// [T, B, I], written (or added to, when `accumulatesInput`) with the input's gradient.
    let input: UnsafeMutablePointer<Float>?
    let accumulatesInput: Bool
}

/// Back-propagates one direction through all T steps, accumulating the weight gradients.
///
/// Per step: the pointwise backward kernel, then one GEMM gates' gradient · W_hh for h's
/// gradient. After the loop, three GEMMs over all T·B rows give dW_hh, dW_ih and the input's gradient.
/// The trace's gate buffer is overwritten with the gate gradients.
func backpropagateDirection(_ kind: RecurrentCell, _ weights: RecurrentWeights, shape: SequenceShape,
                            trace: DirectionTrace, input: UnsafePointer<Float>,
                            gradients: DirectionGradients, lengths: UnsafePointer<Int>?) {
    let T = shape.steps, B = shape.batchSize, H = shape.hiddenSize, I = shape.inputSize
    let gateRows = kind.gateCount * H
    // Two buffers for h's gradient [B, H], swapped every step (the one read, and the one the
    // step before gets), and one for c's.
    let scratch = Tensor.zeros([3, B, H])
    let dhFirst = scratch.data, dhSecond = scratch.data + B * H, dc = scratch.data + 2 * B * H
    if let finalHidden = gradients.finalHidden { dhFirst.update(from: finalHidden, count: B * H) }
    if let finalCell = gradients.finalCell { dc.update(from: finalCell, count: B * H) }
    let gp = trace.gates.data, hp = trace.hidden.data
    let whh = weights.hiddenWeight.data
    // The LSTM's input-side and hidden-side gate gradients coincide; the GRU's differ in n.
    let hiddenGateGradient = kind == .gru ? Tensor(uninitializedShape: [T, B, gateRows]) : nil
    let dHidden = hiddenGateGradient?.data ?? gp
    let dHiddenStride = kind == .gru ? gateRows : 4 * H
    let needsInitialGradient = gradients.initialHidden != nil || gradients.initialCell != nil

    forEachRowBlock(B) { rows in
        let b0 = rows.lowerBound, m = rows.count
        let rowLengths = lengths.map { $0 + b0 }
        var dh = dhFirst + b0 * H, dhPrevious = dhSecond + b0 * H
        for s in stride(from: T - 1, through: 0, by: -1) {
            let t = shape.time(ofStep: s), (previous, next) = shape.slots(time: t)
            let dOutput = gradients.output + (t * B + b0) * gradients.outputStride
            let gatesAtT = gp + (t * B + b0) * 4 * H
            let dHiddenAtT = dHidden + (t * B + b0) * dHiddenStride
            switch kind {
            case .lstm:
                let cp = trace.cell!.data
                lstmStepBackward(gates: gatesAtT,
                                 previousCell: cp + (previous * B + b0) * H, cell: cp + (next * B + b0) * H,
                                 outputGradient: dOutput, outputStride: gradients.outputStride,
                                 hiddenGradient: dh, cellGradient: dc + b0 * H, previousHiddenGradient: dhPrevious,
                                 batchSize: m, hiddenSize: H, lengths: rowLengths, time: t)
            case .gru:
                gruStepBackward(gates: gatesAtT, hiddenGateGradient: dHiddenAtT,
                                previousHidden: hp + (previous * B + b0) * H,
                                outputGradient: dOutput, outputStride: gradients.outputStride,
                                hiddenGradient: dh, previousHiddenGradient: dhPrevious,
                                batchSize: m, hiddenSize: H, lengths: rowLengths, time: t)
            }
            if s > 0 || needsInitialGradient {
                BLAS.gemm(m: m, n: H, k: gateRows, a: dHiddenAtT, lda: dHiddenStride,
                          b: whh, ldb: H, beta: 1, c: dhPrevious, ldc: H)
            }
            swap(&dh, &dhPrevious)
        }
    }
    // After T swaps the initial state's gradient is in the first buffer when T is even.
    let dh = T % 2 == 0 ? dhFirst : dhSecond
    if let initialHidden = gradients.initialHidden { addRow(dh, initialHidden, B * H) }
    if let initialCell = gradients.initialCell { addRow(dc, initialCell, B * H) }

    // Row t·B + b of the gate gradients pairs with h before time t: slots 0..<T going
    // forward, slots 1...T going backward.
    let rows = T * B
    let previousHidden = hp + (shape.isReverse ? B * H : 0)
    if weights.hiddenWeight.requiresGrad {
        BLAS.gemm(transposeA: true, m: gateRows, n: H, k: rows, a: dHidden, lda: dHiddenStride,
                  b: previousHidden, ldb: H, beta: 1, c: weights.hiddenWeight.gradientPointer(), ldc: H)
    }
    if weights.inputWeight.requiresGrad {
        BLAS.gemm(transposeA: true, m: gateRows, n: I, k: rows, a: gp, lda: 4 * H,
                  b: input, ldb: I, beta: 1, c: weights.inputWeight.gradientPointer(), ldc: I)
    }
    // Bias gradients are column sums of the gate gradients; the LSTM's two biases share them.
    let inputSums = Tensor.zeros([gateRows])
    accumulateColumnSums(gp, rows: rows, columns: gateRows, ld: 4 * H, into: inputSums.data)
    if weights.inputBias.requiresGrad { addRow(inputSums.data, weights.inputBias.gradientPointer(), gateRows) }
    if weights.hiddenBias.requiresGrad {
        if kind == .lstm {
            addRow(inputSums.data, weights.hiddenBias.gradientPointer(), gateRows)
        } else {
            accumulateColumnSums(dHidden, rows: rows, columns: gateRows, ld: dHiddenStride,
                                 into: weights.hiddenBias.gradientPointer())
        }
    }
    if let dInput = gradients.input {
        BLAS.gemm(m: rows, n: I, k: gateRows, a: gp, lda: 4 * H, b: weights.inputWeight.data, ldb: I,
                  beta: gradients.accumulatesInput ? 1 : 0, c: dInput, ldc: I)
    }
}
