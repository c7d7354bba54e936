import Foundation
import QuillModels
import QuillTensor

/// How the sentence models (VAE, HVAE, LM) train.
public struct SentenceTrainingOptions: Codable, Equatable, Sendable {
    /// What a VAE's `val_loss`, which chooses the best checkpoint, measures (`--select-by`).
    public enum Selection: String, Codable, CaseIterable, Sendable {
        /// The validation −ELBO (or the importance-weighted bound): the likelihood recipes'.
        case elbo
        /// The validation reconstruction −E_q log p(x | z): for a latent meant to carry the
        /// sentence, whose KL the recipe fixes with free bits and whose −ELBO grows with it.
        case reconstruction
    }

    /// Sentences per batch.
    public var batchSize = 32
    /// Adam's learning rate at the start.
    public var learningRate: Float = 1e-3
    /// The rate a cosine decay ends at, reached at `decaySteps`.
    public var minLearningRate: Float = 1e-4
    /// The step the decay ends at.
    public var decaySteps: Int?
    /// Without `decaySteps`, the training seconds the decay ends at (a run bounded only by
    /// `--time`); with neither, the rate stays constant.
    public var decaySeconds: Double?
    /// The global gradient norm clip, 0 for none.
    public var gradientClip: Float = 5
    /// Bowman et al.'s word dropout rate on the decoder's inputs.
    public var wordDropout: Float = 0
    /// The KL weight schedule.
    public var annealing = KLAnnealing(schedule: .linear)
    /// Free bits λ per latent dimension (nats).
    public var freeBits: Float = 0
    /// The β of a β-VAE: the weight of the KL once annealing is done.
    public var beta: Float = 1
    /// Importance samples per validation sentence; 1 makes `val_loss` a single-sample −ELBO.
    public var validationSamples = 1
    /// He et al.'s (2019) aggressive inference-network training ("Lagging Inference Networks and
    /// Posterior Collapse"): while it is on, each step first trains the encoder alone until its
    /// loss stops falling, then updates the rest of the model alone. It switches itself off for
    /// good once the mutual information on the validation set falls from one epoch to the next.
    public var aggressiveEncoder = false
    /// What chooses the best checkpoint of a VAE.
    public var selection = Selection.elbo

    /// The defaults above.
    public init() {}

    /// Decodes options saved by any version of Quill, taking the default for a setting that a
    /// checkpoint predates, so older runs still resume.
    public init(from decoder: any Decoder) throws {
        let saved = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try saved.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        let defaults = SentenceTrainingOptions()
        batchSize = try value(.batchSize, defaults.batchSize)
        learningRate = try value(.learningRate, defaults.learningRate)
        minLearningRate = try value(.minLearningRate, defaults.minLearningRate)
        decaySteps = try saved.decodeIfPresent(Int.self, forKey: .decaySteps)
        decaySeconds = try saved.decodeIfPresent(Double.self, forKey: .decaySeconds)
        gradientClip = try value(.gradientClip, defaults.gradientClip)
        wordDropout = try value(.wordDropout, defaults.wordDropout)
        annealing = try value(.annealing, defaults.annealing)
        freeBits = try value(.freeBits, defaults.freeBits)
        beta = try value(.beta, defaults.beta)
        validationSamples = try value(.validationSamples, defaults.validationSamples)
        aggressiveEncoder = try value(.aggressiveEncoder, defaults.aggressiveEncoder)
        selection = try value(.selection, defaults.selection)
    }

    /// The learning rate at `step`, `elapsed` training seconds into the run: cosine decay to
    /// `minLearningRate` over `decaySteps` or `decaySeconds`, or constant.
    public func learningRate(atStep step: Int, elapsed: Double) -> Float {
        let cosine = WarmupCosineDecay(maxRate: learningRate, minRate: minLearningRate, warmupSteps: 0,
                                       decaySteps: max(decaySteps ?? 0, 0))
        if let decaySteps, decaySteps > 0 { return cosine.rate(atStep: step) }
        if let decaySeconds, decaySeconds > 0 { return cosine.rate(atStep: step, decayFraction: elapsed / decaySeconds) }
        return learningRate
    }
}
