import Foundation
@testable import QuillModels
import QuillTensor
import Testing
import TestSupport

/// The importance-weighted bound against the exact likelihood of a one-dimensional latent
/// model (computed by quadrature), and the figures `quill eval` prints.
@Suite struct VAEEvaluationTests {
    /// A VAE with z of one dimension, whose log p(x) = log ∫ p(x|z) p(z) dz a grid can compute.
    static func oneDimensionalModel() -> SentenceVAE {
        VAETestSupport.model(.vae, VAETestSupport.configuration(latentSize: 1)) as! SentenceVAE
    }

    /// log p(x) by the midpoint rule on [-8, 8] with 1,600 cells.
    static func exactLogLikelihood(_ model: SentenceVAE, _ sentence: [Int]) -> Double {
        let cells = 1600, width = 16.0 / Double(cells)
        let grid = (0..<cells).map { -8 + (Double($0) + 0.5) * width }
        let batch = SentenceBatch(sentences: Array(repeating: sentence, count: cells))
        let likelihoods = model.logLikelihoods(of: batch, latents: Tensor(grid.map(Float.init), shape: [cells, 1]))
        let terms = zip(grid, likelihoods).map { z, l in l - 0.5 * z * z - 0.5 * log(2 * Double.pi) + log(width) }
        return logMeanExp(terms[...]) + log(Double(cells))
    }

    /// log p(x) of a two-level HVAE with one dimension per level, by the midpoint rule on
    /// [−8, 8]² over (z₂, u) with z₁ = μ(z₂) + σ(z₂)·u: both integrals then run against standard
    /// normal densities, however narrow the learned conditional prior p(z₁ | z₂) is.
    static func exactLogLikelihood(_ model: HierarchicalVAE, _ sentence: [Int]) -> Double {
        let cells = 100, width = 16.0 / Double(cells)
        let grid = (0..<cells).map { -8 + (Double($0) + 0.5) * width }
        let pairs = grid.flatMap { top in grid.map { u in (top, u) } }
        let top = Tensor(pairs.map { Float($0.0) }, shape: [pairs.count, 1])
        let u = Tensor(pairs.map { Float($0.1) }, shape: [pairs.count, 1])
        let bottom = withoutGradients { model.conditionalPrior(level: 0, above: top).sample(noise: u) }
        let batch = SentenceBatch(sentences: Array(repeating: sentence, count: pairs.count))
        let likelihoods = model.logLikelihoods(of: batch, latents: Tensor.concatenate([bottom, top], axis: 1))
        let logNormal = { (x: Double) in -0.5 * x * x - 0.5 * log(2 * Double.pi) }
        let terms = zip(pairs, likelihoods).map { pair, l in l + logNormal(pair.0) + logNormal(pair.1) + 2 * log(width) }
        return logMeanExp(terms[...]) + log(Double(terms.count))
    }

    /// 4,000 importance log-weights log p(x, z) − log q(z | x) for one sentence, and the
    /// analytic-KL −ELBO averaged over the same draws.
    static func logWeights(_ model: any LatentSentenceModel, _ sentence: [Int], seed: UInt64)
        -> (weights: [Double], negativeELBO: Double) {
        let batch = SentenceBatch(sentences: [sentence])
        let encoded = model.encode(batch)
        var generator = RandomGenerator(seed: seed)
        let draw = model.drawPosterior(encoded, count: 4000, generator: &generator)
        let likelihoods = model.logLikelihoods(of: batch.repeatingEach(4000), latents: draw.latents)
        let weights = likelihoods.indices.map { likelihoods[$0] + draw.logPrior[$0] - draw.logPosterior[$0] }
        let reconstruction = -likelihoods.reduce(0, +) / 4000
        let kl = draw.klPerLevel.map { $0.reduce(0, +) / Double($0.count) }.reduce(0, +)
        return (weights, reconstruction + kl)
    }

    /// −L_K averaged over disjoint groups of K of `weights`: an estimate of E[−L_K].
    static func bound(_ weights: [Double], _ k: Int) -> Double {
        stride(from: 0, to: weights.count, by: k).map { -logMeanExp(weights[$0..<($0 + k)]) }.reduce(0, +)
            / Double(weights.count / k)
    }

    /// Progress follows the tokens done, not the sentences: 64 one-word sentences come first
    /// (shortest first) but hold 128 of the 314 predicted tokens, so the first report is far
    /// below the 64/70 sentences it covers.
    @Test func progressCountsTokens() {
        let model = Self.oneDimensionalModel()
        let sentences = Array(repeating: [5], count: 64) + Array(repeating: Array(repeating: 6, count: 30), count: 6)
        var options = VAEEvaluationOptions()
        options.samples = 2
        var reports: [Double] = []
        _ = model.evaluate(sentences: sentences, options: options) { reports.append($0) }
        #expect(reports.count >= 2 && reports.last == 1)
        #expect(abs(reports[0] - 0.9 * 128 / 314) < 1e-9, "first report \(reports[0])")
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func boundTightensWithSamplesTowardTheExactLikelihood() {
        let model = Self.oneDimensionalModel()
        let sentence = VAETestSupport.sentences[0]
        Self.expectBoundTightens(model, sentence, exact: -Self.exactLogLikelihood(model, sentence))
    }

    /// The same for the hierarchical model, whose weights multiply the top-down posterior and
    /// the learned conditional prior of every level: a wrong density at any level shows here.
    @Test(arguments: [SentenceModelConfiguration.DecoderLatents.lowest, .all])
    func hierarchicalBoundTightensTowardTheExactLikelihood(decoderLatents: SentenceModelConfiguration.DecoderLatents) {
        let configuration = VAETestSupport.configuration(latentSize: 1, levels: 2, decoderLatents: decoderLatents)
        let model = VAETestSupport.model(.hvae, configuration) as! HierarchicalVAE
        let sentence = VAETestSupport.sentences[2]
        Self.expectBoundTightens(model, sentence, exact: -Self.exactLogLikelihood(model, sentence))
    }

    static func expectBoundTightens(_ model: any LatentSentenceModel, _ sentence: [Int], exact: Double) {
        let (weights, negativeELBO) = logWeights(model, sentence, seed: 3)
        let (one, ten, hundred, all) = (bound(weights, 1), bound(weights, 10), bound(weights, 100), bound(weights, 4000))
        // K = 1 is the single-sample ELBO: its mean matches the analytic-KL ELBO up to sampling noise.
        #expect(abs(one - negativeELBO) < 0.05, "−L_1 \(one) vs −ELBO \(negativeELBO)")
        #expect(one > ten && ten > hundred && hundred >= all - 1e-9, "\(one) \(ten) \(hundred) \(all)")
        #expect(negativeELBO > exact)
        #expect(all >= exact - 0.01 && all - exact < 0.05, "−L_4000 \(all) vs exact NLL \(exact)")
    }

    @Test func evaluationReportsTheCLIFigures() {
        let model = VAETestSupport.model(.vae, VAETestSupport.configuration()) as! SentenceVAE
        var options = VAEEvaluationOptions()
        options.samples = 20
        options.rowsPerPass = 32
        options.mutualInformationBatchSize = 2
        options.measuresReconstructions = true
        let sentences = VAETestSupport.sentences
        let figures = model.evaluate(sentences: sentences, options: options)
        for key in ["elbo", "reconstruction", "kl", "iw_nll", "perplexity", "mutual_information", "active_units", "tokens"] {
            #expect(figures[key] != nil, "missing \(key)")
        }
        #expect(figures["tokens"] == 11)
        #expect(figures["sentences"] == 3)
        let nll = figures["iw_nll"]!
        #expect(isClose(Float(figures["perplexity"]!), Float(exp(nll * 3 / 11)), rtol: 1e-5))
        #expect(nll <= -figures["elbo"]! + 0.5)
        #expect(isClose(Float(figures["elbo"]!), Float(-(figures["reconstruction"]! + figures["kl"]!)), rtol: 1e-5))
        #expect(figures["mutual_information"]! <= log(2) + 1e-6)
        #expect((0...3).contains(figures["active_units"]!))
        #expect((0...1).contains(figures["exact_reconstruction_rate"]!))
        #expect((0...1).contains(figures["reconstruction_token_accuracy"]!))
    }

    @Test func evaluationRepeatsWithTheSameSeed() {
        let model = VAETestSupport.model(.hvae, VAETestSupport.configuration(levels: 2))
        var options = VAEEvaluationOptions()
        options.samples = 7
        let vae = model as! any LatentSentenceModel
        #expect(vae.evaluate(sentences: VAETestSupport.sentences, options: options)
                    == vae.evaluate(sentences: VAETestSupport.sentences, options: options))
    }

    @Test func lmPerplexityCountsEndTokens() {
        let lm = VAETestSupport.model(.lm, VAETestSupport.configuration(latentSize: 0, levels: 0)) as! SentenceLM
        let figures = lm.evaluate(sentences: VAETestSupport.sentences)
        let total = -lm.logLikelihoods(of: SentenceBatch(sentences: VAETestSupport.sentences)).reduce(0, +)
        #expect(figures["tokens"] == 11)
        #expect(isClose(Float(figures["nll"]!), Float(total / 3), rtol: 1e-5))
        #expect(isClose(Float(figures["perplexity"]!), Float(exp(total / 11)), rtol: 1e-5))
    }
}
