import QuillNN
import QuillTensor

/// A character-level recurrent language model, as Karpathy's char-rnn: a token embedding, a
/// stack of LSTM or GRU layers with dropout between them, dropout on the top layer's output,
/// and a linear head to next-token logits.
///
/// Parameters carry the names of the PyTorch module in `Benchmarks/peers/char_rnn.py`
/// (`embedding.weight`, `rnn.weight_ih_l0`…, `head.weight`, `head.bias`), so weights move
/// between Quill and PyTorch unchanged.
public final class CharRNN: Module {
    /// The sizes this model was built with.
    public let configuration: Configuration
    /// The token embedding [V, E].
    public let embedding: Tensor
    /// The recurrent stack, an ``LSTM`` or a ``GRU``.
    public let recurrent: RecurrentLayer
    /// The output head: logits = h · Wᵀ + b, W [V, H].
    public let head: Linear
    /// Draws the dropout mask on the top layer's output; saved with a run so `--resume` is exact.
    public var generator: RandomGenerator
    /// Whether dropout is active.
    public private(set) var isTraining = true

    /// Creates a model initialized as its PyTorch peer: embedding ~ N(0, 1), recurrent weights
    /// and head ~ U(−1/√H, 1/√H).
    public init(configuration: Configuration, generator: inout RandomGenerator) {
        precondition(configuration.problem == nil, "invalid char-rnn configuration: \(configuration.problem!)")
        let c = configuration
        self.configuration = c
        embedding = Tensor.normal([c.vocabularySize, c.embeddingSize], using: &generator, requiresGrad: true)
        switch c.cell {
        case .lstm:
            recurrent = LSTM(inputSize: c.embeddingSize, hiddenSize: c.hiddenSize, layerCount: c.layerCount,
                             dropout: c.dropout, generator: &generator)
        case .gru:
            recurrent = GRU(inputSize: c.embeddingSize, hiddenSize: c.hiddenSize, layerCount: c.layerCount,
                            dropout: c.dropout, generator: &generator)
        }
        head = Linear(inputSize: c.hiddenSize, outputSize: c.vocabularySize, generator: &generator)
        self.generator = RandomGenerator(seed: generator.next())
    }

    /// The next-token logits [B, T, V] for `tokens` [B, T], starting from `state` (zeros when
    /// nil), and the state after the last token, to carry into the next batch.
    public func callAsFunction(_ tokens: IndexTensor, state: RecurrentState?) -> (logits: Tensor, state: RecurrentState) {
        precondition(tokens.rank == 2, "char-rnn input must be token ids [B, T], got shape \(tokens.shape)")
        let embedded = Tensor.embedding(embedding, indices: tokens)
        let (output, next) = recurrent(embedded, state: state, lengths: nil)
        let dropped = output.dropout(probability: configuration.dropout, isTraining: isTraining, using: &generator)
        return (head(dropped), next)
    }

    /// The mean cross-entropy [] of predicting `targets` [B, T] from `tokens` [B, T], and the
    /// state to carry into the next batch.
    public func loss(tokens: IndexTensor, targets: IndexTensor, state: RecurrentState?) -> (loss: Tensor, state: RecurrentState) {
        let (logits, next) = self(tokens, state: state)
        return (logits.crossEntropy(targets: targets), next)
    }

    /// The all-zero state for `batchSize` sequences.
    public func initialState(batchSize: Int) -> RecurrentState {
        .zeros(layerCount: configuration.layerCount, batchSize: batchSize, hiddenSize: configuration.hiddenSize,
               hasCell: configuration.cell == .lstm)
    }

    /// Every parameter under its PyTorch peer's name.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        [("embedding.weight", embedding)] + prefixed("rnn", recurrent.namedParameters())
            + prefixed("head", head.namedParameters())
    }

    /// Switches dropout on (training) or off (evaluation and generation).
    public func setTraining(_ training: Bool) {
        isTraining = training
        recurrent.setTraining(training)
    }
}

extension CharRNN {
    /// A char-rnn's sizes, coded with snake-case keys in the model file.
    public struct Configuration: Codable, Equatable, Sendable {
        /// The recurrent cell.
        public enum Cell: String, Codable, CaseIterable, Sendable {
            case lstm, gru
        }

        /// The recurrent cell of every layer.
        public var cell: Cell
        /// The number of token ids V, the tokenizer's specials included.
        public var vocabularySize: Int
        /// The width E of the token embedding.
        public var embeddingSize: Int
        /// The hidden units H per layer.
        public var hiddenSize: Int
        /// The number of stacked recurrent layers.
        public var layerCount: Int
        /// The dropout probability between layers and on the top layer's output, in training.
        public var dropout: Float

        enum CodingKeys: String, CodingKey {
            case cell, vocabularySize = "vocab_size", embeddingSize = "embedding_size", hiddenSize = "hidden_size"
            case layerCount = "layers", dropout
        }

        /// Creates a configuration; the defaults are char-rnn's (2 layers of 128).
        public init(cell: Cell = .lstm, vocabularySize: Int, embeddingSize: Int = 64, hiddenSize: Int = 128,
                    layerCount: Int = 2, dropout: Float = 0) {
            self.cell = cell
            self.vocabularySize = vocabularySize
            self.embeddingSize = embeddingSize
            self.hiddenSize = hiddenSize
            self.layerCount = layerCount
            self.dropout = dropout
        }

        /// Why these sizes cannot build a model, or nil when they can.
        public var problem: String? {
            if vocabularySize < 1 || embeddingSize < 1 || hiddenSize < 1 || layerCount < 1 {
                return "vocab_size, embedding_size, hidden_size and layers must all be positive"
            }
            if !(dropout >= 0 && dropout < 1) { return "dropout \(dropout) is not in [0, 1)" }
            return nil
        }

        /// The number of scalar parameters.
        public var parameterCount: Int {
            let gates = (cell == .lstm ? 4 : 3) * hiddenSize
            var recurrent = 0
            for layer in 0..<layerCount {
                let input = layer == 0 ? embeddingSize : hiddenSize
                recurrent += gates * (input + hiddenSize) + 2 * gates
            }
            return vocabularySize * embeddingSize + recurrent + vocabularySize * (hiddenSize + 1)
        }
    }
}
