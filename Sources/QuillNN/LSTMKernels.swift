import QuillTensor

// The LSTM cell's pointwise kernel pair for one timestep, in PyTorch's gate order i, f, g, o:
//   i = σ(·), f = σ(·), g = tanh(·), o = σ(·) of x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh,
//   c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c').
// The matrix products run as GEMMs around these kernels (see RecurrentSequence.swift).

/// Applies the LSTM gates to one timestep of B rows.
///
/// `gates` [B, 4H] holds the pre-activations x·W_ihᵀ + h·W_hhᵀ on entry (biases not yet
/// added; `bias` [4H] is b_ih + b_hh) and the activations i, f, g, o on return: with the cell
/// states, all that ``lstmStepBackward`` needs. Writes c' and h' [B, H], and h' again into
/// `output` [B, outputStride] when given. Rows whose sequence has ended (`time` ≥ their length)
/// carry h and c through unchanged, output 0, and get zero gates.
@inline(__always)
func lstmStepForward(gates: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>,
                     previousCell: UnsafePointer<Float>, cell: UnsafeMutablePointer<Float>,
                     previousHidden: UnsafePointer<Float>, hidden: UnsafeMutablePointer<Float>,
                     output: UnsafeMutablePointer<Float>?, outputStride: Int,
                     batchSize: Int, hiddenSize: Int, lengths: UnsafePointer<Int>?, time: Int) {
    let H = hiddenSize, G = 4 * hiddenSize
    for b in 0..<batchSize {
        let gate = gates + b * G, c = cell + b * H, h = hidden + b * H
        let cPrevious = previousCell + b * H
        let out = output.map { $0 + b * outputStride }
        guard isActive(lengths, row: b, time: time) else {
            h.update(from: previousHidden + b * H, count: H)
            c.update(from: cPrevious, count: H)
            out?.update(repeating: 0, count: H)
            gate.update(repeating: 0, count: G)
            continue
        }
        forEachChunk(H) { j, n in
            let i = vectorSigmoid(loadLanes(gate + j, n) + loadLanes(bias + j, n))
            let f = vectorSigmoid(loadLanes(gate + H + j, n) + loadLanes(bias + H + j, n))
            let g = tanhLanes(loadLanes(gate + 2 * H + j, n) + loadLanes(bias + 2 * H + j, n))
            let o = vectorSigmoid(loadLanes(gate + 3 * H + j, n) + loadLanes(bias + 3 * H + j, n))
            let cNew = f * loadLanes(cPrevious + j, n) + i * g
            let hNew = o * tanhLanes(cNew)
            storeLanes(i, gate + j, n)
            storeLanes(f, gate + H + j, n)
            storeLanes(g, gate + 2 * H + j, n)
            storeLanes(o, gate + 3 * H + j, n)
            storeLanes(cNew, c + j, n)
            storeLanes(hNew, h + j, n)
            if let out { storeLanes(hNew, out + j, n) }
        }
    }
}

/// Back-propagates one timestep of ``lstmStepForward`` for B rows.
///
/// On entry `gates` [B, 4H] holds the activations i, f, g, o, `hiddenGradient` [B, H] the
/// gradient reaching h' from later steps, and `cellGradient` [B, H] the gradient reaching c';
/// `outputGradient` [B, outputStride] (if any) adds the gradient of this step's output.
/// On return `gates` holds the pre-activation gradients, `cellGradient` the gradient of c,
/// and `previousHiddenGradient` [B, H] the part of h's gradient that does not go through
/// W_hh: zero for running rows, everything for rows whose sequence has ended (the caller
/// then adds gates · W_hh).
@inline(__always)
func lstmStepBackward(gates: UnsafeMutablePointer<Float>,
                      previousCell: UnsafePointer<Float>, cell: UnsafePointer<Float>,
                      outputGradient: UnsafePointer<Float>?, outputStride: Int,
                      hiddenGradient: UnsafePointer<Float>, cellGradient: UnsafeMutablePointer<Float>,
                      previousHiddenGradient: UnsafeMutablePointer<Float>,
                      batchSize: Int, hiddenSize: Int, lengths: UnsafePointer<Int>?, time: Int) {
    let H = hiddenSize, G = 4 * hiddenSize
    let one = SIMD8<Float>(repeating: 1)
    for b in 0..<batchSize {
        let gate = gates + b * G, dcRow = cellGradient + b * H
        let dhNext = hiddenGradient + b * H, dhPrevious = previousHiddenGradient + b * H
        guard isActive(lengths, row: b, time: time) else {
            dhPrevious.update(from: dhNext, count: H)
            gate.update(repeating: 0, count: G)
            continue
        }
        let dOut = outputGradient.map { $0 + b * outputStride }
        let cRow = cell + b * H, cPreviousRow = previousCell + b * H
        forEachChunk(H) { j, n in
            var dh = loadLanes(dhNext + j, n)
            if let dOut { dh += loadLanes(dOut + j, n) }
            let i = loadLanes(gate + j, n), f = loadLanes(gate + H + j, n)
            let g = loadLanes(gate + 2 * H + j, n), o = loadLanes(gate + 3 * H + j, n)
            let tanhC = tanhLanes(loadLanes(cRow + j, n))
            let dc = loadLanes(dcRow + j, n) + dh * o * (one - tanhC * tanhC)
            storeLanes(dc * g * i * (one - i), gate + j, n)
            storeLanes(dc * loadLanes(cPreviousRow + j, n) * f * (one - f), gate + H + j, n)
            storeLanes(dc * i * (one - g * g), gate + 2 * H + j, n)
            storeLanes(dh * tanhC * o * (one - o), gate + 3 * H + j, n)
            storeLanes(dc * f, dcRow + j, n)
            storeLanes(SIMD8<Float>(repeating: 0), dhPrevious + j, n)
        }
    }
}
