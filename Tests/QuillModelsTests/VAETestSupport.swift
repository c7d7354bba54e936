@testable import QuillModels
import QuillTensor
import QuillText

/// Small models and data shared by the VAE test suites.
enum VAETestSupport {
    /// A whitespace tokenizer over the specials and `w4`…`w{size-1}`, so id n spells `wn`.
    static func tokenizer(size: Int) -> any Tokenizer {
        let vocabulary = try! Vocabulary(settings: .defaults(for: .whitespace), tokens: (4..<size).map { "w\($0)" })
        return try! WhitespaceTokenizer(vocabulary: vocabulary)
    }

    /// A tiny configuration; H = 9 exercises the kernels' 8-lane chunks and a tail.
    static func configuration(cell: SentenceModelConfiguration.Cell = .lstm, vocabularySize: Int = 13, latentSize: Int = 3,
                              levels: Int = 1, bidirectional: Bool = false,
                              conditioning: SentenceModelConfiguration.Conditioning = .initialState,
                              decoderLatents: SentenceModelConfiguration.DecoderLatents = .lowest,
                              embeddingSize: Int = 5, hiddenSize: Int = 9, tiesEmbeddings: Bool = false) -> SentenceModelConfiguration {
        SentenceModelConfiguration(cell: cell, vocabularySize: vocabularySize, embeddingSize: embeddingSize,
                                   hiddenSize: hiddenSize, latentSize: latentSize, levels: levels,
                                   isBidirectional: bidirectional, conditioning: conditioning,
                                   decoderLatents: decoderLatents, tiesEmbeddings: tiesEmbeddings)
    }

    /// A model of `kind` built from `configuration` with a fixed seed, dropout off.
    static func model(_ kind: ModelKind, _ configuration: SentenceModelConfiguration, seed: UInt64 = 5) -> any SentenceModel {
        var generator = RandomGenerator(seed: seed)
        let tokenizer = tokenizer(size: configuration.vocabularySize)
        let model: any SentenceModel = switch kind {
        case .vae: SentenceVAE(configuration: configuration, tokenizer: tokenizer, generator: &generator)
        case .hvae: HierarchicalVAE(configuration: configuration, tokenizer: tokenizer, generator: &generator)
        default: SentenceLM(configuration: configuration, tokenizer: tokenizer, generator: &generator)
        }
        model.setTraining(false)
        return model
    }

    /// Three sentences of different lengths over ids 4…12.
    static let sentences = [[4, 7, 5, 12], [9], [6, 4, 11]]
}
