import QuillNN
import QuillTensor

/// Reads embedded sentences into fixed-size summaries: an LSTM or GRU whose final hidden state
/// at each sentence's last real step (both directions side by side when bidirectional) is the
/// summary the posterior is computed from.
final class SentenceEncoder {
    /// The recurrent layer, `encoder.*` in checkpoints (PyTorch's `nn.LSTM`/`nn.GRU` names).
    let rnn: RecurrentLayer

    /// Creates the layer with PyTorch's initialization.
    init(configuration c: SentenceModelConfiguration, generator: inout RandomGenerator) {
        switch c.cell {
        case .lstm:
            rnn = LSTM(inputSize: c.embeddingSize, hiddenSize: c.hiddenSize, isBidirectional: c.isBidirectional,
                       generator: &generator)
        case .gru:
            rnn = GRU(inputSize: c.embeddingSize, hiddenSize: c.hiddenSize, isBidirectional: c.isBidirectional,
                      generator: &generator)
        }
    }

    /// The summaries [B, directions·H] of `embedded` [B, T, E], sentence b ending after `lengths[b]` steps.
    func callAsFunction(_ embedded: Tensor, lengths: [Int]) -> Tensor {
        let (_, state) = rnn(embedded, state: nil, lengths: lengths)
        let forward = state.hidden.selecting(0, axis: 0)
        guard rnn.directionCount == 2 else { return forward }
        return Tensor.concatenate([forward, state.hidden.selecting(1, axis: 0)], axis: 1)
    }

    /// The layer's parameters under `encoder.`.
    func namedParameters() -> [(name: String, tensor: Tensor)] {
        prefixed("encoder", rnn.namedParameters())
    }
}
