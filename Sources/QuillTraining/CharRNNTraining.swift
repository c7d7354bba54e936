import Foundation
import QuillModels
import QuillNN
import QuillTensor
import QuillText

/// How a char-rnn run trains, apart from the model's sizes; saved in every checkpoint so that
/// `--resume` continues with exactly the same settings.
public struct CharRNNTrainingOptions: Codable, Equatable, Sendable {
    /// Sequences per batch: the number of parallel streams.
    public var batchSize = 32
    /// Timesteps per batch (truncated backpropagation through time).
    public var sequenceLength = 128
    /// The learning rate at each step.
    public var schedule = LearningRateScheduleConfiguration.constant(ConstantRate(rate: 2e-3))
    /// The global gradient-norm limit; 0 turns clipping off.
    public var gradientClip: Float = 5
    /// The share of the corpus held out for validation when there is no validation file.
    public var validationFraction = 0.1
    /// Whether invalid UTF-8 in the corpus is read as U+FFFD instead of stopping.
    public var replacesInvalidUTF8 = false
    /// When set, a cosine ``schedule`` decays over this many seconds of training instead of
    /// over steps, so a run bounded only by `--time` ends annealed however fast the machine is.
    /// The rate then depends on the clock, so a resumed run is not bit-identical.
    public var decayTime: Double?

    /// Options with char-rnn's defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case batchSize = "batch_size", sequenceLength = "seq_len", schedule, gradientClip = "grad_clip"
        case validationFraction = "valid_fraction", replacesInvalidUTF8 = "replace_invalid_utf8"
        case decayTime = "decay_time_s"
    }
}

/// The `training` metadata of a char-rnn checkpoint: the shared progress plus what `--resume`
/// needs to continue bit for bit (the data position and every random generator).
struct CharRNNTrainingState: Codable {
    var progress: TrainingProgress
    var options: CharRNNTrainingOptions
    /// The number of training tokens, to notice a changed corpus on resume.
    var trainingTokens: Int
    var position: TokenStreams.Position
    var outputDropoutGenerator: RandomGenerator
    var recurrentDropoutGenerator: RandomGenerator

    enum CodingKeys: String, CodingKey {
        case progress, options, trainingTokens = "training_tokens", position
        case outputDropoutGenerator = "output_dropout_generator", recurrentDropoutGenerator = "recurrent_dropout_generator"
    }
}

/// One char-rnn run's side of training: the truncated-BPTT step with the state carried across
/// batches, validation, and checkpoints (see ``Trainer`` for the loop around it).
public final class CharRNNTrainingTask: TrainingTask {
    /// The network being trained.
    public let model: CharRNN
    /// The character tokenizer, saved with every checkpoint.
    public let tokenizer: any Tokenizer
    /// The run's settings.
    public let options: CharRNNTrainingOptions
    let optimizer: Adam
    /// The training streams; their position is the run's place in the data.
    var trainingStreams: TokenStreams
    let validationStreams: TokenStreams
    /// The state the last batch ended in [layers, B, H], detached: the next batch starts from it.
    var carriedState: RecurrentState?

    /// The key prefix of the carried state in a checkpoint's optimizer section.
    static let carriedStatePrefix = "stream."

    /// Creates a task; `optimizer` must hold `model`'s parameters.
    init(model: CharRNN, tokenizer: any Tokenizer, options: CharRNNTrainingOptions, optimizer: Adam,
         trainingStreams: TokenStreams, validationStreams: TokenStreams, carriedState: RecurrentState?) {
        self.model = model
        self.tokenizer = tokenizer
        self.options = options
        self.optimizer = optimizer
        self.trainingStreams = trainingStreams
        self.validationStreams = validationStreams
        self.carriedState = carriedState
    }

    /// The number of optimizer steps in one pass over the training data.
    public var stepsPerEpoch: Int { trainingStreams.batchesPerEpoch }

    /// Trains on the next batch, starting from the state the previous batch ended in.
    public func trainStep(step: Int, elapsed: Double) throws -> StepResult {
        let batch = trainingStreams.nextBatch()
        if batch.startsPass { carriedState = nil }
        model.setTraining(true)
        let (loss, state) = model.loss(tokens: batch.inputs, targets: batch.targets, state: carriedState)
        let value = Double(loss.scalar)
        guard value.isFinite else {
            Tape.clear()
            return StepResult(loss: value, tokens: 0)
        }
        loss.backward()
        if options.gradientClip > 0 { optimizer.clipGradientNorm(maxNorm: options.gradientClip) }
        optimizer.learningRate = learningRate(atStep: step, elapsed: elapsed)
        optimizer.step()
        optimizer.zeroGradients()
        carriedState = state.detached()
        return StepResult(loss: value, tokens: batch.inputs.count,
                          extra: ["learning_rate": Double(optimizer.learningRate)])
    }

    /// The rate for `step`, `elapsed` training seconds into the run: the schedule's, or with
    /// ``CharRNNTrainingOptions/decayTime`` a cosine over the training time (after any warmup steps).
    func learningRate(atStep step: Int, elapsed: Double) -> Float {
        guard let decayTime = options.decayTime, case .warmupCosine(let cosine) = options.schedule else {
            return options.schedule.rate(atStep: step)
        }
        return cosine.rate(atStep: step, decayFraction: elapsed / decayTime)
    }

    public var validationDigest: String? { validationStreams.digest }

    /// The validation tokens each evaluation predicts.
    public var validationTokenCount: Int { validationStreams.evaluatedTokenCount }

    /// The mean validation loss in nats per token, as `val_loss`, and in bits as `val_bits_per_token`.
    public func evaluate() throws -> [String: Double] {
        let nats = CharRNNEvaluator.meanLoss(of: model, on: validationStreams, progress: { _ in })
        return ["val_loss": nats, "val_bits_per_token": nats / log(2),
                "val_tokens": Double(validationTokenCount)]
    }

    /// Writes weights, tokenizer, configuration, optimizer state, the carried state, the data
    /// position and the random generators.
    public func saveCheckpoint(to path: String, progress: TrainingProgress) throws {
        var weights: [String: Tensor] = [:]
        for (name, tensor) in model.namedParameters() { weights[name] = tensor }
        var extra = optimizer.stateTensors()
        if let carriedState {
            extra[Self.carriedStatePrefix + "hidden"] = carriedState.hidden
            if let cell = carriedState.cell { extra[Self.carriedStatePrefix + "cell"] = cell }
        }
        let state = CharRNNTrainingState(
            progress: progress, options: options, trainingTokens: trainingStreams.streamCount * trainingStreams.streamLength,
            position: trainingStreams.position, outputDropoutGenerator: model.generator,
            recurrentDropoutGenerator: model.recurrent.generator)
        let file = ModelFile(kind: .charRNN, configuration: try metadataJSON(model.configuration),
                             tokenizer: String(decoding: try tokenizer.encoded(), as: UTF8.self),
                             training: try metadataJSON(state), weights: weights, optimizerState: extra)
        do {
            try file.write(to: path)
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw TrainingError.cannotWrite(path)
        }
    }
}
