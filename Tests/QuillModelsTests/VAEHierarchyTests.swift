@testable import QuillModels
import QuillTensor
import Testing
import TestSupport

/// The hierarchical VAE: per-level KL, gradients against finite differences, and the
/// consistency of its top-down densities.
@Suite struct VAEHierarchyTests {
    static func model(levels: Int = 3, decoderLatents: SentenceModelConfiguration.DecoderLatents = .lowest) -> HierarchicalVAE {
        VAETestSupport.model(.hvae, VAETestSupport.configuration(levels: levels, decoderLatents: decoderLatents))
            as! HierarchicalVAE
    }

    @Test(arguments: [2, 3])
    func klIsReportedPerLevel(levels: Int) {
        let model = Self.model(levels: levels)
        var generator = RandomGenerator(seed: 1)
        let terms = withoutGradients {
            model.lossTerms(for: SentenceBatch(sentences: VAETestSupport.sentences), wordDropout: 0, generator: &generator)
        }
        #expect(terms.klPerDimension.count == levels)
        #expect(terms.klPerDimension.allSatisfy { $0.shape == [3] })
        #expect(terms.klPerLevel.allSatisfy { $0 > 0 })
        var options = VAEEvaluationOptions()
        options.samples = 3
        let figures = model.evaluate(sentences: VAETestSupport.sentences, options: options)
        let perLevel = (1...levels).map { figures["kl_level_\($0)"]! }
        #expect(isClose(Float(perLevel.reduce(0, +)), Float(figures["kl"]!), rtol: 1e-5))
        #expect(figures["latent_dimensions"] == Double(3 * levels))
    }

    @Test(arguments: [SentenceModelConfiguration.DecoderLatents.lowest, .all])
    func gradientsMatchFiniteDifferences(decoderLatents: SentenceModelConfiguration.DecoderLatents) {
        let model = Self.model(levels: 2, decoderLatents: decoderLatents)
        let batch = SentenceBatch(sentences: VAETestSupport.sentences)
        var noiseGenerator = RandomGenerator(seed: 9)
        let noise = (0..<2).map { _ in Tensor.normal([3, 3], using: &noiseGenerator) }
        let checked = [model.estimate[1].weight, model.prior[0].weight, model.priorHidden[0].bias!, model.up[0].weight,
                       model.decoder.latentToState!.weight]
        let result = checkGradients(checked, epsilon: 1e-2, rtol: 3e-2, atol: 3e-3) { _ in
            var generator = RandomGenerator(seed: 0)
            return model.lossTerms(for: batch, decoderInput: batch.decoderInput, noise: noise, generator: &generator)
                .objective(klWeight: 0.8, beta: 1, freeBits: 0)
        }
        #expect(result.passed, "\(result)")
    }

    @Test func pairwiseDensitiesAgreeWithTheDrawnPosterior() {
        let model = Self.model(levels: 3)
        let batch = SentenceBatch(sentences: VAETestSupport.sentences)
        let encoded = model.encode(batch)
        var generator = RandomGenerator(seed: 4)
        let draw = model.drawPosterior(encoded, count: 1, generator: &generator)
        let densities = model.logPosteriorDensities(of: draw.latents, encoded: encoded)
        for b in 0..<3 { #expect(abs(densities[b][b] - draw.logPosterior[b]) < 1e-3) }
    }

    @Test func ancestralSamplesDecode() throws {
        let model = Self.model(levels: 2)
        var generator = RandomGenerator(seed: 2)
        var options = SamplingOptions()
        options.maxTokens = 6
        let sentences = try model.sampleSentences(count: 4, options: options, generator: &generator)
        #expect(sentences.count == 4)
        #expect(model.drawPrior(count: 5, generator: &generator).shape == [5, 6])
    }
}
