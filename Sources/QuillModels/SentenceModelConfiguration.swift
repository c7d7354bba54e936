import QuillNN
import QuillTensor

/// The sizes and choices of a sentence model: the VAE, the hierarchical VAE and the LSTM LM
/// baseline share one configuration, so the baseline is the VAE's decoder with no latent.
public struct SentenceModelConfiguration: Codable, Equatable, Sendable {
    /// The recurrent cell of the encoder and decoder.
    public enum Cell: String, Codable, CaseIterable, Sendable {
        case lstm, gru
    }

    /// How the decoder sees the latent code.
    public enum Conditioning: String, Codable, CaseIterable, Sendable {
        /// z sets the decoder's initial state (h0, and c0 for an LSTM) through one Linear.
        case initialState = "initial-state"
        /// z is concatenated to the decoder's input at every step.
        case concat
    }

    /// Which latent levels of a hierarchical VAE the decoder reads.
    public enum DecoderLatents: String, Codable, CaseIterable, Sendable {
        /// Only the lowest level z₁, as in the Ladder VAE.
        case lowest
        /// Every level, concatenated.
        case all
    }

    /// The recurrent cell (`--cell`).
    public var cell: Cell
    /// The number of token ids, specials included.
    public var vocabularySize: Int
    /// The width of the shared token embedding (`--embedding-size`).
    public var embeddingSize: Int
    /// The hidden units of the encoder (per direction) and of the decoder (`--hidden-size`).
    public var hiddenSize: Int
    /// The dimensions of each latent level (`--latent-size`); unused by the LM.
    public var latentSize: Int
    /// Latent levels: 0 for the LM, 1 for the VAE, 2 or more for the HVAE (`--levels`).
    public var levels: Int
    /// Whether the encoder reads the sentence in both directions (`--bidirectional`).
    public var isBidirectional: Bool
    /// How the decoder is conditioned on z (`--conditioning`).
    public var conditioning: Conditioning
    /// Which HVAE levels condition the decoder (`--decoder-latents`).
    public var decoderLatents: DecoderLatents
    /// Dropout on embeddings and on the decoder's outputs while training (`--dropout`).
    public var dropout: Float
    /// Whether the output layer reuses the embedding as its weight (`--tie-embeddings`; Press &
    /// Wolf 2017), which needs `embeddingSize == hiddenSize`.
    public var tiesEmbeddings: Bool
    /// γ of the batch normalization of the posterior means (of the top level for the HVAE), or
    /// nil for none (`--posterior-batch-norm`; BN-VAE, Zhu et al. 2020).
    public var posteriorBatchNorm: Float?

    enum CodingKeys: String, CodingKey {
        case cell, vocabularySize = "vocab_size", embeddingSize = "embedding_size", hiddenSize = "hidden_size"
        case latentSize = "latent_size", levels, isBidirectional = "bidirectional", conditioning
        case decoderLatents = "decoder_latents", dropout, tiesEmbeddings = "tie_embeddings"
        case posteriorBatchNorm = "posterior_batch_norm"
    }

    /// Creates a configuration; the defaults are texar's PTB VAE sizes (hidden 256, z 32).
    public init(cell: Cell = .lstm, vocabularySize: Int, embeddingSize: Int = 256, hiddenSize: Int = 256,
                latentSize: Int = 32, levels: Int = 1, isBidirectional: Bool = false,
                conditioning: Conditioning = .initialState, decoderLatents: DecoderLatents = .lowest,
                dropout: Float = 0, tiesEmbeddings: Bool = false, posteriorBatchNorm: Float? = nil) {
        self.cell = cell
        self.vocabularySize = vocabularySize
        self.embeddingSize = embeddingSize
        self.hiddenSize = hiddenSize
        self.latentSize = latentSize
        self.levels = levels
        self.isBidirectional = isBidirectional
        self.conditioning = conditioning
        self.decoderLatents = decoderLatents
        self.dropout = dropout
        self.tiesEmbeddings = tiesEmbeddings
        self.posteriorBatchNorm = posteriorBatchNorm
    }


    /// The shared embedding [V, E], initialized as PyTorch's `nn.Embedding` (N(0, 1)), or from
    /// U(−0.1, 0.1) when it doubles as the output layer, whose logits N(0, 1) rows would make huge.
    func makeEmbedding(generator: inout RandomGenerator) -> Tensor {
        let shape = [vocabularySize, embeddingSize]
        return tiesEmbeddings ? Tensor.uniform(shape, low: -0.1, high: 0.1, using: &generator, requiresGrad: true)
            : Tensor.normal(shape, using: &generator, requiresGrad: true)
    }

    /// The batch normalization of `size` posterior means the configuration asks for, if any.
    func makePosteriorBatchNorm(size: Int) -> MeanBatchNorm? {
        posteriorBatchNorm.map { MeanBatchNorm(size: size, scale: $0) }
    }

    /// The width of the latent vector the decoder reads: 0 for the LM.
    var decoderLatentSize: Int {
        if levels == 0 { return 0 }
        return decoderLatents == .all ? levels * latentSize : latentSize
    }

    /// The width of the encoder's summary of a sentence: its final hidden state(s).
    var encoderFeatureSize: Int { (isBidirectional ? 2 : 1) * hiddenSize }

    /// Why these settings cannot build a model of `kind`, or nil when they can.
    public func problem(for kind: ModelKind) -> String? {
        if vocabularySize < 5 { return "the vocabulary has \(vocabularySize) ids; it needs the 4 specials and at least one word" }
        if embeddingSize < 1 || hiddenSize < 1 { return "--embedding-size and --hidden-size must be positive" }
        if !(dropout >= 0 && dropout < 1) { return "--dropout \(dropout) is not in [0, 1)" }
        if tiesEmbeddings && embeddingSize != hiddenSize {
            return "--tie-embeddings needs --embedding-size equal to --hidden-size, got \(embeddingSize) and \(hiddenSize)"
        }
        if let gamma = posteriorBatchNorm, !(gamma > 0 && gamma.isFinite) {
            return "--posterior-batch-norm must be a positive number, got \(gamma)"
        }
        switch kind {
        case .lm:
            if levels != 0 { return "an LM has no latent levels" }
            if posteriorBatchNorm != nil { return "an LM has no posterior to normalize" }
        case .vae:
            if levels != 1 { return "a flat VAE has exactly one latent level" }
            if latentSize < 1 { return "--latent-size must be positive" }
        case .hvae:
            if levels < 2 { return "--levels must be at least 2 for a hierarchical VAE, got \(levels)" }
            if latentSize < 1 { return "--latent-size must be positive" }
        default:
            return "\(kind.rawValue) is not a sentence model"
        }
        return nil
    }
}
