import Foundation
@testable import QuillModels
import QuillTensor
import Testing
import TestSupport

/// One case of Fixtures/hvae/hvae.json, written in float64 by make_fixture.py from a PyTorch
/// Ladder VAE around the flat VAE's peer (Benchmarks/peers/vae.py): the same weights, batch,
/// word dropout and noise of every level, and the resulting loss terms and gradients.
struct HierarchicalVAEFixture: Decodable, CustomTestStringConvertible, Sendable {
    let name, cell, conditioning, decoderLatents: String
    let vocabulary, embedding, hidden, latent, levels, steps: Int
    let bidirectional: Bool
    let klWeight, beta, freeBits: Float
    let sentences: [[Int]]
    let decoderInput: [Int]
    let noise: [[Float]]
    let parameterNames: [String]
    let parameters: [String: [Float]]
    let reconstruction, objective: Float
    let klPerDimension: [[Float]]
    let gradients: [String: [Float]]

    var testDescription: String { name }

    enum CodingKeys: String, CodingKey {
        case name, cell, conditioning, decoderLatents = "decoder_latents", vocabulary, embedding, hidden, latent, levels
        case steps, bidirectional, klWeight = "kl_weight", beta, freeBits = "free_bits", sentences
        case decoderInput = "decoder_input", noise, parameterNames = "parameter_names", parameters, reconstruction
        case objective, klPerDimension = "kl_per_dimension", gradients
    }

    static func load() throws -> [HierarchicalVAEFixture] { try VAETestSupport.fixtureCases("hvae") }
}

@Suite struct VAEHierarchyFixtureTests {
    /// Every loss term and every parameter's gradient, element by element, within
    /// ``FixtureTolerance``: no gradient element could be zero or of the wrong sign.
    @Test(arguments: try HierarchicalVAEFixture.load())
    func lossTermsAndGradientsMatchPyTorch(_ f: HierarchicalVAEFixture) throws {
        let configuration = VAETestSupport.configuration(
            cell: try #require(SentenceModelConfiguration.Cell(rawValue: f.cell)), vocabularySize: f.vocabulary,
            latentSize: f.latent, levels: f.levels, bidirectional: f.bidirectional,
            conditioning: try #require(SentenceModelConfiguration.Conditioning(rawValue: f.conditioning)),
            decoderLatents: try #require(SentenceModelConfiguration.DecoderLatents(rawValue: f.decoderLatents)),
            embeddingSize: f.embedding, hiddenSize: f.hidden)
        let model = try #require(VAETestSupport.model(.hvae, configuration) as? HierarchicalVAE)
        let names = model.namedParameters().map(\.name)
        #expect(names.sorted() == f.parameterNames.sorted())
        try VAETestSupport.load(f.parameters, into: model)

        let batch = SentenceBatch(sentences: f.sentences)
        #expect(batch.steps == f.steps)
        let input = IndexTensor(f.decoderInput, shape: [f.sentences.count, f.steps])
        let noise = f.noise.map { Tensor($0, shape: [f.sentences.count, f.latent]) }
        var generator = RandomGenerator(seed: 0)
        let terms = model.lossTerms(for: batch, decoderInput: input, noise: noise, generator: &generator)
        let objective = terms.objective(klWeight: f.klWeight, beta: f.beta, freeBits: f.freeBits)
        let (rtol, atol) = (FixtureTolerance.rtol, FixtureTolerance.atol)
        #expect(isClose(terms.reconstruction.scalar, f.reconstruction, rtol: rtol, atol: atol))
        #expect(terms.klPerDimension.count == f.levels)
        for (level, kl) in terms.klPerDimension.enumerated() {
            let ratio = worstRatio(kl.toArray(), f.klPerDimension[level], rtol: rtol, atol: atol)
            #expect(ratio <= 1, "KL of level \(level + 1) differs from PyTorch (worst ratio \(ratio))")
        }
        #expect(isClose(objective.scalar, f.objective, rtol: rtol, atol: atol))

        model.zeroGradients()
        objective.backward()
        try VAETestSupport.expectGradientsMatch(model, f.gradients)
    }
}
