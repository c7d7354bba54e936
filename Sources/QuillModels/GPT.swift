import QuillNN
import QuillTensor

/// A decoder-only Transformer language model, layer for layer as nanoGPT's `GPT`: token and
/// learned position embeddings, pre-LayerNorm blocks of causal self-attention and a GELU MLP,
/// a final LayerNorm, and an output head tied to the token embedding.
///
/// Parameters carry nanoGPT's state-dict names (`transformer.h.0.attn.c_attn.weight`…), so
/// weights move between Quill and PyTorch unchanged (see `GPT+Checkpoint.swift`).
public final class GPT: Module {
    /// The sizes this model was built with.
    public let configuration: Configuration
    /// The token embedding `wte` [V, C], also the output head's weight.
    public let tokenEmbedding: Tensor
    /// The position embedding `wpe` [blockSize, C].
    public let positionEmbedding: Tensor
    /// The Transformer blocks `h.0`, `h.1`, …
    let blocks: [GPTBlock]
    /// The final LayerNorm `ln_f`.
    let finalNorm: GPTLayerNorm
    /// Whether dropout is active.
    public private(set) var isTraining = true

    /// Creates a model initialized as nanoGPT: every weight matrix and embedding ~ N(0, 0.02),
    /// the two residual projections per block (`c_proj`) ~ N(0, 0.02/√(2·n_layer)), biases 0,
    /// LayerNorm gains 1.
    ///
    /// The smaller residual projections (GPT-2, Radford et al. 2019) keep the residual stream's
    /// variance from growing with depth.
    public init(configuration: Configuration, generator: inout RandomGenerator) {
        let c = configuration, width = c.embeddingSize
        self.configuration = c
        func normal(_ shape: [Int], _ deviation: Float = 0.02) -> Tensor {
            Tensor.normal(shape, standardDeviation: deviation, using: &generator, requiresGrad: true)
        }
        func linear(_ inputSize: Int, _ outputSize: Int, deviation: Float = 0.02) -> Linear {
            Linear(weight: normal([outputSize, inputSize], deviation),
                   bias: c.bias ? Tensor.zeros([outputSize], requiresGrad: true) : nil)
        }
        let residualDeviation = 0.02 / Float(2 * c.layerCount).squareRoot()
        tokenEmbedding = normal([c.vocabularySize, width])
        positionEmbedding = normal([c.blockSize, width])
        var blocks: [GPTBlock] = []
        for _ in 0..<c.layerCount {
            let attention = CausalSelfAttention(inputProjection: linear(width, 3 * width),
                                                outputProjection: linear(width, width, deviation: residualDeviation),
                                                headCount: c.headCount, dropoutProbability: c.dropout)
            let mlp = GPTFeedForward(expansion: linear(width, 4 * width),
                                     projection: linear(4 * width, width, deviation: residualDeviation),
                                     dropoutProbability: c.dropout)
            blocks.append(GPTBlock(firstNorm: GPTLayerNorm(width: width, bias: c.bias), attention: attention,
                                   secondNorm: GPTLayerNorm(width: width, bias: c.bias), mlp: mlp))
        }
        self.blocks = blocks
        finalNorm = GPTLayerNorm(width: width, bias: c.bias)
    }

    /// The next-token logits [B, T, V] for `tokens` [B, T], T ≤ `blockSize`; `generator` seeds dropout.
    public func callAsFunction(_ tokens: IndexTensor, generator: inout RandomGenerator) -> Tensor {
        precondition(tokens.rank == 2, "GPT input must be token ids [B, T], got shape \(tokens.shape)")
        let length = tokens.shape[1]
        precondition(length <= configuration.blockSize,
                     "sequence of length \(length) is longer than block_size \(configuration.blockSize)")
        let positions = positionEmbedding.sliced(axis: 0, range: 0..<length)
        var x = (Tensor.embedding(tokenEmbedding, indices: tokens) + positions)
            .dropout(probability: configuration.dropout, isTraining: isTraining, using: &generator)
        for block in blocks { x = block(x, generator: &generator) }
        return finalNorm(x).matmul(tokenEmbedding.transposed())
    }

    /// The mean cross-entropy [] of predicting `targets` [B, T] from `tokens` [B, T]; targets of
    /// -1 are ignored, as in nanoGPT.
    public func loss(tokens: IndexTensor, targets: IndexTensor, generator: inout RandomGenerator) -> Tensor {
        self(tokens, generator: &generator).crossEntropy(targets: targets, ignoreIndex: -1)
    }

    /// Every parameter under its nanoGPT name, without the tied `lm_head.weight`.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var result: [(name: String, tensor: Tensor)] = [
            ("transformer.wte.weight", tokenEmbedding), ("transformer.wpe.weight", positionEmbedding),
        ]
        for (index, block) in blocks.enumerated() {
            result += prefixed("transformer.h.\(index)", block.namedParameters())
        }
        return result + prefixed("transformer.ln_f", finalNorm.namedParameters())
    }

    /// Switches dropout on (training) or off (evaluation and generation).
    public func setTraining(_ training: Bool) {
        isTraining = training
        for block in blocks { block.setTraining(training) }
    }
}

/// One pre-LayerNorm Transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)).
final class GPTBlock: Module {
    let firstNorm: GPTLayerNorm
    let attention: CausalSelfAttention
    let secondNorm: GPTLayerNorm
    let mlp: GPTFeedForward

    init(firstNorm: GPTLayerNorm, attention: CausalSelfAttention, secondNorm: GPTLayerNorm, mlp: GPTFeedForward) {
        self.firstNorm = firstNorm
        self.attention = attention
        self.secondNorm = secondNorm
        self.mlp = mlp
    }

    /// [B, T, C] → [B, T, C].
    func callAsFunction(_ x: Tensor, generator: inout RandomGenerator) -> Tensor {
        let attended = x + attention(firstNorm(x), generator: &generator)
        return attended + mlp(secondNorm(attended), generator: &generator)
    }

    func namedParameters() -> [(name: String, tensor: Tensor)] {
        prefixed("ln_1", firstNorm.namedParameters()) + prefixed("attn", attention.namedParameters())
            + prefixed("ln_2", secondNorm.namedParameters()) + prefixed("mlp", mlp.namedParameters())
    }

    func setTraining(_ training: Bool) {
        attention.setTraining(training)
        mlp.setTraining(training)
    }
}

/// A LayerNorm over the last axis with a gain [C] and an optional bias [C], as PyTorch's
/// `nn.LayerNorm(C, bias:)` with ε = 1e-5.
final class GPTLayerNorm: Module {
    let weight: Tensor
    let bias: Tensor?

    init(width: Int, bias: Bool) {
        weight = Tensor.ones([width], requiresGrad: true)
        self.bias = bias ? Tensor.zeros([width], requiresGrad: true) : nil
    }

    /// [..., C] → [..., C].
    func callAsFunction(_ x: Tensor) -> Tensor { x.layerNormalized(weight: weight, bias: bias) }

    func namedParameters() -> [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}

extension GPT {
    /// A GPT's sizes, coded with nanoGPT's `GPTConfig` field names.
    public struct Configuration: Codable, Equatable, Sendable {
        /// The number of Transformer blocks (`n_layer`).
        public var layerCount: Int
        /// The number of attention heads per block (`n_head`).
        public var headCount: Int
        /// The width C of the residual stream (`n_embd`); a multiple of `headCount`.
        public var embeddingSize: Int
        /// The longest context the model attends over (`block_size`).
        public var blockSize: Int
        /// Whether Linear and LayerNorm layers have biases (`bias`).
        public var bias: Bool
        /// The dropout probability in training (`dropout`).
        public var dropout: Float
        /// The number of token ids (`vocab_size`).
        public var vocabularySize: Int

        enum CodingKeys: String, CodingKey {
            case layerCount = "n_layer", headCount = "n_head", embeddingSize = "n_embd", blockSize = "block_size"
            case bias, dropout, vocabularySize = "vocab_size"
        }

        /// Creates a configuration; nanoGPT's defaults are GPT-2 small, these are its Shakespeare CPU sizes.
        public init(layerCount: Int = 4, headCount: Int = 4, embeddingSize: Int = 128, blockSize: Int = 64,
                    bias: Bool = false, dropout: Float = 0, vocabularySize: Int) {
            self.layerCount = layerCount
            self.headCount = headCount
            self.embeddingSize = embeddingSize
            self.blockSize = blockSize
            self.bias = bias
            self.dropout = dropout
            self.vocabularySize = vocabularySize
        }

        /// Why these sizes cannot build a model, or nil when they can.
        public var problem: String? {
            if layerCount < 1 || headCount < 1 || embeddingSize < 1 || blockSize < 1 || vocabularySize < 1 {
                return "n_layer, n_head, n_embd, block_size and vocab_size must all be positive"
            }
            if embeddingSize % headCount != 0 { return "n_embd \(embeddingSize) is not a multiple of n_head \(headCount)" }
            if !(dropout >= 0 && dropout < 1) { return "dropout \(dropout) is not in [0, 1)" }
            return nil
        }

        /// The parameter count, embeddings included, the tied head counted once.
        public var parameterCount: Int {
            let c = embeddingSize, norms = bias ? 2 * c : c
            let perBlock = 12 * c * c + 2 * norms + (bias ? 9 * c : 0)
            return vocabularySize * c + blockSize * c + layerCount * perBlock + norms
        }
    }
}
