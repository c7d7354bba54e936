import Foundation
@testable import QuillModels
import QuillTensor
import Testing
import TestSupport

/// One case of Fixtures/vae/vae.json, written by make_fixture.py from the PyTorch peer
/// (Benchmarks/peers/vae.py): the same weights, batch, word dropout and noise, and the
/// resulting loss terms and gradients.
struct VAEFixture: Decodable, CustomTestStringConvertible, Sendable {
    let name, cell, conditioning: String
    let vocabulary, embedding, hidden, latent, steps: Int
    let bidirectional: Bool
    let klWeight, beta, freeBits: Float
    let sentences: [[Int]]
    let decoderInput: [Int]
    let noise: [Float]
    let parameterNames: [String]
    let parameters: [String: [Float]]
    let reconstruction, objective: Float
    let klPerDimension: [Float]
    let gradients: [String: [Float]]

    var testDescription: String { name }

    enum CodingKeys: String, CodingKey {
        case name, cell, conditioning, vocabulary, embedding, hidden, latent, steps, bidirectional
        case klWeight = "kl_weight", beta, freeBits = "free_bits", sentences, decoderInput = "decoder_input", noise
        case parameterNames = "parameter_names", parameters, reconstruction, objective
        case klPerDimension = "kl_per_dimension", gradients
    }

    static func load() throws -> [VAEFixture] { try VAETestSupport.fixtureCases("vae") }
}

@Suite struct VAEFixtureTests {
    /// Every loss term and gradient element within ``FixtureTolerance``.
    @Test(arguments: try VAEFixture.load())
    func lossTermsAndGradientsMatchPyTorch(_ f: VAEFixture) throws {
        let configuration = VAETestSupport.configuration(
            cell: try #require(SentenceModelConfiguration.Cell(rawValue: f.cell)), vocabularySize: f.vocabulary,
            latentSize: f.latent, bidirectional: f.bidirectional,
            conditioning: try #require(SentenceModelConfiguration.Conditioning(rawValue: f.conditioning)),
            embeddingSize: f.embedding, hiddenSize: f.hidden)
        let model = try #require(VAETestSupport.model(.vae, configuration) as? SentenceVAE)
        #expect(model.namedParameters().map(\.name) == f.parameterNames)
        try VAETestSupport.load(f.parameters, into: model)

        let batch = SentenceBatch(sentences: f.sentences)
        #expect(batch.steps == f.steps)
        let input = IndexTensor(f.decoderInput, shape: [f.sentences.count, f.steps])
        var generator = RandomGenerator(seed: 0)
        let terms = model.lossTerms(for: batch, decoderInput: input, noise: Tensor(f.noise, shape: [f.sentences.count, f.latent]),
                                    generator: &generator)
        let objective = terms.objective(klWeight: f.klWeight, beta: f.beta, freeBits: f.freeBits)
        let (rtol, atol) = (FixtureTolerance.rtol, FixtureTolerance.atol)
        #expect(isClose(terms.reconstruction.scalar, f.reconstruction, rtol: rtol, atol: atol))
        #expect(worstRatio(terms.klPerDimension[0].toArray(), f.klPerDimension, rtol: rtol, atol: atol) <= 1)
        #expect(isClose(objective.scalar, f.objective, rtol: rtol, atol: atol))

        model.zeroGradients()
        objective.backward()
        try VAETestSupport.expectGradientsMatch(model, f.gradients)
    }

    @Test func tiedEmbeddingsActAsOneSharedWeight() throws {
        let untied = VAETestSupport.model(.vae, VAETestSupport.configuration(embeddingSize: 9)) as! SentenceVAE
        let tied = VAETestSupport.model(.vae, VAETestSupport.configuration(embeddingSize: 9, tiesEmbeddings: true)) as! SentenceVAE
        #expect(!tied.namedParameters().contains { $0.name == "output.weight" })
        var weights: [String: Tensor] = [:]
        for (name, tensor) in tied.namedParameters() { weights[name] = tensor }
        weights["output.weight"] = tied.embedding
        try untied.load(weights)
        func run(_ model: SentenceVAE) -> Float {
            var generator = RandomGenerator(seed: 3)
            let terms = model.lossTerms(for: SentenceBatch(sentences: VAETestSupport.sentences), wordDropout: 0,
                                        generator: &generator)
            let objective = terms.objective(klWeight: 1, beta: 1, freeBits: 0)
            model.zeroGradients()
            objective.backward()
            return objective.scalar
        }
        #expect(isClose(run(tied), run(untied), rtol: 1e-6))
        let output = try #require(untied.namedParameters().first { $0.name == "output.weight" }?.tensor.grad)
        let sum = zip(untied.embedding.grad!.toArray(), output.toArray()).map { $0 + $1 }
        #expect(worstRatio(tied.embedding.grad!.toArray(), sum, rtol: 1e-5, atol: 1e-6) <= 1)
    }
}
