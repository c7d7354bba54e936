import ArgumentParser
import Foundation
import QuillModels
import QuillTensor
import QuillText
import QuillTraining

/// The one code path behind `quill train vae`, `hvae` and `lm`: vocabulary, sentences, model,
/// task and the shared training loop. Only the model kind and its latent levels differ.
struct SentenceTrainingRun {
    let kind: ModelKind
    let training: TrainingOptions
    let model: SentenceModelOptions
    /// Latent levels: 0 (lm), 1 (vae) or more (hvae).
    let levels: Int
    let decoderLatents: SentenceModelConfiguration.DecoderLatents

    func run() throws {
        try runReportingErrors {
            if let threads = training.threads { Threads.count = threads }
            let files = RunFiles(output: training.output)
            let task: SentenceTrainingTask
            let data: Sentences
            if training.resume {
                guard FileManager.default.fileExists(atPath: files.last) else {
                    throw TrainingError.resumeWithoutCheckpoint(files.last)
                }
                let saved = try ModelFile.read(files.last, expecting: [kind], purpose: "--resume")
                TrainingOptions.noteFlagsUnreadOnResume(alsoRead: ["--valid-fraction", "--max-length"],
                                                        commandThatBegan: saved.trainingProgress?.command)
                data = try sentences(tokenizer: try saved.decodeTokenizer(source: files.last))
                task = try SentenceTrainingTask(resumingFrom: files.last, train: data.train,
                                                validation: data.evaluationSample(budget: training.evaluationTokenBudget),
                                                decaySteps: stepLimit)
            } else {
                data = try sentences(tokenizer: try makeTokenizer())
                let configuration = SentenceModelConfiguration(
                    cell: model.cell, vocabularySize: data.tokenizer.vocabularySize, embeddingSize: model.embeddingSize,
                    hiddenSize: model.hiddenSize, latentSize: levels > 0 ? model.latentSize : 0, levels: levels,
                    isBidirectional: model.bidirectional, conditioning: model.conditioning, decoderLatents: decoderLatents,
                    dropout: training.dropout ?? 0, tiesEmbeddings: model.tieEmbeddings,
                    posteriorBatchNorm: levels > 0 ? model.posteriorBatchNorm : nil)
                if let problem = configuration.problem(for: kind) { throw ValidationError(problem) }
                var generator = RandomGenerator(seed: training.seed)
                let sentenceModel: any SentenceModel = switch kind {
                case .vae: SentenceVAE(configuration: configuration, tokenizer: data.tokenizer, generator: &generator)
                case .hvae: HierarchicalVAE(configuration: configuration, tokenizer: data.tokenizer, generator: &generator)
                default: SentenceLM(configuration: configuration, tokenizer: data.tokenizer, generator: &generator)
                }
                var options = trainingOptions()
                options.decaySteps = stepLimit(batchesPerEpoch: SentenceBatches.batchCount(
                    sentenceCount: data.train.count, batchSize: options.batchSize))
                options.decaySeconds = training.timeBudget
                task = try SentenceTrainingTask(model: sentenceModel, train: data.train,
                                                validation: data.evaluationSample(budget: training.evaluationTokenBudget),
                                                options: options, seed: training.seed)
            }
            let c = task.model.configuration
            let validationNote = sampleNote(read: task.validationTokenCount, of: EvaluationSample.tokenCount(data.valid),
                                            unit: "tokens")
            FileHandle.standardError.write(Data("""
                \(kind.rawValue): \(c.cell.rawValue) embedding \(c.embeddingSize), hidden \(c.hiddenSize)\
                \(levels > 0 ? ", \(levels) × z \(c.latentSize) (\(c.conditioning.rawValue))" : ""), \
                \(task.model.parameterCount) parameters; \(data.train.count) training sentences (\(data.dropped) longer than \
                \(model.maxLength) left out), \(data.valid.count) validation\(validationNote); \(data.tokenizer.kind.rawValue) tokenizer, \
                \(data.tokenizer.vocabularySize) ids; \(task.batchesPerEpoch) batches per epoch; \(Threads.count) threads

                """.utf8))
            let limits = TrainingLimits(steps: stepLimit(batchesPerEpoch: task.batchesPerEpoch), timeBudget: training.timeBudget,
                                        evaluationInterval: training.evalInterval ?? min(1000, task.batchesPerEpoch))
            let trainer = try Trainer(task: task, limits: limits, files: files, progress: training.startingProgress(task.progress),
                                      label: kind.rawValue)
            let summary = try trainer.run()
            if summary.reason == .interrupted { throw Exit.interrupted }
        }
    }

    /// The training and validation sentences as ids, and the tokenizer that made them.
    struct Sentences {
        var tokenizer: any Tokenizer
        var train: [[Int]]
        var valid: [[Int]]
        var dropped: Int

        /// The validation sentences an evaluation during training reads: all, or an even sample
        /// of at most `budget` tokens.
        func evaluationSample(budget: Int?) -> [[Int]] { EvaluationSample.sentences(valid, budget: budget) }
    }

    /// Reads the corpus (and --valid, or the corpus's last --valid-fraction of sentences).
    private func sentences(tokenizer: any Tokenizer) throws -> Sentences {
        var train = try readSentences(path: training.corpus, tokenizer: tokenizer)
        warnAboutUnknownTokens(tokenizer.unknownShare(of: train.joined()), in: training.corpus,
                               consequence: "the model learns little of it")
        let valid: [[Int]]
        if let path = training.valid {
            valid = try readSentences(path: path, tokenizer: tokenizer)
        } else {
            let held = max(1, Int(Double(train.count) * training.validFraction))
            guard train.count > held else { throw TrainingError.tooFewSentencesToHoldOut(training.corpus, sentences: train.count) }
            valid = Array(train.suffix(held))
            train.removeLast(held)
        }
        let kept = train.filter { $0.count <= model.maxLength }
        return Sentences(tokenizer: tokenizer, train: kept, valid: valid, dropped: train.count - kept.count)
    }

    /// --vocab, or a word-level vocabulary built from the corpus.
    private func makeTokenizer() throws -> any Tokenizer {
        if let path = training.vocab { return try loadTokenizer(at: path) }
        var builder = try VocabularyBuilder(settings: .defaults(for: model.tokenizer))
        try builder.addFile(atPath: training.corpus)
        var vocabulary = try builder.build(minimumCount: model.minCount, maximumSize: model.vocabSize)
        vocabulary.source = training.corpus
        return try TokenizerFile.tokenizer(for: vocabulary)
    }

    /// --steps, or --epochs of batches, or 10 epochs when no --time budget bounds the run.
    private func stepLimit(batchesPerEpoch: Int) -> Int? {
        if let steps = training.steps { return steps }
        if let epochs = training.epochs { return max(1, Int((epochs * Double(batchesPerEpoch)).rounded(.up))) }
        return training.timeBudget == nil ? 10 * batchesPerEpoch : nil
    }

    private func trainingOptions() -> SentenceTrainingOptions {
        var options = SentenceTrainingOptions()
        options.batchSize = training.batchSize ?? 32
        options.learningRate = training.learningRate ?? 1e-3
        options.minLearningRate = model.minLearningRate ?? options.learningRate / 10
        options.gradientClip = training.gradClip ?? 5
        options.wordDropout = model.wordDropout
        options.annealing = levels > 0 ? model.annealing : KLAnnealing(schedule: .none)
        options.freeBits = model.freeBits
        options.beta = model.beta
        options.validationSamples = model.validSamples
        options.aggressiveEncoder = model.aggressiveEncoder
        options.selection = model.selectBy
        return options
    }
}
