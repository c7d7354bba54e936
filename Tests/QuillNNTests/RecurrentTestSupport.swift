import QuillNN
import QuillTensor
import Testing
import TestSupport

/// The cell a recurrent test case builds.
enum Cell: String, CustomTestStringConvertible, Sendable, CaseIterable {
    case lstm, gru
    var testDescription: String { rawValue }
}

/// Builds an LSTM or GRU stack with weights drawn from `seed`.
func makeRecurrentLayer(_ cell: Cell, inputSize: Int, hiddenSize: Int, layerCount: Int = 1,
                        dropout: Float = 0, isBidirectional: Bool = false, seed: UInt64 = 1) -> RecurrentLayer {
    var generator = RandomGenerator(seed: seed)
    switch cell {
    case .lstm:
        return LSTM(inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, dropout: dropout,
                    isBidirectional: isBidirectional, generator: &generator)
    case .gru:
        return GRU(inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount, dropout: dropout,
                   isBidirectional: isBidirectional, generator: &generator)
    }
}

/// What a gradient check differentiates: the outputs, the final state, or both.
enum GradientTarget: Sendable {
    case outputAndState, outputOnly, stateOnly
}

/// One gradient-check configuration of a recurrent stack.
struct RecurrentGradientCase: CustomTestStringConvertible, Sendable {
    let name: String
    var batchSize = 2, steps = 3, inputSize = 3, hiddenSize = 4
    var layerCount = 1
    var isBidirectional = false
    var lengths: [Int]? = nil
    var hasInitialState = true
    /// Whether the initial state is a transposed view of a [B, layers·directions, H] tensor.
    var stateIsView = false
    var dropout: Float = 0
    var target = GradientTarget.outputAndState
    var testDescription: String { name }

    /// The cases both cells are checked on.
    static let all: [RecurrentGradientCase] = [
        .init(name: "1 layer"),
        .init(name: "2 layers", layerCount: 2),
        .init(name: "bidirectional", isBidirectional: true),
        .init(name: "2 layers bidirectional", layerCount: 2, isBidirectional: true),
        .init(name: "lengths (padding)", lengths: [3, 1]),
        .init(name: "lengths, 2 layers bidirectional", layerCount: 2, isBidirectional: true, lengths: [2, 3]),
        .init(name: "no initial state", hasInitialState: false),
        .init(name: "initial state is a transposed view", layerCount: 2, stateIsView: true),
        .init(name: "final state only", layerCount: 2, target: .stateOnly),
        .init(name: "output only", isBidirectional: true, target: .outputOnly),
        .init(name: "dropout between layers", layerCount: 2, dropout: 0.3),
        .init(name: "hidden size 10 (SIMD chunk and tail)", batchSize: 2, steps: 2, inputSize: 2, hiddenSize: 10),
        .init(name: "batch 1 (matrix-vector products)", batchSize: 1, layerCount: 2),
    ]

    /// Checks every gradient of `cell` under this configuration against finite differences.
    func check(_ cell: Cell) -> GradientCheckResult {
        let layer = makeRecurrentLayer(cell, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount,
                                       dropout: dropout, isBidirectional: isBidirectional, seed: 3)
        var generator = RandomGenerator(seed: 11)
        let rows = layerCount * (isBidirectional ? 2 : 1)
        let stateShape = stateIsView ? [batchSize, rows, hiddenSize] : [rows, batchSize, hiddenSize]
        let x = Tensor.uniform([batchSize, steps, inputSize], low: -1, high: 1, using: &generator)
        var stateInputs: [Tensor] = []
        if hasInitialState {
            stateInputs.append(Tensor.uniform(stateShape, low: -1, high: 1, using: &generator))
            if cell == .lstm { stateInputs.append(Tensor.uniform(stateShape, low: -1, high: 1, using: &generator)) }
        }
        let dropoutGenerator = RandomGenerator(seed: 5)
        return checkGradients([x] + stateInputs + layer.parameters) { inputs in
            // The same masks in every evaluation, so finite differences see one function.
            layer.generator = dropoutGenerator
            var state: RecurrentState?
            if hasInitialState {
                let tensors = inputs[1...stateInputs.count].map { stateIsView ? $0.transposed(0, 1) : $0 }
                state = RecurrentState(hidden: tensors[0], cell: tensors.count > 1 ? tensors[1] : nil)
            }
            let (output, final) = layer(inputs[0], state: state, lengths: lengths)
            let finalParts = [final.hidden, final.cell].compactMap { $0 }
            let parts: [Tensor]
            switch target {
            case .outputAndState: parts = [output] + finalParts
            case .outputOnly: parts = [output]
            case .stateOnly: parts = finalParts
            }
            return Tensor.concatenate(parts.map { $0.reshaped(to: [-1]) }, axis: 0)
        }
    }
}
