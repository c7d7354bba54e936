import ArgumentParser
import Foundation
import QuillModels
import QuillTensor
import QuillText
import QuillTraining

struct TrainCharRNNCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "char-rnn",
        abstract: "Trains a character-level LSTM or GRU language model.",
        discussion: """
            One token per grapheme cluster. The corpus is cut into --batch-size parallel streams \
            read --seq-len characters at a time, and the hidden state carries from batch to batch \
            (truncated backpropagation through time), as in Karpathy's char-rnn. Defaults: a \
            2-layer LSTM of 256 with a 64-wide embedding, batch 32, sequence 128, Adam at 2e-3 \
            with gradient clipping at 5 and a cosine decay to a tenth, 10 epochs unless --steps, \
            --epochs or --time is given. With --resume the sizes and optimizer settings come from \
            the checkpoint.
            """)

    @OptionGroup var training: TrainingOptions

    @Option(help: "The recurrent cell: lstm or gru.")
    var cell: CharRNN.Configuration.Cell = .lstm

    @Option(help: "Stacked recurrent layers.")
    var layers = 2

    @Option(help: "Hidden units per layer.")
    var hiddenSize = 256

    @Option(help: "Width of the character embedding.")
    var embeddingSize = 64

    @Option(help: "Characters per training sequence (the truncated-BPTT length).")
    var seqLen = 128

    @Option(help: "The learning-rate schedule: constant, step, or cosine over the run's steps (or over --time when only that bounds the run).")
    var schedule: ScheduleChoice?

    @Option(help: "Steps of linear warmup before the cosine decay.")
    var warmupSteps = 0

    @Option(help: "The rate the cosine decay ends at (default: a tenth of --learning-rate).")
    var minLearningRate: Float?

    @Option(help: "The step at which the cosine decay reaches --min-learning-rate (default: the last step).")
    var decaySteps: Int?

    @Option(help: "Steps between step decays (default: one epoch).")
    var decayEvery: Int?

    @Option(help: "The factor each step decay multiplies the rate by.")
    var decayFactor: Float = 0.97

    @Flag(help: "Read invalid UTF-8 in the corpus as U+FFFD instead of stopping.")
    var replaceInvalidUTF8 = false

    enum ScheduleChoice: String, ExpressibleByArgument, CaseIterable { case constant, cosine, step }

    func validate() throws {
        try requireFinite(["--min-learning-rate": minLearningRate.map(Double.init), "--decay-factor": Double(decayFactor)])
        try requireSizes(["--layers": layers, "--hidden-size": hiddenSize, "--embedding-size": embeddingSize, "--seq-len": seqLen])
        if warmupSteps < 0 { throw ValidationError("--warmup-steps must be 0 or more, got \(warmupSteps).") }
        if let minLearningRate, !(minLearningRate >= 0) {
            throw ValidationError("--min-learning-rate must be 0 or more, got \(minLearningRate).")
        }
        if let decayEvery, decayEvery <= 0 { throw ValidationError("--decay-every must be positive, got \(decayEvery).") }
        if !(decayFactor > 0) { throw ValidationError("--decay-factor must be positive, got \(decayFactor).") }
        if let decaySteps, decaySteps < max(warmupSteps, 1) {
            throw ValidationError("--decay-steps \(decaySteps) must be positive and at least --warmup-steps \(warmupSteps).")
        }
        if schedule == .cosine && training.steps == nil && training.epochs == nil && decaySteps == nil && training.time == nil {
            throw ValidationError("--schedule cosine needs --steps, --epochs, --decay-steps or --time to know where the decay ends.")
        }
    }

    func run() throws {
        try runReportingErrors {
            if let threads = training.threads { Threads.count = threads }
            let files = RunFiles(output: training.output)
            let task: CharRNNTrainingTask
            var progress = TrainingProgress()
            if training.resume {
                (task, progress) = try CharRNNTrainingTask.resume(from: files.last, corpus: training.corpus,
                                                                  validation: training.valid,
                                                                  evaluationTokens: training.evaluationTokenBudget)
                TrainingOptions.noteFlagsUnreadOnResume(commandThatBegan: progress.command)
            } else {
                var options = CharRNNTrainingOptions()
                options.batchSize = training.batchSize ?? 32
                options.sequenceLength = seqLen
                options.gradientClip = training.gradClip ?? 5
                options.validationFraction = training.validFraction
                options.replacesInvalidUTF8 = replaceInvalidUTF8
                let data = try CharRNNData.load(
                    corpus: training.corpus, validation: training.valid,
                    tokenizer: try training.vocab.map(characterTokenizer),
                    validationFraction: options.validationFraction, replacingInvalidUTF8: replaceInvalidUTF8)
                let configuration = CharRNN.Configuration(
                    cell: cell, vocabularySize: data.tokenizer.vocabularySize, embeddingSize: embeddingSize,
                    hiddenSize: hiddenSize, layerCount: layers, dropout: training.dropout ?? 0)
                let stepsPerEpoch = data.stepsPerEpoch(options: options)
                let totalSteps = decaySteps ?? stepLimit(stepsPerEpoch: stepsPerEpoch)
                options.schedule = learningRateSchedule(totalSteps: totalSteps, stepsPerEpoch: stepsPerEpoch)
                if totalSteps == nil, case .warmupCosine = options.schedule { options.decayTime = training.timeBudget }
                task = try CharRNNTrainingTask.start(configuration: configuration, options: options, data: data,
                                                     corpus: training.corpus, seed: training.seed,
                                                     evaluationTokens: training.evaluationTokenBudget)
                FileHandle.standardError.write(Data(describe(task, data: data).utf8))
                warnAboutUnknownTokens(data.tokenizer.unknownShare(of: data.training), in: training.corpus,
                                       consequence: "the model learns little of it")
            }
            let limits = TrainingLimits(steps: stepLimit(stepsPerEpoch: task.stepsPerEpoch), timeBudget: training.timeBudget,
                                        evaluationInterval: training.evalInterval ?? min(500, task.stepsPerEpoch))
            let trainer = try Trainer(task: task, limits: limits, files: files, progress: training.startingProgress(progress),
                                      label: "char-rnn")
            let summary = try trainer.run()
            if summary.reason == .interrupted { throw Exit.interrupted }
        }
    }

    /// The tokenizer of the `--vocab` file, which must be a character vocabulary.
    private func characterTokenizer(_ path: String) throws -> any Tokenizer {
        let tokenizer = try loadTokenizer(at: path)
        guard tokenizer.kind == .character else {
            throw TrainingError.invalidOption(
                "--vocab \(path) is a \(tokenizer.kind.rawValue) vocabulary, but a char-rnn needs a character one. Build it with `quill vocab build --tokenizer char`, or leave out --vocab.")
        }
        return tokenizer
    }

    /// The run's total optimizer steps: --steps, or --epochs of the training streams, or 10
    /// epochs when neither is given and no --time budget stops the run instead.
    private func stepLimit(stepsPerEpoch: Int) -> Int? {
        if let steps = training.steps { return steps }
        if let epochs = training.epochs { return max(1, Int((epochs * Double(stepsPerEpoch)).rounded(.up))) }
        return training.timeBudget == nil ? 10 * stepsPerEpoch : nil
    }

    private func learningRateSchedule(totalSteps: Int?, stepsPerEpoch: Int) -> LearningRateScheduleConfiguration {
        let rate = training.learningRate ?? 2e-3
        switch schedule ?? (totalSteps == nil && training.timeBudget == nil ? .constant : .cosine) {
        case .constant:
            return .constant(ConstantRate(rate: rate))
        case .cosine:
            let total = max(totalSteps ?? warmupSteps, warmupSteps)
            return .warmupCosine(WarmupCosineDecay(maxRate: rate, minRate: minLearningRate ?? rate / 10,
                                                   warmupSteps: min(warmupSteps, total), decaySteps: total))
        case .step:
            return .stepDecay(StepDecay(initialRate: rate, interval: decayEvery ?? stepsPerEpoch, factor: decayFactor))
        }
    }

    private func describe(_ task: CharRNNTrainingTask, data: CharRNNData) -> String {
        let c = task.model.configuration
        return "char-rnn: \(c.layerCount)×\(c.hiddenSize) \(c.cell.rawValue.uppercased()), embedding \(c.embeddingSize), "
            + "dropout \(c.dropout), \(c.parameterCount) parameters; \(data.training.count) training and "
            + "\(data.validation.count) validation tokens (\(data.tokenizer.vocabularySize) ids, validation: \(data.validationSource)"
            + "\(sampleNote(read: task.validationTokenCount, of: data.validation.count))); "
            + "batch \(task.options.batchSize)×\(task.options.sequenceLength), \(task.stepsPerEpoch) steps per epoch; "
            + "\(Threads.count) threads, BLAS \(Threads.blasCoreName)\n"
    }
}

extension CharRNN.Configuration.Cell: ExpressibleByArgument {}
