import Foundation
import QuillNN
import QuillTensor
import Testing
import TestSupport

@Suite struct GRUTests {
    @Test(arguments: RecurrentGradientCase.all)
    func gradientsMatchFiniteDifferences(_ c: RecurrentGradientCase) {
        let result = c.check(.gru)
        #expect(result.passed, "\(result)")
    }

    @Test func parametersFollowPyTorchLayout() {
        var generator = RandomGenerator(seed: 1)
        let gru = GRU(inputSize: 3, hiddenSize: 5, layerCount: 2, isBidirectional: true, generator: &generator)
        let named = gru.namedParameters()
        #expect(named.count == 16)
        #expect(named.prefix(4).map(\.name) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"])
        #expect(named.suffix(4).map(\.name)
            == ["weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse"])
        #expect(named.prefix(4).map(\.tensor.shape) == [[15, 3], [15, 5], [15], [15]])
        #expect(named.suffix(4).map(\.tensor.shape) == [[15, 10], [15, 5], [15], [15]])
    }

    @Test func stateHasNoCell() {
        var generator = RandomGenerator(seed: 3)
        let gru = GRU(inputSize: 3, hiddenSize: 4, layerCount: 2, generator: &generator)
        let (output, state) = gru(Tensor.uniform([2, 5, 3], using: &generator))
        #expect(output.shape == [2, 5, 4])
        #expect(state.hidden.shape == [2, 2, 4])
        #expect(state.cell == nil)
    }

    /// From a zero state the reset gate still scales b_hn, PyTorch's formula:
    /// n = tanh(W_in x + b_in + r ⊙ b_hn) and h' = (1 − z) ⊙ n.
    @Test func singleStepMatchesPyTorchFormula() {
        var generator = RandomGenerator(seed: 4)
        let gru = GRU(inputSize: 2, hiddenSize: 3, generator: &generator)
        let x: [Float] = [0.3, -0.7]
        let (output, _) = gru(Tensor(x, shape: [1, 1, 2]))
        let w = gru.weights[0]
        let wih = w.inputWeight.toArray(), bih = w.inputBias.toArray(), bhh = w.hiddenBias.toArray()
        func inputPart(_ row: Int) -> Float { wih[2 * row] * x[0] + wih[2 * row + 1] * x[1] + bih[row] }
        func sigmoid(_ v: Float) -> Float { 1 / (1 + exp(-v)) }
        for j in 0..<3 {
            let r = sigmoid(inputPart(j) + bhh[j]), z = sigmoid(inputPart(3 + j) + bhh[3 + j])
            let n = tanh(inputPart(6 + j) + r * bhh[6 + j])
            #expect(isClose(output[0, 0, j], (1 - z) * n, rtol: 1e-5, atol: 1e-6))
        }
    }
}
