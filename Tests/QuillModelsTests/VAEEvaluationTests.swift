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

    /// 4,000 importance log-weights log p(x, z) − log q(z | x) for one sentence.
    static func logWeights(_ model: SentenceVAE, _ sentence: [Int], seed: UInt64) -> (weights: [Double], negativeELBO: Double) {
        let batch = SentenceBatch(sentences: [sentence])
        let encoded = model.encode(batch)
        var generator = RandomGenerator(seed: seed)
        let draw = model.drawPosterior(encoded, count: 4000, generator: &generator)
        let likelihoods = model.logLikelihoods(of: batch.repeatingEach(4000), latents: draw.latents)
        let weights = likelihoods.indices.map { likelihoods[$0] + draw.logPrior[$0] - draw.logPosterior[$0] }
        let reconstruction = -likelihoods.reduce(0, +) / 4000
        return (weights, reconstruction + draw.klPerLevel[0][0])
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
        let exact = -Self.exactLogLikelihood(model, sentence)
        let (weights, negativeELBO) = Self.logWeights(model, sentence, seed: 3)
        // −L_K averaged over disjoint groups of K samples: an estimate of E[−L_K].
        func bound(_ k: Int) -> Double {
            stride(from: 0, to: weights.count, by: k).map { -logMeanExp(weights[$0..<($0 + k)]) }.reduce(0, +)
                / Double(weights.count / k)
        }
        let (one, ten, hundred, all) = (bound(1), bound(10), bound(100), bound(4000))
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
