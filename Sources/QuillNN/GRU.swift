import QuillTensor

/// A stack of gated recurrent unit layers, laid out and initialized like PyTorch's `nn.GRU`
/// with `batch_first=True`.
///
/// The gates follow PyTorch's formula, where the reset gate scales the whole hidden-side term:
/// n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)) and h' = (1 − z) ⊙ n + z ⊙ h.
public final class GRU: RecurrentLayer {
    /// Creates the layers with PyTorch's initialization, U(−1/√hiddenSize, 1/√hiddenSize).
    ///
    /// `dropout` is the probability of zeroing each output of every layer but the last while
    /// training. The dropout masks come from a generator seeded from `generator`.
    public init(inputSize: Int, hiddenSize: Int, layerCount: Int = 1, dropout: Float = 0,
                isBidirectional: Bool = false, generator: inout RandomGenerator) {
        super.init(kind: .gru, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount,
                   dropout: dropout, isBidirectional: isBidirectional, generator: &generator)
    }
}
