import QuillTensor

/// A stack of long short-term memory layers, laid out and initialized like PyTorch's `nn.LSTM`
/// with `batch_first=True`. Its state carries the cell state c beside h.
public final class LSTM: RecurrentLayer {
    /// Creates the layers with PyTorch's initialization, U(−1/√hiddenSize, 1/√hiddenSize).
    ///
    /// `dropout` is the probability of zeroing each output of every layer but the last while
    /// training. The dropout masks come from a generator seeded from `generator`.
    public init(inputSize: Int, hiddenSize: Int, layerCount: Int = 1, dropout: Float = 0,
                isBidirectional: Bool = false, generator: inout RandomGenerator) {
        super.init(kind: .lstm, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount,
                   dropout: dropout, isBidirectional: isBidirectional, generator: &generator)
    }
}
