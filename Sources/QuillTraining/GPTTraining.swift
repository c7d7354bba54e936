import Foundation
import QuillModels
import QuillTensor
import QuillText

/// How a GPT trains: nanoGPT's `train.py` settings under Swift names.
public struct GPTTrainingOptions: Codable, Equatable, Sendable {
    /// Sequences per micro-batch (`batch_size`).
    public var batchSize = 12
    /// Micro-batches whose gradients add up to one optimizer step (`gradient_accumulation_steps`).
    public var gradientAccumulation = 1
    /// The peak learning rate (`learning_rate`).
    public var learningRate: Float = 1e-3
    /// The rate the cosine decay ends at (`min_lr`).
    public var minLearningRate: Float = 1e-4
    /// Linear warmup steps (`warmup_iters`).
    public var warmupSteps = 100
    /// The step the decay reaches `minLearningRate` (`lr_decay_iters`), usually the run's length.
    public var decaySteps = 5000
    /// When set, the decay runs over this many seconds of training instead of `decaySteps`, so a
    /// run bounded only by a time budget ends annealed however fast the machine is. The rate
    /// then depends on the clock, so a resumed run is not bit-identical.
    public var decaySeconds: Double?
    /// Decoupled weight decay on weight matrices and embeddings (`weight_decay`).
    public var weightDecay: Float = 0.1
    /// AdamW's β₁ and β₂ (`beta1`, `beta2`).
    public var beta1 = 0.9, beta2 = 0.99
    /// The global gradient norm clip, 0 for none (`grad_clip`).
    public var gradientClip: Float = 1
    /// Validation batches averaged per evaluation (`eval_iters`).
    public var evaluationBatches = 20

    /// nanoGPT's Shakespeare settings.
    public init() {}

    /// The learning rate schedule these options describe.
    public var schedule: WarmupCosineDecay {
        WarmupCosineDecay(maxRate: learningRate, minRate: minLearningRate, warmupSteps: warmupSteps,
                          decaySteps: max(decaySteps, warmupSteps))
    }
}

/// A GPT's side of the shared training loop: nanoGPT's step (random-offset batches, AdamW with
/// decay on matrices only, warmup and cosine decay, clipping, gradient accumulation), its
/// evaluation and its checkpoints.
///
/// Batches come from a seeded generator whose state is saved in every checkpoint, beside the
/// dropout generator, so a resumed run on one thread repeats the uninterrupted run exactly.
public final class GPTTrainingTask: TrainingTask {
    /// The model being trained.
    public let model: GPT
    /// The tokenizer the model's ids belong to.
    public let tokenizer: any Tokenizer
    /// The settings.
    public let options: GPTTrainingOptions
    private let optimizer: AdamW
    private let trainTokens: [Int32], validTokens: [Int32]
    private var state: State

    /// What a checkpoint's training JSON holds beside the shared progress.
    struct State: Codable {
        var progress = TrainingProgress()
        var options: GPTTrainingOptions
        var batchGenerator: RandomGenerator
        var dropoutGenerator: RandomGenerator
        /// Seeds the run's validation batches; nil in checkpoints written before it existed.
        var evaluationSeed: UInt64?
    }

    /// A fresh run: the model is initialized from `seed`, as are batch order and dropout.
    /// `sources` name the texts in errors (``TokenizedCorpus/sources``).
    public convenience init(configuration: GPT.Configuration, tokenizer: any Tokenizer, trainTokens: [Int32],
                validTokens: [Int32], sources: (train: String, valid: String) = GPTTrainingTask.unnamedSources,
                options: GPTTrainingOptions, seed: UInt64) throws {
        var generator = RandomGenerator(seed: seed)
        let model = GPT(configuration: configuration, generator: &generator)
        let state = State(options: options, batchGenerator: RandomGenerator(seed: seed &+ 1),
                          dropoutGenerator: RandomGenerator(seed: seed &+ 2), evaluationSeed: seed &+ 3)
        try self.init(model: model, tokenizer: tokenizer, trainTokens: trainTokens, validTokens: validTokens,
                      sources: sources, state: state)
    }

    /// Continues the run saved at `path`, with its model, tokenizer, options, optimizer state and
    /// random state. A `decaySteps` given here replaces the saved decay, by steps or by time.
    public convenience init(resumingFrom path: String, trainTokens: [Int32], validTokens: [Int32],
                            sources: (train: String, valid: String) = GPTTrainingTask.unnamedSources,
                            decaySteps: Int?) throws {
        let file = try ModelFile.read(path, expecting: [.gpt], purpose: "--resume")
        let model = try GPT(file: file, path: path)
        guard let training = file.training,
              var state = try? JSONDecoder().decode(State.self, from: Data(training.utf8)) else {
            throw TrainingError.invalidOption("\(path) has no GPT training state to resume from. Start a new run without --resume.")
        }
        if let decaySteps {
            state.options.decaySteps = decaySteps
            state.options.decaySeconds = nil
        }
        let tokenizer = try file.decodeTokenizer(source: path)
        try self.init(model: model, tokenizer: tokenizer, trainTokens: trainTokens, validTokens: validTokens,
                      sources: sources, state: state)
        try optimizer.loadState(file.optimizerState, origin: path)
    }

    /// What errors call texts given without their sources.
    public static let unnamedSources = (train: "The training text", valid: "The validation text")

    private init(model: GPT, tokenizer: any Tokenizer, trainTokens: [Int32], validTokens: [Int32],
                 sources: (train: String, valid: String), state: State) throws {
        let needed = model.configuration.blockSize + 1
        for (source, tokens) in [(sources.train, trainTokens), (sources.valid, validTokens)] where tokens.count < needed {
            throw TrainingError.shorterThanASequence(source, tokens: tokens.count, needed: needed)
        }
        self.model = model
        self.tokenizer = tokenizer
        self.options = state.options
        self.trainTokens = trainTokens
        self.validTokens = validTokens
        self.state = state
        optimizer = AdamW(groups: ParameterGroup.split(model.parameters, weightDecay: state.options.weightDecay),
                          learningRate: state.options.learningRate, beta1: state.options.beta1, beta2: state.options.beta2)
    }

    /// The progress saved with the model this task resumed, or a fresh one.
    public var progress: TrainingProgress { state.progress }

    /// One optimizer step over `gradientAccumulation` micro-batches at the scheduled rate.
    public func trainStep(step: Int, elapsed: Double) throws -> StepResult {
        model.setTraining(true)
        optimizer.learningRate = options.decaySeconds.map { options.schedule.rate(atStep: step, decayFraction: elapsed / $0) }
            ?? options.schedule.rate(atStep: step)
        optimizer.zeroGradients()
        let accumulation = options.gradientAccumulation
        var total = 0.0
        for _ in 0..<accumulation {
            let (tokens, targets) = Self.batch(from: trainTokens, size: options.batchSize,
                                               length: model.configuration.blockSize, generator: &state.batchGenerator)
            let loss = model.loss(tokens: tokens, targets: targets, generator: &state.dropoutGenerator)
            total += Double(loss.scalar)
            (accumulation == 1 ? loss : loss.scaled(by: 1 / Float(accumulation))).backward()
        }
        let mean = total / Double(accumulation)
        let tokens = accumulation * options.batchSize * model.configuration.blockSize
        guard mean.isFinite else {
            optimizer.zeroGradients()
            return StepResult(loss: mean, tokens: tokens)
        }
        let norm = options.gradientClip > 0 ? optimizer.clipGradientNorm(maxNorm: options.gradientClip) : gradientNorm(optimizer.parameters)
        guard norm.isFinite else {
            optimizer.zeroGradients()
            return StepResult(loss: .nan, tokens: tokens)
        }
        optimizer.step()
        return StepResult(loss: mean, tokens: tokens, extra: ["learning_rate": Double(optimizer.learningRate),
                                                               "grad_norm": Double(norm)])
    }

    public var validationDigest: String? { TokenDigest.of(tokens: validTokens) }

    /// The mean loss over `evaluationBatches` validation batches at random offsets, as nanoGPT's
    /// `estimate_loss`.
    ///
    /// The batches are drawn from the run's seed and are the same at every evaluation of the run,
    /// so evaluations compare like with like. A different seed draws different batches: a set
    /// fixed for every run would bias every run's estimate the same way.
    public func evaluate() throws -> [String: Double] {
        model.setTraining(false)
        defer { model.setTraining(true) }
        var generator = RandomGenerator(seed: state.evaluationSeed ?? 0x5EED)
        var dropout = RandomGenerator(seed: 0)
        var total = 0.0
        let batches = max(1, options.evaluationBatches)
        for _ in 0..<batches {
            let (tokens, targets) = Self.batch(from: validTokens, size: options.batchSize,
                                               length: model.configuration.blockSize, generator: &generator)
            total += Double(withoutGradients { model.loss(tokens: tokens, targets: targets, generator: &dropout) }.scalar)
        }
        return ["val_loss": total / Double(batches)]
    }

    /// Writes weights (nanoGPT names), configuration, tokenizer, optimizer and random state.
    public func saveCheckpoint(to path: String, progress: TrainingProgress) throws {
        state.progress = progress
        let file = ModelFile(kind: .gpt, configuration: try metadataJSON(model.configuration),
                             tokenizer: String(decoding: try tokenizer.encoded(), as: UTF8.self),
                             training: try metadataJSON(state), weights: model.stateDictionary(),
                             optimizerState: optimizer.stateTensors())
        try file.write(to: path)
    }

    /// `size` sequences of `length` tokens at random offsets, and the same shifted by one:
    /// nanoGPT's `get_batch`. Returns inputs and targets [size, length].
    static func batch(from data: [Int32], size: Int, length: Int,
                      generator: inout RandomGenerator) -> (IndexTensor, IndexTensor) {
        var inputs: [Int32] = [], targets: [Int32] = []
        inputs.reserveCapacity(size * length)
        targets.reserveCapacity(size * length)
        for _ in 0..<size {
            let start = generator.nextInt(below: data.count - length)
            inputs += data[start..<start + length]
            targets += data[start + 1...start + length]
        }
        return (IndexTensor(inputs, shape: [size, length]), IndexTensor(targets, shape: [size, length]))
    }
}

extension GPT {
    /// The model stored in a Quill model file.
    public convenience init(file: ModelFile, path: String) throws {
        let configuration = try file.decodeConfiguration(GPT.Configuration.self, path: path)
        if let problem = configuration.problem { throw GPTError.invalidConfiguration(origin: path, problem: problem) }
        try self.init(configuration: configuration, stateDictionary: file.weights, origin: path)
    }
}
