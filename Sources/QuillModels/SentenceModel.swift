import Foundation
import QuillNN
import QuillTensor
import QuillText

/// A model that training drives one sentence batch at a time: the VAE, the HVAE and the LM.
public protocol SentenceModel: Module {
    /// Which model this is.
    var kind: ModelKind { get }
    /// The sizes it was built with.
    var configuration: SentenceModelConfiguration { get }
    /// The tokenizer its ids belong to.
    var tokenizer: any Tokenizer { get }
    /// Whether dropout is active.
    var isTraining: Bool { get }

    /// The loss terms of `batch`, with the latent noise, word dropout and (when training)
    /// embedding and output dropout drawn from `generator`.
    func lossTerms(for batch: SentenceBatch, wordDropout: Float, generator: inout RandomGenerator) -> SentenceLossTerms
}

/// The terms of a batch's negative ELBO, on the tape: the reconstruction and the KL of each
/// latent level (none for the LM).
public struct SentenceLossTerms {
    /// Σ over the batch's tokens of −log p(token | z) [].
    public var reconstruction: Tensor
    /// For each latent level, bottom first, the batch mean of KL(q ‖ p) per dimension [Z].
    public var klPerDimension: [Tensor]
    /// B: the sentences in the batch.
    public var batchSize: Int
    /// The predicted tokens, `<eos>` included.
    public var tokenCount: Int

    /// Creates loss terms.
    public init(reconstruction: Tensor, klPerDimension: [Tensor], batchSize: Int, tokenCount: Int) {
        self.reconstruction = reconstruction
        self.klPerDimension = klPerDimension
        self.batchSize = batchSize
        self.tokenCount = tokenCount
    }

    /// The training loss per sentence: reconstruction / B + β · w · Σ_levels Σ_d max(λ, KL̄_d).
    ///
    /// `klWeight` w comes from the annealing schedule and `beta` β makes a β-VAE. Free bits λ
    /// (Kingma et al. 2016) are per latent dimension, on the batch-mean KL: a dimension whose KL
    /// is below λ costs λ and gets no gradient pushing it lower, which keeps units from collapsing.
    public func objective(klWeight: Float, beta: Float, freeBits: Float) -> Tensor {
        var loss = reconstruction * (1 / Float(batchSize))
        let weight = klWeight * beta
        guard weight != 0 else { return loss }
        for kl in klPerDimension {
            let charged = freeBits > 0 ? kl.clamped(to: freeBits, .greatestFiniteMagnitude) : kl
            loss = loss + charged.sum() * weight
        }
        return loss
    }

    /// The reconstruction term per sentence, in nats.
    public var reconstructionPerSentence: Double { Double(reconstruction.scalar) / Double(batchSize) }

    /// The KL per sentence of each level, bottom first, in nats.
    public var klPerLevel: [Double] { withoutGradients { klPerDimension.map { Double($0.sum().scalar) } } }

    /// The negative ELBO per sentence (the NLL for the LM): reconstruction plus every level's KL.
    public var negativeELBOPerSentence: Double { reconstructionPerSentence + klPerLevel.reduce(0, +) }
}

/// A sentence VAE, flat or hierarchical, as decoding, interpolation and evaluation see it.
///
/// A latent vector joins every level, bottom level first ([B, Σ levels' sizes]); the model
/// knows which part its decoder reads.
public protocol LatentSentenceModel: SentenceModel, SentenceAutoencoder, CorpusEvaluating {
    /// The dimensions of each latent level, bottom first.
    var latentSizes: [Int] { get }

    /// The parameters of the inference network q(z | x) alone: the encoder and the heads that
    /// map its summary to posterior statistics, not the embedding it shares with the decoder.
    /// He et al.'s aggressive training updates these alone in its inner loop.
    var inferenceParameters: [Tensor] { get }

    /// The posterior's bottom-up statistics for `batch`, one Gaussian [B, Z] per level, bottom
    /// first, without recording: for a flat VAE the posterior itself.
    func encode(_ batch: SentenceBatch) -> [DiagonalGaussian]

    /// Draws `count` latent vectors per sentence from the posterior (rows b·count + k).
    func drawPosterior(_ encoded: [DiagonalGaussian], count: Int, generator: inout RandomGenerator) -> LatentDraw

    /// The posterior mean of each sentence [B, D]; an HVAE passes each level's mean down to the next.
    func posteriorMean(_ encoded: [DiagonalGaussian]) -> Tensor

    /// log q(latents[m] | sentence b) for every latent row m and sentence b, as [M][B].
    func logPosteriorDensities(of latents: Tensor, encoded: [DiagonalGaussian]) -> [[Double]]

    /// Draws `count` latent vectors [count, D] from the prior, ancestrally for an HVAE.
    func drawPrior(count: Int, generator: inout RandomGenerator) -> Tensor

    /// log p(sentence | latent) for each sentence of `batch` and its latent row [B, D], without recording.
    func logLikelihoods(of batch: SentenceBatch, latents: Tensor) -> [Double]

    /// Decodes one token sequence (ids without specials) per latent row [N, D].
    func decode(latents: Tensor, options: SamplingOptions, generator: inout RandomGenerator) -> [[Int]]
}

/// What a posterior draw carries for importance sampling: the latents and their densities.
public struct LatentDraw {
    /// The drawn latent vectors [B·K, D], rows b·K + k.
    public var latents: Tensor
    /// log q(z | x) of each row [B·K].
    public var logPosterior: [Double]
    /// log p(z) of each row under the prior, the learned conditional priors included [B·K].
    public var logPrior: [Double]
    /// The analytic KL of each level at the drawn upper levels, per row: [levels][B·K].
    public var klPerLevel: [[Double]]
}

/// Problems with a sentence model's input, each naming what was wrong and the fix.
public enum SentenceModelError: Error, Equatable, LocalizedError {
    case emptySentence(String)
    case emptyCorpus(String)
    case invalidConfiguration(origin: String, problem: String)
    case tokenizerMismatch(origin: String, tokenizerSize: Int, vocabularySize: Int)
    case malformedPair(path: String, line: Int, problem: String)
    case noPairs(String)

    /// A one-line message that names the problem and the fix.
    public var errorDescription: String? {
        switch self {
        case .emptySentence(let text):
            "\"\(text)\" has no tokens to encode. Pass a sentence with at least one word."
        case .emptyCorpus(let path):
            "\(path) has no sentences: every line is empty or blank. Pass a sentence-per-line text file."
        case .invalidConfiguration(let origin, let problem):
            "\(origin): the sentence model configuration is invalid (\(problem)). Fix the sizes and try again."
        case .tokenizerMismatch(let origin, let tokenizerSize, let vocabularySize):
            "\(origin): the tokenizer has \(tokenizerSize) ids but the model's vocab_size is \(vocabularySize). Save the model with the tokenizer it was trained with."
        case .malformedPair(let path, let line, let problem):
            "\(path):\(line): \(problem). Write two sentences per line separated by one tab (Benchmarks/make-pairs.py draws pairs from a corpus)."
        case .noPairs(let path):
            "\(path) has no sentence pairs. Write two sentences per line separated by one tab (Benchmarks/make-pairs.py draws pairs from a corpus)."
        }
    }
}
