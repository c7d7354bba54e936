import QuillTensor

// The GRU cell's pointwise kernel pair for one timestep, in PyTorch's gate order r, z, n and
// PyTorch's formula (the reset gate multiplies W_hn·h + b_hn, not h):
//   r = σ(W_ir x + b_ir + W_hr h + b_hr),   z = σ(W_iz x + b_iz + W_hz h + b_hz),
//   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),   h' = (1 − z) ⊙ n + z ⊙ h.
// The matrix products run as GEMMs around these kernels (see RecurrentSequence.swift).

/// Applies the GRU gates to one timestep of B rows.
///
/// On entry columns 0..<3H of `gates` [B, 4H] hold x·W_ihᵀ and `hiddenGates` [B, 3H] holds
/// h·W_hhᵀ (biases not yet added). On return `gates` holds r, z, n and W_hn·h + b_hn: all that
/// ``gruStepBackward`` needs besides h. Writes h' [B, H], and again into `output`
/// [B, outputStride] when given. Rows whose sequence has ended (`time` ≥ their length) carry h
/// through unchanged, output 0, and get zero gates.
@inline(__always)
func gruStepForward(gates: UnsafeMutablePointer<Float>, hiddenGates: UnsafePointer<Float>,
                    inputBias: UnsafePointer<Float>, hiddenBias: UnsafePointer<Float>,
                    previousHidden: UnsafePointer<Float>, hidden: UnsafeMutablePointer<Float>,
                    output: UnsafeMutablePointer<Float>?, outputStride: Int,
                    batchSize: Int, hiddenSize: Int, lengths: UnsafePointer<Int>?, time: Int) {
    let H = hiddenSize
    for b in 0..<batchSize {
        let gate = gates + b * 4 * H, hg = hiddenGates + b * 3 * H
        let hPrevious = previousHidden + b * H, h = hidden + b * H
        let out = output.map { $0 + b * outputStride }
        guard isActive(lengths, row: b, time: time) else {
            h.update(from: hPrevious, count: H)
            out?.update(repeating: 0, count: H)
            gate.update(repeating: 0, count: 4 * H)
            continue
        }
        forEachChunk(H) { j, n in
            let r = vectorSigmoid(loadLanes(gate + j, n) + loadLanes(inputBias + j, n)
                                  + loadLanes(hg + j, n) + loadLanes(hiddenBias + j, n))
            let z = vectorSigmoid(loadLanes(gate + H + j, n) + loadLanes(inputBias + H + j, n)
                                  + loadLanes(hg + H + j, n) + loadLanes(hiddenBias + H + j, n))
            let hn = loadLanes(hg + 2 * H + j, n) + loadLanes(hiddenBias + 2 * H + j, n)
            let candidate = tanhLanes(loadLanes(gate + 2 * H + j, n) + loadLanes(inputBias + 2 * H + j, n) + r * hn)
            let hNew = candidate + z * (loadLanes(hPrevious + j, n) - candidate)
            storeLanes(r, gate + j, n)
            storeLanes(z, gate + H + j, n)
            storeLanes(candidate, gate + 2 * H + j, n)
            storeLanes(hn, gate + 3 * H + j, n)
            storeLanes(hNew, h + j, n)
            if let out { storeLanes(hNew, out + j, n) }
        }
    }
}

/// Back-propagates one timestep of ``gruStepForward`` for B rows.
///
/// On entry `gates` [B, 4H] holds r, z, n, W_hn·h + b_hn, and `hiddenGradient` [B, H] the
/// gradient reaching h' from later steps; `outputGradient` [B, outputStride] (if any) adds the
/// gradient of this step's output. On return columns 0..<3H of `gates` hold the gradients of
/// the input-side pre-activations (for W_ih, b_ih and x), `hiddenGateGradient` [B, 3H] those
/// of the hidden-side ones (for W_hh, b_hh and h), and `previousHiddenGradient` [B, H] the
/// part of h's gradient that does not go through W_hh (the caller adds hiddenGateGradient · W_hh).
@inline(__always)
func gruStepBackward(gates: UnsafeMutablePointer<Float>, hiddenGateGradient: UnsafeMutablePointer<Float>,
                     previousHidden: UnsafePointer<Float>,
                     outputGradient: UnsafePointer<Float>?, outputStride: Int,
                     hiddenGradient: UnsafePointer<Float>, previousHiddenGradient: UnsafeMutablePointer<Float>,
                     batchSize: Int, hiddenSize: Int, lengths: UnsafePointer<Int>?, time: Int) {
    let H = hiddenSize
    let one = SIMD8<Float>(repeating: 1)
    for b in 0..<batchSize {
        let gate = gates + b * 4 * H, dHiddenGate = hiddenGateGradient + b * 3 * H
        let dhNext = hiddenGradient + b * H, dhPrevious = previousHiddenGradient + b * H
        guard isActive(lengths, row: b, time: time) else {
            dhPrevious.update(from: dhNext, count: H)
            gate.update(repeating: 0, count: 3 * H)
            dHiddenGate.update(repeating: 0, count: 3 * H)
            continue
        }
        let dOut = outputGradient.map { $0 + b * outputStride }
        let hPrevious = previousHidden + b * H
        forEachChunk(H) { j, n in
            var dh = loadLanes(dhNext + j, n)
            if let dOut { dh += loadLanes(dOut + j, n) }
            let r = loadLanes(gate + j, n), z = loadLanes(gate + H + j, n)
            let candidate = loadLanes(gate + 2 * H + j, n), hn = loadLanes(gate + 3 * H + j, n)
            let dz = dh * (loadLanes(hPrevious + j, n) - candidate) * z * (one - z)
            let dCandidate = dh * (one - z) * (one - candidate * candidate)
            let dr = dCandidate * hn * r * (one - r)
            storeLanes(dr, gate + j, n)
            storeLanes(dz, gate + H + j, n)
            storeLanes(dCandidate, gate + 2 * H + j, n)
            storeLanes(dr, dHiddenGate + j, n)
            storeLanes(dz, dHiddenGate + H + j, n)
            storeLanes(dCandidate * r, dHiddenGate + 2 * H + j, n)
            storeLanes(dh * z, dhPrevious + j, n)
        }
    }
}
