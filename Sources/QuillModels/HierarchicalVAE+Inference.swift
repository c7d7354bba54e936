import QuillTensor

/// The hierarchical VAE as evaluation and generation see it: latent vectors join every level,
/// bottom first ([N, levels·Z]), and every density is the product over levels of the Ladder
/// VAE's conditional Gaussians.
extension HierarchicalVAE {
    /// `levels` levels of `latentSize` dimensions.
    public var latentSizes: [Int] { Array(repeating: configuration.latentSize, count: configuration.levels) }

    /// `encoder.*` and the bottom-up `ladder.up.*` and `ladder.estimate.*`; the learned
    /// conditional priors belong to the generative model.
    public var inferenceParameters: [Tensor] {
        encoder.namedParameters().map(\.tensor) + (up + estimate).flatMap(\.parameters) + (topNorm.map { [$0.shift] } ?? [])
    }

    /// The bottom-up estimates [B, Z] per level, without recording or dropout.
    public func encode(_ batch: SentenceBatch) -> [DiagonalGaussian] {
        var unused = RandomGenerator(seed: 0)
        return withoutGradients { bottomUp(batch, training: false, generator: &unused) }
    }

    /// `count` top-down draws per sentence, with log q(z | x) = Σₗ log q(zₗ | zₗ₊₁, x),
    /// log p(z) = Σₗ log p(zₗ | zₗ₊₁) and each level's analytic KL at the drawn levels above.
    public func drawPosterior(_ encoded: [DiagonalGaussian], count: Int, generator: inout RandomGenerator) -> LatentDraw {
        withoutGradients {
            let estimates = encoded.map { $0.repeatingEach(count) }
            let shape = estimates[0].mean.shape
            var noise: [Tensor] = []
            for _ in 0..<configuration.levels { noise.append(Tensor.normal(shape, using: &generator)) }
            let pass = topDown(estimates) { noise[$0] }
            var logPosterior = [Double](repeating: 0, count: shape[0]), logPrior = logPosterior
            var kl: [[Double]] = []
            for (level, step) in pass.enumerated() {
                for (row, value) in step.posterior.logDensity(of: step.latent).enumerated() { logPosterior[row] += value }
                for (row, value) in step.prior.logDensity(of: step.latent).enumerated() { logPrior[row] += value }
                let divergence = level == configuration.levels - 1 ? step.posterior.klDivergenceFromStandardNormal()
                    : step.posterior.klDivergence(from: step.prior)
                kl.append(divergence.sum(axis: 1).toArray().map(Double.init))
            }
            return LatentDraw(latents: Tensor.concatenate(pass.map(\.latent), axis: 1), logPosterior: logPosterior,
                              logPrior: logPrior, klPerLevel: kl)
        }
    }

    /// Each level's posterior mean given the means of the levels above, side by side [B, levels·Z].
    public func posteriorMean(_ encoded: [DiagonalGaussian]) -> Tensor {
        withoutGradients { Tensor.concatenate(topDown(encoded) { _ in nil }.map(\.latent), axis: 1) }
    }

    /// log q(latents[m] | sentence b) for every pair, as [M][B]: the top-down pass is rerun for
    /// each pair, because the lower levels' posteriors depend on both the sentence and the latent above.
    public func logPosteriorDensities(of latents: Tensor, encoded: [DiagonalGaussian]) -> [[Double]] {
        withoutGradients {
            let M = latents.shape[0], B = encoded[0].mean.shape[0]
            let latentRows = IndexTensor((0..<M * B).map { Int32($0 / B) }, shape: [M * B])
            let sentenceRows = IndexTensor((0..<M * B).map { Int32($0 % B) }, shape: [M * B])
            let levels = levelViews(latents).map { $0.gathering(latentRows, alongAxis: 0) }
            var total = [Double](repeating: 0, count: M * B)
            for level in 0..<configuration.levels {
                let estimate = encoded[level]
                let paired = DiagonalGaussian(mean: estimate.mean.gathering(sentenceRows, alongAxis: 0),
                                              logVariance: estimate.logVariance.gathering(sentenceRows, alongAxis: 0))
                let q = level == configuration.levels - 1 ? paired
                    : paired.precisionWeighted(with: conditionalPrior(level: level, above: levels[level + 1]))
                for (row, value) in q.logDensity(of: levels[level]).enumerated() { total[row] += value }
            }
            return (0..<M).map { m in Array(total[(m * B)..<((m + 1) * B)]) }
        }
    }

    /// Ancestral samples [count, levels·Z]: z_top ~ N(0, I), then zₗ ~ p(zₗ | zₗ₊₁) down to z₁.
    public func drawPrior(count: Int, generator: inout RandomGenerator) -> Tensor {
        withoutGradients {
            let shape = [count, configuration.latentSize]
            var levels = [Tensor.normal(shape, using: &generator)]
            for level in stride(from: configuration.levels - 2, through: 0, by: -1) {
                let p = conditionalPrior(level: level, above: levels[0])
                levels.insert(p.sample(noise: Tensor.normal(shape, using: &generator)), at: 0)
            }
            return Tensor.concatenate(levels, axis: 1)
        }
    }

    /// log p(x | z) per sentence [B] for latent rows [B, levels·Z].
    public func logLikelihoods(of batch: SentenceBatch, latents: Tensor) -> [Double] {
        withoutGradients {
            decoder.logLikelihoods(Tensor.embedding(embedding, indices: batch.decoderInput),
                                   latent: decoderLatent(levelViews(latents)), batch: batch)
        }
    }
}
