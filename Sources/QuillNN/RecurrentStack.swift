import QuillTensor

/// The engine behind ``LSTM`` and ``GRU``: a stack of layers, each with one or two
/// directions, run over whole sequences as one tape op.
final class RecurrentStack {
    let kind: RecurrentCell
    let inputSize: Int
    let hiddenSize: Int
    let layerCount: Int
    let directionCount: Int
    let dropout: Float
    var isTraining = true
    /// Draws the dropout masks between layers.
    var generator: RandomGenerator
    /// Indexed by layer · directionCount + direction, PyTorch's order.
    let weights: [RecurrentWeights]

    init(kind: RecurrentCell, inputSize: Int, hiddenSize: Int, layerCount: Int, dropout: Float,
         isBidirectional: Bool, generator: inout RandomGenerator) {
        precondition(inputSize > 0 && hiddenSize > 0 && layerCount > 0,
                     "recurrent layer sizes must be positive: inputSize \(inputSize), hiddenSize \(hiddenSize), layerCount \(layerCount)")
        precondition(dropout >= 0 && dropout < 1, "recurrent dropout \(dropout) must be in [0, 1)")
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.directionCount = isBidirectional ? 2 : 1
        self.dropout = dropout
        var weights: [RecurrentWeights] = []
        for layer in 0..<layerCount {
            for _ in 0..<directionCount {
                let size = layer == 0 ? inputSize : directionCount * hiddenSize
                weights.append(RecurrentWeights(gateCount: kind.gateCount, inputSize: size,
                                                hiddenSize: hiddenSize, generator: &generator))
            }
        }
        self.weights = weights
        self.generator = RandomGenerator(seed: generator.next())
    }

    /// The input width of `layer`: the stack's input, then the previous layer's directions side by side.
    func layerInputSize(_ layer: Int) -> Int { layer == 0 ? inputSize : directionCount * hiddenSize }

    func namedParameters() -> [(name: String, tensor: Tensor)] {
        var result: [(name: String, tensor: Tensor)] = []
        for (index, w) in weights.enumerated() {
            result += w.namedParameters(layer: index / directionCount, isReverse: index % directionCount == 1)
        }
        return result
    }

    /// Runs the stack over `input` [B, T, I]; see ``LSTM/callAsFunction(_:state:lengths:)``.
    func callAsFunction(_ input: Tensor, state: RecurrentState?, lengths: [Int]?,
                        repeatedRows: Int = 1) -> (output: Tensor, state: RecurrentState) {
        precondition(input.rank == 3 && input.shape[2] == inputSize,
                     "recurrent input has shape \(input.shape), expected [B, T, \(inputSize)]")
        let B = input.shape[0], T = input.shape[1], H = hiddenSize, D = directionCount
        precondition(repeatedRows >= 1 && B % repeatedRows == 0,
                     "a batch of \(B) rows cannot come in runs of \(repeatedRows) repeated rows")
        let rows = layerCount * D
        if let state { validatedState(state, rows: rows, batchSize: B, hiddenSize: H, needsCell: kind == .lstm) }
        if let lengths {
            precondition(lengths.count == B, "lengths has \(lengths.count) entries for a batch of \(B)")
            precondition(lengths.allSatisfy { $0 >= 0 && $0 <= T }, "lengths \(lengths) must lie in 0...\(T)")
        }
        let initialHidden = state?.hidden, initialCell = state?.cell
        let records = Tape.isRecording && (input.requiresGrad || initialHidden?.requiresGrad == true
            || initialCell?.requiresGrad == true || weights.contains { $0.requiresGrad })

        let h0 = Tensor.zeros([rows, B, H]), c0 = kind == .lstm ? Tensor.zeros([rows, B, H]) : nil
        if let initialHidden { copyDense(initialHidden, to: h0.data) }
        if let initialCell, let c0 { copyDense(initialCell, to: c0.data) }
        let finalHidden = Tensor(uninitializedShape: [rows, B, H])
        let finalCell = kind == .lstm ? Tensor(uninitializedShape: [rows, B, H]) : nil

        // Every layer's time-major input [T, B, I] and dropout mask, and every direction's trace,
        // kept for the backward pass.
        var layerInputs: [Tensor] = [], masks: [Tensor?] = [nil], traces: [DirectionTrace] = []
        var layerInput = Tensor(uninitializedShape: [T, B, inputSize])
        copyToTimeMajor(input, layerInput.data)
        var layerOutput = layerInput
        lengths.withUnsafeBufferPointerIfPresent { lengthPointer in
            for layer in 0..<layerCount {
                if records { layerInputs.append(layerInput) }
                layerOutput = Tensor(uninitializedShape: [T, B, D * H])
                for direction in 0..<D {
                    let index = layer * D + direction
                    let shape = SequenceShape(steps: T, batchSize: B, hiddenSize: H, inputSize: layerInputSize(layer),
                                              isReverse: direction == 1)
                    let trace = runDirection(kind, weights[index], shape: shape, input: layerInput.data,
                                             initialHidden: h0.data + index * B * H,
                                             initialCell: c0.map { $0.data + index * B * H },
                                             output: layerOutput.data + direction * H, outputStride: D * H,
                                             lengths: lengthPointer, inputRepeats: layer == 0 ? repeatedRows : 1)
                    (finalHidden.data + index * B * H).update(from: trace.hidden.data + shape.finalSlot * B * H, count: B * H)
                    if let finalCell, let cell = trace.cell {
                        (finalCell.data + index * B * H).update(from: cell.data + shape.finalSlot * B * H, count: B * H)
                    }
                    if records { traces.append(trace) }
                }
                guard layer + 1 < layerCount else { break }
                layerInput = layerOutput
                var mask: Tensor?
                if isTraining && dropout > 0 {
                    let m = Tensor(uninitializedShape: layerOutput.shape)
                    fillDropoutMask(m.data, count: m.count, probability: dropout, using: &generator)
                    // In place: nothing else reads a lower layer's unmasked output.
                    multiplyInPlace(layerInput.data, by: m.data, count: layerInput.count)
                    mask = m
                }
                masks.append(mask)
            }
        }
        let output = Tensor(uninitializedShape: [B, T, D * H])
        timeMajorToBatchMajor(layerOutput.data, output.data, steps: T, batchSize: B, columns: D * H, accumulate: false)
        let result = RecurrentState(hidden: finalHidden, cell: finalCell)
        guard records else { return (output, result) }

        Tape.record(output) { [self, layerInputs, masks, traces] g in
            let dy = Tensor(uninitializedShape: [T, B, D * H])
            copyToTimeMajor(g, dy.data)
            var outputGradient = dy
            let dh0 = initialHidden?.requiresGrad == true ? initialHidden!.gradientPointer() : nil
            let dc0 = initialCell?.requiresGrad == true ? initialCell!.gradientPointer() : nil
            let dhN = finalHidden.grad?.data, dcN = finalCell?.grad?.data
            lengths.withUnsafeBufferPointerIfPresent { lengthPointer in
                for layer in stride(from: layerCount - 1, through: 0, by: -1) {
                    let I = layerInputSize(layer)
                    let needsInput = layer > 0 || input.requiresGrad
                    let inputGradient = needsInput ? Tensor(uninitializedShape: [T, B, I]) : nil
                    for direction in 0..<D {
                        let index = layer * D + direction
                        let offset = index * B * H
                        let shape = SequenceShape(steps: T, batchSize: B, hiddenSize: H, inputSize: I,
                                                  isReverse: direction == 1)
                        let gradients = DirectionGradients(
                            output: outputGradient.data + direction * H, outputStride: D * H,
                            finalHidden: dhN.map { $0 + offset }, finalCell: dcN.map { $0 + offset },
                            initialHidden: dh0.map { $0 + offset }, initialCell: dc0.map { $0 + offset },
                            input: inputGradient?.data, accumulatesInput: direction > 0)
                        backpropagateDirection(kind, weights[index], shape: shape, trace: traces[index],
                                               input: layerInputs[layer].data, gradients: gradients,
                                               lengths: lengthPointer)
                    }
                    guard let inputGradient else { break }
                    if layer > 0 {
                        if let mask = masks[layer] { multiplyInPlace(inputGradient.data, by: mask.data, count: inputGradient.count) }
                        outputGradient = inputGradient
                    } else {
                        timeMajorToBatchMajor(inputGradient.data, input.gradientPointer(), steps: T, batchSize: B,
                                              columns: I, accumulate: true)
                    }
                }
            }
        }
        // The final states are outputs of the same op: a loss on them alone must still run its
        // backward, which reads their gradients, so they make sure `output` has one.
        Tape.record(finalHidden) { _ in _ = output.gradientPointer() }
        if let finalCell { Tape.record(finalCell) { _ in _ = output.gradientPointer() } }
        return (output, result)
    }
}

extension Optional where Wrapped == [Int] {
    /// Calls `body` with a pointer to the elements, or nil when there is no array.
    func withUnsafeBufferPointerIfPresent<R>(_ body: (UnsafePointer<Int>?) -> R) -> R {
        guard let array = self else { return body(nil) }
        return array.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}
