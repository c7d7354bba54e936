import QuillNN
import QuillTensor
import QuillText

/// A sentence variational autoencoder (Bowman et al. 2016, "Generating Sentences from a
/// Continuous Space"): an RNN encoder reads a sentence into a Gaussian posterior q(z | x), and
/// an RNN decoder conditioned on a sample z rebuilds it word by word.
///
/// Parameters carry the names of the PyTorch peer (`Benchmarks/peers/vae.py`): `embedding.weight`
/// (shared by encoder and decoder), `encoder.*`, `posterior.*` (one Linear to [μ; log σ²]),
/// `decoder.*`, `latent_to_state.*` and `output.*`.
public final class SentenceVAE: LatentSentenceModel {
    /// Always `.vae`.
    public let kind = ModelKind.vae
    /// The sizes this model was built with.
    public let configuration: SentenceModelConfiguration
    /// The tokenizer its ids belong to.
    public let tokenizer: any Tokenizer
    /// `embedding.weight` [V, E], shared by the encoder and the decoder.
    public let embedding: Tensor
    let encoder: SentenceEncoder
    /// `posterior.*`: the encoder's summary → [μ; log σ²] [B, 2Z].
    let posterior: Linear
    /// `posterior_bn.*`: the batch normalization of the means, when the configuration has one.
    let posteriorNorm: MeanBatchNorm?
    let decoder: SentenceDecoder
    /// Whether dropout is active.
    public private(set) var isTraining = true

    /// Creates a model initialized as PyTorch initializes the peer's layers (embedding N(0, 1)).
    public init(configuration: SentenceModelConfiguration, tokenizer: any Tokenizer, generator: inout RandomGenerator) {
        precondition(configuration.problem(for: .vae) == nil, configuration.problem(for: .vae)!)
        self.configuration = configuration
        self.tokenizer = tokenizer
        embedding = configuration.makeEmbedding(generator: &generator)
        encoder = SentenceEncoder(configuration: configuration, generator: &generator)
        posterior = Linear(inputSize: configuration.encoderFeatureSize, outputSize: 2 * configuration.latentSize,
                           generator: &generator)
        posteriorNorm = configuration.makePosteriorBatchNorm(size: configuration.latentSize)
        decoder = SentenceDecoder(configuration: configuration, latentSize: configuration.latentSize, embedding: embedding,
                                  tokenizer: tokenizer, generator: &generator)
    }

    /// Every parameter under the peer's names.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        [("embedding.weight", embedding)] + encoder.namedParameters()
            + prefixed("posterior", posterior.namedParameters())
            + prefixed("posterior_bn", posteriorNorm?.namedParameters() ?? []) + decoder.namedParameters()
    }

    /// Switches dropout on (training) or off (evaluation and generation).
    public func setTraining(_ training: Bool) {
        isTraining = training
        encoder.rnn.setTraining(training)
        decoder.setTraining(training)
    }

    /// The embedded `ids` [B, T, E], with embedding dropout when training.
    func embed(_ ids: IndexTensor, generator: inout RandomGenerator) -> Tensor {
        Tensor.embedding(embedding, indices: ids)
            .dropout(probability: configuration.dropout, isTraining: isTraining, using: &generator)
    }

    /// The posterior q(z | x) [B, Z] of each sentence of `batch`, on the tape.
    public func posterior(for batch: SentenceBatch, generator: inout RandomGenerator) -> DiagonalGaussian {
        let summary = encoder(embed(batch.targets, generator: &generator), lengths: batch.lengths)
        return DiagonalGaussian(splitting: posterior(summary)).normalizingMeans(with: posteriorNorm, training: isTraining)
    }

    /// The loss terms of `batch` for a given decoder input [B, T] (word dropout already applied)
    /// and posterior noise ε [B, Z], so tests can fix every random choice.
    public func lossTerms(for batch: SentenceBatch, decoderInput: IndexTensor, noise: Tensor,
                          generator: inout RandomGenerator) -> SentenceLossTerms {
        let q = posterior(for: batch, generator: &generator)
        let z = q.sample(noise: noise)
        let reconstruction = decoder.reconstructionLoss(
            embed(decoderInput, generator: &generator), latent: z, batch: batch,
            outputDropout: configuration.dropout, isTraining: isTraining, generator: &generator)
        return SentenceLossTerms(reconstruction: reconstruction,
                                 klPerDimension: [q.klDivergenceFromStandardNormal().mean(axis: 0)],
                                 batchSize: batch.batchSize, tokenCount: batch.tokenCount)
    }

    /// The loss terms of `batch`, drawing ε ~ N(0, I) and the word dropout from `generator`.
    public func lossTerms(for batch: SentenceBatch, wordDropout: Float, generator: inout RandomGenerator) -> SentenceLossTerms {
        let noise = Tensor.normal([batch.batchSize, configuration.latentSize], using: &generator)
        let input = batch.decoderInputDroppingWords(rate: isTraining ? wordDropout : 0, generator: &generator)
        return lossTerms(for: batch, decoderInput: input, noise: noise, generator: &generator)
    }

    // MARK: - LatentSentenceModel

    /// One level of `latentSize` dimensions.
    public var latentSizes: [Int] { [configuration.latentSize] }

    /// `encoder.*` and `posterior.*`.
    public var inferenceParameters: [Tensor] {
        (encoder.namedParameters() + posterior.namedParameters()).map(\.tensor) + (posteriorNorm.map { [$0.shift] } ?? [])
    }

    /// The posterior [B, Z] without recording or dropout.
    public func encode(_ batch: SentenceBatch) -> [DiagonalGaussian] {
        withoutGradients {
            let summary = encoder(Tensor.embedding(embedding, indices: batch.targets), lengths: batch.lengths)
            return [DiagonalGaussian(splitting: posterior(summary)).normalizingMeans(with: posteriorNorm, training: false)]
        }
    }

    /// z = μ + σ ⊙ ε for `count` draws of ε per sentence, with log q(z | x) and log p(z).
    public func drawPosterior(_ encoded: [DiagonalGaussian], count: Int, generator: inout RandomGenerator) -> LatentDraw {
        withoutGradients {
            let q = encoded[0].repeatingEach(count)
            let z = q.sample(noise: Tensor.normal(q.mean.shape, using: &generator))
            let kl = q.klDivergenceFromStandardNormal().sum(axis: 1).toArray().map(Double.init)
            return LatentDraw(latents: z, logPosterior: q.logDensity(of: z),
                              logPrior: DiagonalGaussian.standard(q.mean.shape).logDensity(of: z), klPerLevel: [kl])
        }
    }

    /// The posterior means [B, Z].
    public func posteriorMean(_ encoded: [DiagonalGaussian]) -> Tensor { encoded[0].mean }

    /// log q(z_m | x_b) from the Gaussian density, [M][B].
    public func logPosteriorDensities(of latents: Tensor, encoded: [DiagonalGaussian]) -> [[Double]] {
        encoded[0].pairwiseLogDensities(of: latents)
    }

    /// z ~ N(0, I) [count, Z].
    public func drawPrior(count: Int, generator: inout RandomGenerator) -> Tensor {
        Tensor.normal([count, configuration.latentSize], using: &generator)
    }

    /// log p(x | z) per sentence [B].
    public func logLikelihoods(of batch: SentenceBatch, latents: Tensor) -> [Double] {
        withoutGradients {
            decoder.logLikelihoods(Tensor.embedding(embedding, indices: batch.decoderInput), latent: latents, batch: batch)
        }
    }

    /// Decodes one sentence per latent row [N, Z].
    public func decode(latents: Tensor, options: SamplingOptions, generator: inout RandomGenerator) -> [[Int]] {
        decoder.generate(embedding: embedding, latents: latents, count: latents.shape[0], options: options,
                         generator: &generator)
    }
}
