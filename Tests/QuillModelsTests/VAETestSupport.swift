import Foundation
@testable import QuillModels
import QuillTensor
import QuillText
import Testing
import TestSupport

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

    /// The `cases` of the PyTorch fixture `Fixtures/FOLDER/FOLDER.json`.
    static func fixtureCases<Case: Decodable>(_ folder: String) throws -> [Case] {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
            .appendingPathComponent(folder).appendingPathComponent("\(folder).json")
        return try JSONDecoder().decode(FixtureFile<Case>.self, from: Data(contentsOf: url)).cases
    }

    /// A fixture file: its cases under `cases`.
    struct FixtureFile<Case: Decodable>: Decodable { let cases: [Case] }

    /// Loads a fixture's `parameters`, by name, into `model`.
    static func load(_ parameters: [String: [Float]], into model: any SentenceModel) throws {
        var tensors: [String: Tensor] = [:]
        for (name, parameter) in model.namedParameters() {
            guard let values = parameters[name] else { throw FixtureError.missingParameter(name) }
            tensors[name] = Tensor(values, shape: parameter.shape)
        }
        try model.load(tensors)
    }

    /// Each parameter's gradient against the fixture's, element by element, within
    /// ``FixtureTolerance``: no element may pass as zero or with its sign flipped.
    static func expectGradientsMatch(_ model: any SentenceModel, _ gradients: [String: [Float]]) throws {
        for (name, parameter) in model.namedParameters() {
            guard let expected = gradients[name] else { throw FixtureError.missingParameter(name) }
            let actual = parameter.grad?.toArray() ?? Array(repeating: 0, count: parameter.count)
            let ratio = worstRatio(actual, expected, rtol: FixtureTolerance.rtol, atol: FixtureTolerance.atol)
            #expect(ratio <= 1, "gradient of \(name) differs from PyTorch (worst ratio \(ratio))")
        }
    }

    enum FixtureError: Error { case missingParameter(String) }
}
