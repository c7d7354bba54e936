import QuillTensor

/// The cell a recurrent layer stack runs.
enum RecurrentCell {
    case lstm, gru

    /// Gates per hidden unit: 4 for the LSTM (i, f, g, o), 3 for the GRU (r, z, n).
    var gateCount: Int { self == .lstm ? 4 : 3 }
}

/// The parameters of one direction of one recurrent layer, in PyTorch's layout.
///
/// G is 4 for an ``LSTM`` (gates i, f, g, o) and 3 for a ``GRU`` (gates r, z, n); each gate's
/// rows form one block of H rows, in that order.
public struct RecurrentWeights {
    /// `weight_ih_l{k}` [G·H, I], applied to the layer's input.
    public let inputWeight: Tensor
    /// `weight_hh_l{k}` [G·H, H], applied to the previous hidden state.
    public let hiddenWeight: Tensor
    /// `bias_ih_l{k}` [G·H].
    public let inputBias: Tensor
    /// `bias_hh_l{k}` [G·H].
    public let hiddenBias: Tensor

    /// Draws every parameter from U(−1/√H, 1/√H), PyTorch's default, in PyTorch's order.
    init(gateCount: Int, inputSize: Int, hiddenSize: Int, generator: inout RandomGenerator) {
        let bound = 1 / Float(hiddenSize).squareRoot()
        let rows = gateCount * hiddenSize
        func draw(_ shape: [Int]) -> Tensor {
            Tensor.uniform(shape, low: -bound, high: bound, using: &generator, requiresGrad: true)
        }
        inputWeight = draw([rows, inputSize])
        hiddenWeight = draw([rows, hiddenSize])
        inputBias = draw([rows])
        hiddenBias = draw([rows])
    }

    /// The four tensors with their checkpoint names, `weight_ih_l{layer}{suffix}` and so on.
    func namedParameters(layer: Int, isReverse: Bool) -> [(name: String, tensor: Tensor)] {
        let suffix = "_l\(layer)" + (isReverse ? "_reverse" : "")
        return [("weight_ih" + suffix, inputWeight), ("weight_hh" + suffix, hiddenWeight),
                ("bias_ih" + suffix, inputBias), ("bias_hh" + suffix, hiddenBias)]
    }

    /// Whether any of the four tensors takes gradients.
    var requiresGrad: Bool {
        inputWeight.requiresGrad || hiddenWeight.requiresGrad || inputBias.requiresGrad || hiddenBias.requiresGrad
    }
}
