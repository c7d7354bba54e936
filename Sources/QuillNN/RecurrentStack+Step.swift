import QuillTensor

extension RecurrentStack {
    /// Advances every layer by one timestep; see ``LSTM/step(_:state:)``.
    ///
    /// Records nothing and applies no dropout. Buffers come from the tensor pool, so a warm
    /// loop allocates no tensor memory; at batch 1 the products run as matrix-vector products.
    func step(_ input: Tensor, state: RecurrentState?) -> (output: Tensor, state: RecurrentState) {
        precondition(directionCount == 1, "step(_:state:) runs one timestep forward; a bidirectional stack needs the whole sequence")
        precondition(input.rank == 2 && input.shape[1] == inputSize,
                     "recurrent step input has shape \(input.shape), expected [B, \(inputSize)]")
        let B = input.shape[0], H = hiddenSize, L = layerCount
        let gateRows = kind.gateCount * H
        if let state { validatedState(state, rows: L, batchSize: B, hiddenSize: H, needsCell: kind == .lstm) }
        let hidden = Tensor(uninitializedShape: [L, B, H])
        let cell = kind == .lstm ? Tensor(uninitializedShape: [L, B, H]) : nil
        // Gates [B, 4H], then for the LSTM the combined bias [4H] or for the GRU h·W_hhᵀ [B, 3H].
        let scratch = Tensor(uninitializedShape: [B * 4 * H + (kind == .lstm ? gateRows : B * gateRows)])
        let gates = scratch.data, extra = scratch.data + B * 4 * H
        let previous = previousState(state, batchSize: B)
        let x = input.isContiguous ? input : input.copy()
        var layerInput = UnsafePointer(x.data)
        for layer in 0..<L {
            let w = weights[layer]
            let size = layerInputSize(layer), offset = layer * B * H
            let hPrevious = previous.hidden.data + offset, h = hidden.data + offset
            BLAS.gemm(transposeB: true, m: B, n: gateRows, k: size, a: layerInput, lda: size,
                      b: w.inputWeight.data, ldb: size, beta: 0, c: gates, ldc: 4 * H)
            switch kind {
            case .lstm:
                BLAS.gemm(transposeB: true, m: B, n: gateRows, k: H, a: hPrevious, lda: H,
                          b: w.hiddenWeight.data, ldb: H, beta: 1, c: gates, ldc: 4 * H)
                let bih = w.inputBias.data, bhh = w.hiddenBias.data
                for j in 0..<gateRows { extra[j] = bih[j] + bhh[j] }
                lstmStepForward(gates: gates, bias: extra,
                                previousCell: previous.cell!.data + offset, cell: cell!.data + offset,
                                previousHidden: hPrevious, hidden: h, output: nil, outputStride: 0,
                                batchSize: B, hiddenSize: H, lengths: nil, time: 0)
            case .gru:
                BLAS.gemm(transposeB: true, m: B, n: gateRows, k: H, a: hPrevious, lda: H,
                          b: w.hiddenWeight.data, ldb: H, beta: 0, c: extra, ldc: gateRows)
                gruStepForward(gates: gates, hiddenGates: extra, inputBias: w.inputBias.data,
                               hiddenBias: w.hiddenBias.data, previousHidden: hPrevious, hidden: h,
                               output: nil, outputStride: 0, batchSize: B, hiddenSize: H, lengths: nil, time: 0)
            }
            layerInput = UnsafePointer(h)
        }
        let output = Tensor(storage: hidden.storage, shape: [B, H], offset: (L - 1) * B * H)
        return (output, RecurrentState(hidden: hidden, cell: cell))
    }

    /// The state to start a step from, dense: the given one, or zeros.
    private func previousState(_ state: RecurrentState?, batchSize: Int) -> RecurrentState {
        guard let state else {
            return .zeros(layerCount: layerCount, batchSize: batchSize, hiddenSize: hiddenSize, hasCell: kind == .lstm)
        }
        return RecurrentState(hidden: state.hidden.isContiguous ? state.hidden : state.hidden.copy(),
                              cell: state.cell.map { $0.isContiguous ? $0 : $0.copy() })
    }
}
