import QuillNN
import QuillTensor
import QuillText

/// A sentence VAE with two or more levels of latent variables, inferred as in the Ladder VAE
/// (Sønderby et al. 2016): a deterministic bottom-up pass from the encoder's summary gives
/// each level an estimate N(μ̂ₗ, σ̂ₗ²); a top-down pass then samples the top level from its
/// estimate (prior N(0, I)) and each lower level from the precision-weighted combination of its
/// estimate with the learned conditional prior p(zₗ | zₗ₊₁).
///
/// Level 1 is the bottom. The decoder reads z₁ (`.lowest`) or every level side by side
/// (`.all`); the KL is charged and reported per level, and sampling is ancestral. The ladder
/// MLPs are `hiddenSize` wide with tanh.
public final class HierarchicalVAE: LatentSentenceModel {
    /// Always `.hvae`.
    public let kind = ModelKind.hvae
    /// The sizes this model was built with.
    public let configuration: SentenceModelConfiguration
    /// The tokenizer its ids belong to.
    public let tokenizer: any Tokenizer
    /// `embedding.weight` [V, E], shared by the encoder and the decoder.
    public let embedding: Tensor
    let encoder: SentenceEncoder
    /// `ladder.up.{l}`: dₗ = tanh(Linear(dₗ₋₁)), with d₀ the encoder's summary.
    let up: [Linear]
    /// `ladder.estimate.{l}`: dₗ → [μ̂ₗ; log σ̂ₗ²].
    let estimate: [Linear]
    /// `ladder.prior_hidden.{l}` and `ladder.prior.{l}` for every level but the top:
    /// zₗ₊₁ → tanh(Linear) → [μₚ; log σₚ²] of p(zₗ | zₗ₊₁).
    let priorHidden: [Linear], prior: [Linear]
    /// `ladder.top_bn.*`: the batch normalization of the top level's means, when the
    /// configuration has one (the lower levels' KL is from learned priors, which it cannot bound).
    let topNorm: MeanBatchNorm?
    let decoder: SentenceDecoder
    /// Whether dropout is active.
    public private(set) var isTraining = true

    /// Creates a model with PyTorch's default initialization for every layer.
    public init(configuration: SentenceModelConfiguration, tokenizer: any Tokenizer, generator: inout RandomGenerator) {
        precondition(configuration.problem(for: .hvae) == nil, configuration.problem(for: .hvae)!)
        let c = configuration, width = c.hiddenSize, z = c.latentSize
        self.configuration = c
        self.tokenizer = tokenizer
        embedding = configuration.makeEmbedding(generator: &generator)
        encoder = SentenceEncoder(configuration: c, generator: &generator)
        var up: [Linear] = [], estimate: [Linear] = [], priorHidden: [Linear] = [], prior: [Linear] = []
        for level in 0..<c.levels {
            up.append(Linear(inputSize: level == 0 ? c.encoderFeatureSize : width, outputSize: width, generator: &generator))
            estimate.append(Linear(inputSize: width, outputSize: 2 * z, generator: &generator))
            if level + 1 < c.levels {
                priorHidden.append(Linear(inputSize: z, outputSize: width, generator: &generator))
                prior.append(Linear(inputSize: width, outputSize: 2 * z, generator: &generator))
            }
        }
        (self.up, self.estimate, self.priorHidden, self.prior) = (up, estimate, priorHidden, prior)
        topNorm = c.makePosteriorBatchNorm(size: z)
        decoder = SentenceDecoder(configuration: c, latentSize: c.decoderLatentSize, embedding: embedding, tokenizer: tokenizer,
                                  generator: &generator)
    }

    /// Every parameter under its checkpoint name.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var result: [(name: String, tensor: Tensor)] = [("embedding.weight", embedding)] + encoder.namedParameters()
        for level in 0..<configuration.levels {
            result += prefixed("ladder.up.\(level)", up[level].namedParameters())
            result += prefixed("ladder.estimate.\(level)", estimate[level].namedParameters())
            if level < prior.count {
                result += prefixed("ladder.prior_hidden.\(level)", priorHidden[level].namedParameters())
                result += prefixed("ladder.prior.\(level)", prior[level].namedParameters())
            }
        }
        return result + prefixed("ladder.top_bn", topNorm?.namedParameters() ?? []) + decoder.namedParameters()
    }

    /// Switches dropout on (training) or off (evaluation and generation).
    public func setTraining(_ training: Bool) {
        isTraining = training
        encoder.rnn.setTraining(training)
        decoder.setTraining(training)
    }

    /// The bottom-up estimates, one [B, Z] per level, bottom first, on the tape; `training`
    /// (when the model is training too) applies dropout and the top level's batch statistics.
    func bottomUp(_ batch: SentenceBatch, training: Bool, generator: inout RandomGenerator) -> [DiagonalGaussian] {
        let training = training && isTraining
        let embedded = Tensor.embedding(embedding, indices: batch.targets)
            .dropout(probability: configuration.dropout, isTraining: training, using: &generator)
        var d = encoder(embedded, lengths: batch.lengths)
        let top = configuration.levels - 1
        return (0..<configuration.levels).map { level in
            d = up[level](d).tanh()
            return DiagonalGaussian(splitting: estimate[level](d))
                .normalizingMeans(with: level == top ? topNorm : nil, training: training)
        }
    }

    /// p(zₗ | zₗ₊₁) [B, Z] for `level` below the top, given the level above [B, Z].
    func conditionalPrior(level: Int, above: Tensor) -> DiagonalGaussian {
        DiagonalGaussian(splitting: prior[level](priorHidden[level](above).tanh()))
    }

    /// The top-down pass: each level's posterior q, prior p (N(0, I) at the top) and latent z,
    /// bottom first. z = μ_q + σ_q ⊙ ε with ε from `noise(level)`, or μ_q when it returns nil.
    func topDown(_ estimates: [DiagonalGaussian],
                 noise: (Int) -> Tensor?) -> [(posterior: DiagonalGaussian, prior: DiagonalGaussian, latent: Tensor)] {
        let levels = configuration.levels
        var result: [(posterior: DiagonalGaussian, prior: DiagonalGaussian, latent: Tensor)] = []
        var above: Tensor?
        for level in stride(from: levels - 1, through: 0, by: -1) {
            let p = above.map { conditionalPrior(level: level, above: $0) } ?? .standard(estimates[level].mean.shape)
            let q = above == nil ? estimates[level] : estimates[level].precisionWeighted(with: p)
            let z = noise(level).map { q.sample(noise: $0) } ?? q.mean
            result.insert((q, p, z), at: 0)
            above = z
        }
        return result
    }

    /// The latent the decoder reads: z₁, or every level side by side.
    func decoderLatent(_ levels: [Tensor]) -> Tensor {
        configuration.decoderLatents == .all ? Tensor.concatenate(levels, axis: 1) : levels[0]
    }

    /// The loss terms of `batch` for a given decoder input [B, T] and noise [B, Z] per level
    /// (bottom first), so tests can fix every random choice.
    public func lossTerms(for batch: SentenceBatch, decoderInput: IndexTensor, noise: [Tensor],
                          generator: inout RandomGenerator) -> SentenceLossTerms {
        let pass = topDown(bottomUp(batch, training: true, generator: &generator)) { noise[$0] }
        let embedded = Tensor.embedding(embedding, indices: decoderInput)
            .dropout(probability: configuration.dropout, isTraining: isTraining, using: &generator)
        let reconstruction = decoder.reconstructionLoss(embedded, latent: decoderLatent(pass.map(\.latent)), batch: batch,
                                                        outputDropout: configuration.dropout, isTraining: isTraining,
                                                        generator: &generator)
        let kl = pass.enumerated().map { level, step in
            (level == configuration.levels - 1 ? step.posterior.klDivergenceFromStandardNormal()
                : step.posterior.klDivergence(from: step.prior)).mean(axis: 0)
        }
        return SentenceLossTerms(reconstruction: reconstruction, klPerDimension: kl, batchSize: batch.batchSize,
                                 tokenCount: batch.tokenCount)
    }

    /// The loss terms of `batch`, drawing the noise of every level and the word dropout from `generator`.
    public func lossTerms(for batch: SentenceBatch, wordDropout: Float, generator: inout RandomGenerator) -> SentenceLossTerms {
        let noise = (0..<configuration.levels).map { _ in
            Tensor.normal([batch.batchSize, configuration.latentSize], using: &generator)
        }
        let input = batch.decoderInputDroppingWords(rate: isTraining ? wordDropout : 0, generator: &generator)
        return lossTerms(for: batch, decoderInput: input, noise: noise, generator: &generator)
    }

    /// Decodes one sentence per latent row [N, levels·Z].
    public func decode(latents: Tensor, options: SamplingOptions, generator: inout RandomGenerator) -> [[Int]] {
        decoder.generate(embedding: embedding, latents: decoderLatent(levelViews(latents)), count: latents.shape[0],
                         options: options, generator: &generator)
    }

    /// Views of each level [N, Z] of latent vectors [N, levels·Z].
    func levelViews(_ latents: Tensor) -> [Tensor] {
        let z = configuration.latentSize
        return (0..<configuration.levels).map { latents.sliced(axis: 1, range: ($0 * z)..<(($0 + 1) * z)) }
    }
}
