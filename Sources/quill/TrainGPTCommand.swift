import ArgumentParser
import Foundation
import QuillModels
import QuillTensor
import QuillText
import QuillTraining

struct TrainGPTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gpt",
        abstract: "Trains a small GPT-style Transformer language model.",
        discussion: """
            The model and recipe are nanoGPT's, with its names for the sizes. Defaults are its \
            Shakespeare CPU run: 4 layers, 4 heads, 128 wide, block 64, batch 12, learning rate \
            1e-3 warming up over 100 steps and decaying to 1e-4 by the last step. A run bounded \
            only by --time decays over that time instead, so it ends annealed however many steps \
            the machine takes.
            """)

    @OptionGroup var training: TrainingOptions

    @Option(help: "Transformer blocks.")
    var nLayer = 4

    @Option(help: "Attention heads per block; must divide --n-embd.")
    var nHead = 4

    @Option(help: "Width of the residual stream.")
    var nEmbd = 128

    @Option(help: "Context length in tokens.")
    var blockSize = 64

    @Flag(help: "Give Linear and LayerNorm layers biases (nanoGPT's default is none).")
    var bias = false

    @Option(help: "The tokenizer built from the corpus when no --vocab is given: char or bpe.")
    var tokenizer: TokenizerChoice = .char

    @Option(help: "The number of ids of a BPE tokenizer trained from the corpus.")
    var vocabSize = 4096

    @Option(help: "Steps of linear learning-rate warmup.")
    var warmupSteps = 100

    @Option(help: "The learning rate the cosine decay ends at.")
    var minLearningRate: Float = 1e-4

    @Option(help: "The step at which the decay reaches --min-learning-rate (default: the last step, or the end of --time).")
    var decaySteps: Int?

    @Option(help: "Micro-batches accumulated into each optimizer step.")
    var gradAccum = 1

    @Option(help: "Decoupled weight decay on weight matrices and embeddings.")
    var weightDecay: Float = 0.1

    @Option(help: "AdamW's second-moment decay rate.")
    var beta2 = 0.99

    @Option(help: "Validation batches averaged per evaluation.")
    var evalBatches = 20

    enum TokenizerChoice: String, ExpressibleByArgument, CaseIterable { case char, bpe }

    func validate() throws {
        try requireFinite(["--min-learning-rate": Double(minLearningRate), "--weight-decay": Double(weightDecay), "--beta2": beta2])
        try requireSizes(["--n-layer": nLayer, "--n-head": nHead, "--n-embd": nEmbd, "--block-size": blockSize,
                          "--grad-accum": gradAccum, "--eval-batches": evalBatches])
        if training.evalTokens != nil {
            throw ValidationError("--eval-tokens is for char-rnn, vae, hvae and lm; gpt estimates its validation loss from --eval-batches random batches, the same at every evaluation.")
        }
        if nEmbd % nHead != 0 { throw ValidationError("--n-embd \(nEmbd) must be a multiple of --n-head \(nHead).") }
        if warmupSteps < 0 { throw ValidationError("--warmup-steps must be 0 or more, got \(warmupSteps).") }
        if let decaySteps, decaySteps < warmupSteps {
            throw ValidationError("--decay-steps \(decaySteps) must be at least --warmup-steps \(warmupSteps).")
        }
        if !(minLearningRate >= 0) { throw ValidationError("--min-learning-rate must be 0 or more, got \(minLearningRate).") }
        if !(weightDecay >= 0) { throw ValidationError("--weight-decay must be 0 or more, got \(weightDecay).") }
        if !(beta2 > 0 && beta2 < 1) { throw ValidationError("--beta2 must be between 0 and 1, got \(beta2).") }
        if tokenizer == .bpe && training.vocab == nil && vocabSize < 257 {
            throw ValidationError("--vocab-size must be at least 257 (the 256 bytes and <|endoftext|>), got \(vocabSize).")
        }
    }

    func run() throws {
        try runReportingErrors {
            if let threads = training.threads { Threads.count = threads }
            let files = RunFiles(output: training.output)
            let task: GPTTrainingTask
            let corpus: TokenizedCorpus
            if training.resume {
                guard FileManager.default.fileExists(atPath: files.last) else {
                    throw TrainingError.resumeWithoutCheckpoint(files.last)
                }
                let saved = try ModelFile.read(files.last, expecting: [.gpt], purpose: "--resume")
                TrainingOptions.noteFlagsUnreadOnResume(alsoRead: ["--valid-fraction", "--decay-steps"],
                                                        commandThatBegan: saved.trainingProgress?.command)
                let savedTokenizer = try saved.decodeTokenizer(source: files.last)
                corpus = try tokenize(.given(savedTokenizer))
                task = try GPTTrainingTask(resumingFrom: files.last, trainTokens: corpus.train, validTokens: corpus.valid,
                                           sources: corpus.sources, decaySteps: decaySteps ?? training.steps)
            } else {
                corpus = try tokenize(training.vocab.map { .file($0) }
                                      ?? (tokenizer == .bpe ? .bpe(vocabularySize: vocabSize) : .character))
                let configuration = GPT.Configuration(
                    layerCount: nLayer, headCount: nHead, embeddingSize: nEmbd, blockSize: blockSize, bias: bias,
                    dropout: training.dropout ?? 0, vocabularySize: corpus.tokenizer.vocabularySize)
                task = try GPTTrainingTask(configuration: configuration, tokenizer: corpus.tokenizer,
                                           trainTokens: corpus.train, validTokens: corpus.valid, sources: corpus.sources,
                                           options: options(corpus: corpus), seed: training.seed)
            }
            warnAboutUnknownTokens(corpus.tokenizer.unknownShare(of: corpus.train), in: training.corpus,
                                   consequence: "the model learns little of it")
            let steps = stepLimit(corpus: corpus, batchSize: task.options.batchSize)
            let config = task.model.configuration
            FileHandle.standardError.write(Data("""
                gpt: \(config.layerCount) layers, \(config.headCount) heads, \(config.embeddingSize) wide, block \(config.blockSize), \
                \(config.parameterCount) parameters; \(corpus.train.count) training and \(corpus.valid.count) validation tokens \
                (\(corpus.tokenizer.kind.rawValue), \(corpus.tokenizer.vocabularySize) ids); \(Threads.count) threads, BLAS \(Threads.blasCoreName)

                """.utf8))
            let limits = TrainingLimits(steps: steps, timeBudget: training.timeBudget,
                                        evaluationInterval: training.evalInterval ?? 250)
            let trainer = try Trainer(task: task, limits: limits, files: files, progress: training.startingProgress(task.progress),
                                      label: "gpt")
            let summary = try trainer.run()
            if summary.reason == .interrupted { throw Exit.interrupted }
        }
    }

    private func tokenize(_ source: TokenizedCorpus.TokenizerSource) throws -> TokenizedCorpus {
        try TokenizedCorpus(corpus: training.corpus, valid: training.valid, validFraction: training.validFraction,
                            tokenizer: source)
    }

    /// The run's total optimizer steps: --steps, or --epochs over the training ids, or nanoGPT's
    /// 5000 when neither is given (and no --time budget stops the run instead).
    private func stepLimit(corpus: TokenizedCorpus, batchSize: Int?) -> Int? {
        if let steps = training.steps { return steps }
        if let epochs = training.epochs {
            let perStep = (batchSize ?? training.batchSize ?? 12) * blockSize * gradAccum
            return max(1, Int((epochs * Double(corpus.train.count) / Double(perStep)).rounded(.up)))
        }
        return training.timeBudget == nil ? 5000 : nil
    }

    private func options(corpus: TokenizedCorpus) -> GPTTrainingOptions {
        var options = GPTTrainingOptions()
        options.batchSize = training.batchSize ?? 12
        options.gradientAccumulation = gradAccum
        options.learningRate = training.learningRate ?? 1e-3
        options.minLearningRate = minLearningRate
        options.warmupSteps = warmupSteps
        let steps = stepLimit(corpus: corpus, batchSize: options.batchSize)
        options.decaySteps = decaySteps ?? steps ?? 5000
        if decaySteps == nil, steps == nil { options.decaySeconds = training.timeBudget }
        options.weightDecay = weightDecay
        options.beta2 = beta2
        options.gradientClip = training.gradClip ?? 1
        options.evaluationBatches = evalBatches
        return options
    }
}
