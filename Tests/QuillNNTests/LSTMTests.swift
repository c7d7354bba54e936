import Foundation
import QuillNN
import QuillTensor
import Testing
import TestSupport

@Suite struct LSTMTests {
    @Test(arguments: RecurrentGradientCase.all)
    func gradientsMatchFiniteDifferences(_ c: RecurrentGradientCase) {
        let result = c.check(.lstm)
        #expect(result.passed, "\(result)")
    }

    @Test func parametersFollowPyTorchLayout() {
        var generator = RandomGenerator(seed: 1)
        let lstm = LSTM(inputSize: 3, hiddenSize: 5, layerCount: 2, isBidirectional: true, generator: &generator)
        let expected: [(String, [Int])] = [
            ("weight_ih_l0", [20, 3]), ("weight_hh_l0", [20, 5]), ("bias_ih_l0", [20]), ("bias_hh_l0", [20]),
            ("weight_ih_l0_reverse", [20, 3]), ("weight_hh_l0_reverse", [20, 5]),
            ("bias_ih_l0_reverse", [20]), ("bias_hh_l0_reverse", [20]),
            ("weight_ih_l1", [20, 10]), ("weight_hh_l1", [20, 5]), ("bias_ih_l1", [20]), ("bias_hh_l1", [20]),
            ("weight_ih_l1_reverse", [20, 10]), ("weight_hh_l1_reverse", [20, 5]),
            ("bias_ih_l1_reverse", [20]), ("bias_hh_l1_reverse", [20]),
        ]
        let named = lstm.namedParameters()
        #expect(named.map(\.name) == expected.map(\.0))
        #expect(named.map(\.tensor.shape) == expected.map(\.1))
        #expect(named.allSatisfy { $0.tensor.requiresGrad })
    }

    @Test func initializationIsPyTorchUniform() {
        var generator = RandomGenerator(seed: 2)
        let lstm = LSTM(inputSize: 7, hiddenSize: 16, layerCount: 2, generator: &generator)
        let values = lstm.parameters.flatMap { $0.toArray() }
        let bound: Float = 0.25
        #expect(values.allSatisfy { abs($0) <= bound })
        // U(-b, b) has variance b²/3; with 2,176 draws the sample variance lands within 10%.
        let variance = values.reduce(0) { $0 + $1 * $1 } / Float(values.count)
        #expect(abs(variance - bound * bound / 3) < 0.1 * bound * bound / 3)
    }

    @Test func stateHasCellAndShapes() {
        var generator = RandomGenerator(seed: 3)
        let lstm = LSTM(inputSize: 3, hiddenSize: 4, layerCount: 2, isBidirectional: true, generator: &generator)
        let x = Tensor.uniform([5, 6, 3], low: -1, high: 1, using: &generator)
        let (output, state) = lstm(x)
        #expect(output.shape == [5, 6, 8])
        #expect(state.hidden.shape == [4, 5, 4])
        #expect(state.cell?.shape == [4, 5, 4])
    }

    /// With one layer, one direction and one step from a zero state, h = o ⊙ tanh(i ⊙ g).
    @Test func singleStepMatchesClosedForm() {
        var generator = RandomGenerator(seed: 4)
        let lstm = LSTM(inputSize: 2, hiddenSize: 3, generator: &generator)
        let x: [Float] = [0.3, -0.7]
        let (output, state) = lstm(Tensor(x, shape: [1, 1, 2]))
        let w = lstm.weights[0]
        let wih = w.inputWeight.toArray(), bih = w.inputBias.toArray(), bhh = w.hiddenBias.toArray()
        func preactivation(_ row: Int) -> Float { wih[2 * row] * x[0] + wih[2 * row + 1] * x[1] + bih[row] + bhh[row] }
        func sigmoid(_ v: Float) -> Float { 1 / (1 + exp(-v)) }
        for j in 0..<3 {
            let i = sigmoid(preactivation(j)), g = tanh(preactivation(6 + j)), o = sigmoid(preactivation(9 + j))
            let c = i * g
            #expect(isClose(state.cell![0, 0, j], c, rtol: 1e-5, atol: 1e-6))
            #expect(isClose(output[0, 0, j], o * tanh(c), rtol: 1e-5, atol: 1e-6))
        }
    }
}

