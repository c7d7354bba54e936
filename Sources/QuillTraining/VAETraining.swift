import Foundation
import QuillModels
import QuillNN
import QuillTensor
import QuillText

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
    /// With aggressive training: the inference network's parameters and all the others.
    private let parameterSplit: (inference: [Tensor], generative: [Tensor])?

    /// What a checkpoint's training JSON holds beside the shared progress.
    struct State: Codable {
        var progress = TrainingProgress()
        var options: SentenceTrainingOptions
        var data: SentenceBatches.Position
        var noiseGenerator: RandomGenerator
        /// Where the aggressive phase stands, when the options ask for one.
        var aggressive: AggressivePhase?
    }

    /// A fresh run of `model` (already initialized) on `train`, validated on `validation`.
    public convenience init(model: any SentenceModel, train: [[Int]], validation: [[Int]],
                            options: SentenceTrainingOptions, seed: UInt64) throws {
        let state = State(options: options, data: SentenceBatches.Position(seed: seed &+ 1),
                          noiseGenerator: RandomGenerator(seed: seed &+ 2),
                          aggressive: options.aggressiveEncoder ? AggressivePhase() : nil)
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
        if state.aggressive != nil {
            guard let latent = model as? any LatentSentenceModel else {
                throw TrainingError.invalidOption("--aggressive-encoder trains a VAE's encoder; the \(model.kind.rawValue) has none. Drop it.")
            }
            let inference = Set(latent.inferenceParameters.map(ObjectIdentifier.init))
            // Running statistics are saved with the parameters but never trained: in neither list.
            parameterSplit = (latent.inferenceParameters,
                              model.parameters.filter { $0.requiresGrad && !inference.contains(ObjectIdentifier($0)) })
        } else {
            parameterSplit = nil
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
    ///
    /// In the aggressive phase the step is He et al.'s: encoder-only updates on this batch and
    /// then on random batches (``trainInferenceNetwork(startingWith:klWeight:)``), then one
    /// update of everything but the encoder on this batch; `aggressive_steps` logs the inner
    /// updates. At the end of each epoch of the phase, the validation mutual information
    /// (`aggressive_mi`) decides whether it goes on. Should a later update of the step meet a
    /// non-finite loss, the encoder updates before it stay in memory; the trainer stops on the
    /// NaN without saving, so the checkpoints on disk stay the last good ones.
    public func trainStep(step: Int, elapsed: Double) throws -> StepResult {
        model.setTraining(true)
        optimizer.learningRate = options.learningRate(atStep: step, elapsed: elapsed)
        let klWeight = Float(options.annealing.weight(atStep: step))
        let batch = batches.next()
        var tokens = batch.tokenCount
        var extra: [String: Double] = [:]
        var frozen: [Tensor] = []
        if let split = parameterSplit, state.aggressive?.isActive == true {
            guard let inner = trainInferenceNetwork(startingWith: batch, klWeight: klWeight) else {
                return StepResult(loss: .nan, tokens: tokens)
            }
            tokens += inner.tokens
            extra["aggressive_steps"] = Double(inner.steps)
            frozen = split.inference
        }
        guard let result = update(on: batch, klWeight: klWeight, freezing: frozen) else {
            return StepResult(loss: .nan, tokens: tokens)
        }
        let terms = result.terms
        state.data = batches.position
        let message = checkAggressivePhase()
        if let phase = state.aggressive {
            extra["aggressive"] = phase.isActive ? 1 : 0
            if let information = phase.mutualInformation { extra["aggressive_mi"] = information }
        }
        extra.merge(["reconstruction": terms.reconstructionPerSentence, "grad_norm": Double(result.norm),
                     "learning_rate": Double(optimizer.learningRate), "epoch": Double(batches.position.epoch)]) { $1 }
        if !terms.klPerDimension.isEmpty {
            let levels = terms.klPerLevel
            extra["kl"] = levels.reduce(0, +)
            extra["kl_weight"] = Double(klWeight)
            if levels.count > 1 { for (level, kl) in levels.enumerated() { extra["kl_level_\(level + 1)"] = kl } }
        }
        return StepResult(loss: result.loss, tokens: tokens, extra: extra, message: message)
    }

    /// At the end of each epoch of an aggressive phase, measures the validation MI and decides
    /// whether the phase goes on; returns the line that says so, or nil between epochs.
    private func checkAggressivePhase() -> String? {
        guard var phase = state.aggressive, phase.isActive, let latent = model as? any LatentSentenceModel else { return nil }
        let completedEpochs = batches.position.epoch + (batches.position.batch >= batchesPerEpoch ? 1 : 0)
        guard completedEpochs > phase.epoch else { return nil }
        let information = latent.mutualInformation(of: validation)
        let previous = phase.mutualInformation.map { " (was \(format($0, 3)))" } ?? ""
        phase.record(mutualInformation: information, epoch: completedEpochs)
        state.aggressive = phase
        return "epoch \(completedEpochs): validation MI \(format(information, 3))\(previous); aggressive encoder training "
            + (phase.isActive ? "goes on" : "ends here")
    }

    /// The most encoder-only updates of one aggressive step (He et al. stop at 100).
    static let maxInnerSteps = 100
    /// The inner loop compares its loss per token over windows of this many updates (He et al.'s 15).
    static let innerWindow = 15

    /// He et al.'s inner loop: Adam updates of the inference network alone, on `batch` and then
    /// on batches drawn at random from the epoch, until a window's training objective per token
    /// is higher than the window before it, or ``maxInnerSteps``. Returns the updates and the
    /// tokens they read, or nil on a non-finite loss.
    private func trainInferenceNetwork(startingWith batch: SentenceBatch, klWeight: Float) -> (steps: Int, tokens: Int)? {
        let frozen = parameterSplit!.generative
        var current = batch, steps = 0, tokens = 0
        var previousWindow = Double.infinity, windowObjective = 0.0, windowTokens = 0
        while steps < Self.maxInnerSteps {
            guard let objective = update(on: current, klWeight: klWeight, freezing: frozen)?.objective else { return nil }
            steps += 1
            tokens += current.tokenCount
            windowObjective += objective * Double(current.batchSize)
            windowTokens += current.tokenCount
            if steps % Self.innerWindow == 0 {
                let perToken = windowObjective / Double(windowTokens)
                if perToken > previousWindow { break }
                previousWindow = perToken
                windowObjective = 0
                windowTokens = 0
            }
            current = batches.randomBatch(using: &state.noiseGenerator)
        }
        return (steps, tokens)
    }

    /// One Adam step on `batch` of every parameter but `frozen`. Returns the loss terms, the
    /// −ELBO per sentence, the objective (annealed, free bits) and the gradient norm before
    /// clipping, or nil, changing nothing, when a loss or the norm is not finite.
    ///
    /// Frozen parameters record no gradient, so the backward skips their weight gradients (the
    /// decoder's output layer in the encoder-only loop, the encoder's weights in the
    /// decoder-only update, whose backward still runs through the encoder to the embedding it
    /// shares with the decoder); any gradient a kernel still writes is dropped.
    private func update(on batch: SentenceBatch, klWeight: Float, freezing frozen: [Tensor])
        -> (terms: SentenceLossTerms, loss: Double, objective: Double, norm: Float)? {
        optimizer.zeroGradients()
        for parameter in frozen { parameter.requiresGrad = false }
        defer { for parameter in frozen { parameter.requiresGrad = true } }
        let terms = model.lossTerms(for: batch, wordDropout: options.wordDropout, generator: &state.noiseGenerator)
        let objective = terms.objective(klWeight: klWeight, beta: options.beta, freeBits: options.freeBits)
        let loss = terms.negativeELBOPerSentence
        guard loss.isFinite, objective.scalar.isFinite else {
            Tape.clear()
            return nil
        }
        objective.backward()
        for parameter in frozen { parameter.zeroGradient() }
        let norm = options.gradientClip > 0 ? optimizer.clipGradientNorm(maxNorm: options.gradientClip)
            : gradientNorm(optimizer.parameters)
        guard norm.isFinite else {
            optimizer.zeroGradients()
            return nil
        }
        optimizer.step()
        return (terms, loss, Double(objective.scalar), norm)
    }

    public var validationDigest: String? { TokenDigest.of(sentences: validation) }

    /// The validation tokens each evaluation reads, end-of-sentence tokens included.
    public var validationTokenCount: Int { EvaluationSample.tokenCount(validation) }

    /// Validation figures. `val_loss` is the −ELBO per sentence (importance-weighted with
    /// `validationSamples` > 1) for a VAE, or its reconstruction term when `selection` says so,
    /// and the exact NLL per sentence for the LM.
    public func evaluate() throws -> [String: Double] {
        model.setTraining(false)
        defer { model.setTraining(true) }
        if let lm = model as? SentenceLM {
            let figures = lm.evaluate(sentences: validation)
            return ["val_loss": figures["nll"]!, "val_nats_per_token": figures["nats_per_token"]!,
                    "val_perplexity": figures["perplexity"]!, "val_tokens": Double(validationTokenCount)]
        }
        guard let vae = model as? any LatentSentenceModel else { return [:] }
        var evaluation = VAEEvaluationOptions()
        evaluation.samples = options.validationSamples
        let figures = vae.evaluate(sentences: validation, options: evaluation)
        let bound = options.validationSamples > 1 ? figures["iw_nll"]! : -figures["elbo"]!
        var result: [String: Double] = ["val_loss": options.selection == .reconstruction ? figures["reconstruction"]! : bound,
                                        "val_tokens": Double(validationTokenCount)]
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

/// Where He et al.'s aggressive phase stands; saved in checkpoints so a resumed run continues it.
struct AggressivePhase: Codable, Equatable {
    /// Whether steps still begin with the encoder-only inner loop.
    var isActive = true
    /// The validation mutual information measured at the last completed epoch of the phase.
    var mutualInformation: Double?
    /// The completed epochs when it was measured.
    var epoch = 0

    /// Records the mutual information after `epoch` epochs; the phase ends when it fell below
    /// the last measurement (He et al.: `cur_mi - pre_mi < 0`).
    mutating func record(mutualInformation information: Double, epoch: Int) {
        if let previous = mutualInformation, information < previous { isActive = false }
        mutualInformation = information
        self.epoch = epoch
    }
}

/// The sentence model (VAE, HVAE or LM) stored in a model file, in inference mode.
public func loadSentenceModel(_ file: ModelFile, path: String) throws -> any SentenceModel {
    let configuration = try file.decodeConfiguration(SentenceModelConfiguration.self, path: path)
    if let problem = configuration.problem(for: file.kind) {
        throw SentenceModelError.invalidConfiguration(origin: path, problem: problem)
    }
    let tokenizer = try file.decodeTokenizer(source: path)
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
    if let lm = model as? SentenceLM {
        return LoadedModel(path: path, file: file, textGenerator: lm, evaluator: lm, tokenizer: lm.tokenizer)
    }
    let vae = model as! any LatentSentenceModel
    return LoadedModel(path: path, file: file, sentenceAutoencoder: vae, evaluator: vae, tokenizer: vae.tokenizer)
}
