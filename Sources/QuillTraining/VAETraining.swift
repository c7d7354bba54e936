import Foundation
import QuillModels
import QuillNN
import QuillTensor
import QuillText

/// How the sentence models (VAE, HVAE, LM) train.
public struct SentenceTrainingOptions: Codable, Equatable, Sendable {
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

    /// The defaults above.
    public init() {}

    /// The learning rate at `step`, `elapsed` training seconds into the run: cosine decay to
    /// `minLearningRate` over `decaySteps` or `decaySeconds`, or constant.
    public func learningRate(atStep step: Int, elapsed: Double) -> Float {
        let progress: Double
        if let decaySteps, decaySteps > 0 {
            progress = Double(step) / Double(decaySteps)
        } else if let decaySeconds, decaySeconds > 0 {
            progress = elapsed / decaySeconds
        } else {
            return learningRate
        }
        let cosine = 0.5 * (1 + cos(Double.pi * min(1, progress)))
        return minLearningRate + Float(cosine) * (learningRate - minLearningRate)
    }
}

/// A sentence model's side of the shared training loop: Adam on length-bucketed batches, the
/// annealed, β-weighted, free-bits KL, clipping, validation and checkpoints. The VAE, HVAE and
/// LM baseline all train here, so their figures come from the same code path.
///
/// The batch order and the model's noise come from generators saved in every checkpoint with
/// the data position, so a resumed run repeats the uninterrupted one.
public final class SentenceTrainingTask: TrainingTask {
    /// The model being trained.
    public let model: any SentenceModel
    /// The settings.
    public let options: SentenceTrainingOptions
    private let optimizer: Adam
    private var batches: SentenceBatches
    private let validation: [[Int]]
    private var state: State
    /// When this invocation's first step started and the training time before it, for the time-based decay.
    private var session: (start: Date, elapsedBefore: Double)?

    /// What a checkpoint's training JSON holds beside the shared progress.
    struct State: Codable {
        var progress = TrainingProgress()
        var options: SentenceTrainingOptions
        var data: SentenceBatches.Position
        var noiseGenerator: RandomGenerator
    }

    /// A fresh run of `model` (already initialized) on `train`, validated on `validation`.
    public convenience init(model: any SentenceModel, train: [[Int]], validation: [[Int]],
                            options: SentenceTrainingOptions, seed: UInt64) throws {
        let state = State(options: options, data: SentenceBatches.Position(seed: seed &+ 1),
                          noiseGenerator: RandomGenerator(seed: seed &+ 2))
        try self.init(model: model, train: train, validation: validation, state: state)
    }

    /// Continues the run saved at `path` with its model, options, optimizer and random state;
    /// `decaySteps`, given the saved batch size's batches per epoch, may change the run's length.
    public convenience init(resumingFrom path: String, train: [[Int]], validation: [[Int]],
                            decaySteps: (_ batchesPerEpoch: Int) -> Int?) throws {
        let file = try ModelFile.read(path, expecting: [.vae, .hvae, .lm], purpose: "--resume")
        let model = try loadSentenceModel(file, path: path)
        guard let training = file.training,
              var state = try? JSONDecoder().decode(State.self, from: Data(training.utf8)) else {
            throw TrainingError.invalidOption("\(path) has no sentence-model training state to resume from. Start a new run without --resume.")
        }
        let batchesPerEpoch = SentenceBatches.batchCount(sentenceCount: train.count, batchSize: state.options.batchSize)
        if let steps = decaySteps(batchesPerEpoch) { state.options.decaySteps = steps }
        try self.init(model: model, train: train, validation: validation, state: state)
        try optimizer.loadState(file.optimizerState, origin: path)
    }

    private init(model: any SentenceModel, train: [[Int]], validation: [[Int]], state: State) throws {
        guard !train.isEmpty, !validation.isEmpty else {
            throw TrainingError.invalidOption("Training needs at least one training and one validation sentence; check --corpus, --valid and --max-length.")
        }
        self.model = model
        self.options = state.options
        self.validation = validation
        self.state = state
        batches = SentenceBatches(sentences: train, batchSize: state.options.batchSize, position: state.data)
        optimizer = Adam(parameters: model.parameters, learningRate: state.options.learningRate)
    }

    /// The progress saved with the model this task resumed, or a fresh one.
    public var progress: TrainingProgress { state.progress }

    /// Optimizer steps per pass over the training sentences.
    public var batchesPerEpoch: Int { batches.batchesPerEpoch }

    /// One Adam step on the next batch. The logged `train_loss` is the batch's −ELBO per
    /// sentence (the NLL for the LM), whatever the KL weight; `kl`, `kl_weight` and
    /// `reconstruction` are logged beside it.
    public func trainStep(step: Int) throws -> StepResult {
        model.setTraining(true)
        let session = self.session ?? (Date(), state.progress.elapsedSeconds)
        self.session = session
        optimizer.learningRate = options.learningRate(atStep: step,
                                                      elapsed: session.elapsedBefore + Date().timeIntervalSince(session.start))
        optimizer.zeroGradients()
        let batch = batches.next()
        let terms = model.lossTerms(for: batch, wordDropout: options.wordDropout, generator: &state.noiseGenerator)
        let klWeight = Float(options.annealing.weight(atStep: step))
        let objective = terms.objective(klWeight: klWeight, beta: options.beta, freeBits: options.freeBits)
        let loss = terms.negativeELBOPerSentence
        guard loss.isFinite, objective.scalar.isFinite else {
            Tape.clear()
            return StepResult(loss: .nan, tokens: batch.tokenCount)
        }
        objective.backward()
        let norm = options.gradientClip > 0 ? optimizer.clipGradientNorm(maxNorm: options.gradientClip)
            : gradientNorm(optimizer.parameters)
        guard norm.isFinite else {
            optimizer.zeroGradients()
            return StepResult(loss: .nan, tokens: batch.tokenCount)
        }
        optimizer.step()
        state.data = batches.position
        var extra: [String: Double] = ["reconstruction": terms.reconstructionPerSentence, "grad_norm": Double(norm),
                                       "learning_rate": Double(optimizer.learningRate), "epoch": Double(batches.position.epoch)]
        if !terms.klPerDimension.isEmpty {
            let levels = terms.klPerLevel
            extra["kl"] = levels.reduce(0, +)
            extra["kl_weight"] = Double(klWeight)
            if levels.count > 1 { for (level, kl) in levels.enumerated() { extra["kl_level_\(level + 1)"] = kl } }
        }
        return StepResult(loss: loss, tokens: batch.tokenCount, extra: extra)
    }

    /// Validation figures. `val_loss` is the −ELBO per sentence (importance-weighted with
    /// `validationSamples` > 1) for a VAE, the exact NLL per sentence for the LM.
    public func evaluate() throws -> [String: Double] {
        model.setTraining(false)
        defer { model.setTraining(true) }
        if let lm = model as? SentenceLM {
            let figures = lm.evaluate(sentences: validation)
            return ["val_loss": figures["nll"]!, "val_nats_per_token": figures["nats_per_token"]!,
                    "val_perplexity": figures["perplexity"]!]
        }
        guard let vae = model as? any LatentSentenceModel else { return [:] }
        var evaluation = VAEEvaluationOptions()
        evaluation.samples = options.validationSamples
        let figures = vae.evaluate(sentences: validation, options: evaluation)
        var result: [String: Double] = ["val_loss": options.validationSamples > 1 ? figures["iw_nll"]! : -figures["elbo"]!]
        for (key, value) in figures {
            switch key {
            case "active_units", "mutual_information": result[key] = value
            case _ where key.hasPrefix("active_units_level_"): result[key] = value
            case "reconstruction", "kl", "iw_nll", "elbo", "perplexity": result["val_" + key] = value
            case _ where key.hasPrefix("kl_level_"): result["val_" + key] = value
            default: break
            }
        }
        return result
    }

    /// Writes weights, configuration, tokenizer, optimizer and random state.
    public func saveCheckpoint(to path: String, progress: TrainingProgress) throws {
        state.progress = progress
        state.data = batches.position
        var weights: [String: Tensor] = [:]
        for (name, tensor) in model.namedParameters() { weights[name] = tensor }
        let file = ModelFile(kind: model.kind, configuration: try metadataJSON(model.configuration),
                             tokenizer: String(decoding: try model.tokenizer.encoded(), as: UTF8.self),
                             training: try metadataJSON(state), weights: weights, optimizerState: optimizer.stateTensors())
        try file.write(to: path)
    }
}

/// The sentence model (VAE, HVAE or LM) stored in a model file, in inference mode.
public func loadSentenceModel(_ file: ModelFile, path: String) throws -> any SentenceModel {
    let configuration = try file.decodeConfiguration(SentenceModelConfiguration.self, path: path)
    if let problem = configuration.problem(for: file.kind) {
        throw SentenceModelError.invalidConfiguration(origin: path, problem: problem)
    }
    let tokenizer = try TokenizerFile.decode(Array(file.tokenizer.utf8), source: path)
    guard tokenizer.vocabularySize == configuration.vocabularySize else {
        throw SentenceModelError.tokenizerMismatch(origin: path, tokenizerSize: tokenizer.vocabularySize,
                                                   vocabularySize: configuration.vocabularySize)
    }
    var generator = RandomGenerator(seed: 0)
    let model: any SentenceModel = switch file.kind {
    case .vae: SentenceVAE(configuration: configuration, tokenizer: tokenizer, generator: &generator)
    case .hvae: HierarchicalVAE(configuration: configuration, tokenizer: tokenizer, generator: &generator)
    default: SentenceLM(configuration: configuration, tokenizer: tokenizer, generator: &generator)
    }
    do {
        try model.load(file.weights)
    } catch {
        throw SentenceModelError.invalidConfiguration(origin: path, problem: "\(error)")
    }
    model.setTraining(false)
    return model
}

/// A VAE, HVAE or LM file as `quill sample`, `eval`, `reconstruct` and `interpolate` use it.
func loadSentenceModelFile(_ file: ModelFile, path: String) throws -> LoadedModel {
    let model = try loadSentenceModel(file, path: path)
    if let lm = model as? SentenceLM { return LoadedModel(path: path, file: file, textGenerator: lm, evaluator: lm) }
    let vae = model as! any LatentSentenceModel
    return LoadedModel(path: path, file: file, sentenceAutoencoder: vae, evaluator: vae)
}
