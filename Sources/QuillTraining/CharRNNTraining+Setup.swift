import Foundation
import QuillModels
import QuillNN
import QuillTensor
import QuillText

/// A char-rnn's training and validation text as token ids, with the tokenizer that made them.
public struct CharRNNData {
    /// The character tokenizer: from `--vocab`, from a resumed checkpoint, or built from the corpus.
    public let tokenizer: any Tokenizer
    /// The training token ids.
    public let training: [Int32]
    /// The validation token ids: the validation file's, or the corpus's last `validationFraction`.
    public let validation: [Int32]
    /// Where the validation tokens came from, for messages.
    public let validationSource: String

    /// Reads `corpus` (and `validation`, if given) and tokenizes them.
    ///
    /// Without a `tokenizer`, one is built from every grapheme cluster of the corpus file. The
    /// corpus must be UTF-8 text with at least two tokens in each part.
    public static func load(corpus: String, validation: String?, tokenizer: (any Tokenizer)?,
                            validationFraction: Double, replacingInvalidUTF8: Bool) throws -> CharRNNData {
        let text = try TextCorpus.read(corpus, replacingInvalidUTF8: replacingInvalidUTF8)
        let tokenizer = try tokenizer ?? CharacterTokenizer(vocabulary: text.characterVocabulary())
        var training = text.tokens(using: tokenizer)
        let held: [Int32], source: String
        if let validation {
            held = try TextCorpus.read(validation, replacingInvalidUTF8: replacingInvalidUTF8).tokens(using: tokenizer)
            source = validation
        } else {
            // nanoGPT's split: the first (1 − fraction) of the tokens train, the rest validate.
            let split = Int(Double(training.count) * (1 - validationFraction))
            held = Array(training[split...])
            training.removeSubrange(split...)
            source = "the last \(formatFigure(validationFraction * 100))% of \(corpus)"
        }
        guard held.count >= 2 else { throw TrainingError.corpusTooSmall(source, tokens: held.count, needed: 2) }
        return CharRNNData(tokenizer: tokenizer, training: training, validation: held, validationSource: source)
    }

    /// The optimizer steps in one pass over the training tokens (at least 1).
    public func stepsPerEpoch(options: CharRNNTrainingOptions) -> Int {
        max(1, (training.count / options.batchSize - 1) / options.sequenceLength)
    }

    /// The training streams, or ``TrainingError/corpusTooSmall(_:tokens:needed:)`` naming `corpus`
    /// when the training part cannot fill one batch.
    func trainingStreams(options: CharRNNTrainingOptions, corpus: String) throws -> TokenStreams {
        let needed = TokenStreams.minimumTokens(streamCount: options.batchSize, sequenceLength: options.sequenceLength)
        guard training.count >= needed else {
            throw TrainingError.corpusTooSmall(corpus, tokens: training.count, needed: needed)
        }
        return TokenStreams(tokens: training, streamCount: options.batchSize, sequenceLength: options.sequenceLength)
    }

    /// The validation streams, read like the training ones but never more than the text allows:
    /// all the validation tokens, or a fixed sample of at most `evaluationTokens`, one piece a
    /// stream (``EvaluationSample``).
    func validationStreams(options: CharRNNTrainingOptions, evaluationTokens: Int?) -> TokenStreams {
        let sample = EvaluationSample.tokens(validation, budget: evaluationTokens, pieces: options.batchSize)
        return .forEvaluation(tokens: sample, maxStreams: options.batchSize, sequenceLength: options.sequenceLength)
    }
}

extension CharRNNTrainingTask {
    /// A fresh run of a new model of `configuration` (its vocabulary size is taken from the
    /// data's tokenizer) on `data`, seeded by `seed`, evaluated on at most `evaluationTokens` of
    /// the validation tokens (nil: all).
    public static func start(configuration: CharRNN.Configuration, options: CharRNNTrainingOptions,
                             data: CharRNNData, corpus: String, seed: UInt64,
                             evaluationTokens: Int? = nil) throws -> CharRNNTrainingTask {
        var configuration = configuration
        configuration.vocabularySize = data.tokenizer.vocabularySize
        if let problem = configuration.problem { throw TrainingError.invalidOption("Invalid char-rnn sizes: \(problem).") }
        var generator = RandomGenerator(seed: seed)
        let model = CharRNN(configuration: configuration, generator: &generator)
        let optimizer = Adam(parameters: model.parameters, learningRate: options.schedule.rate(atStep: 0))
        return CharRNNTrainingTask(
            model: model, tokenizer: data.tokenizer, options: options, optimizer: optimizer,
            trainingStreams: try data.trainingStreams(options: options, corpus: corpus),
            validationStreams: data.validationStreams(options: options, evaluationTokens: evaluationTokens),
            carriedState: nil)
    }

    /// Continues the run whose last checkpoint is `path`, reading `corpus` and `validation` again
    /// with the checkpoint's tokenizer and options, and evaluating on at most `evaluationTokens`
    /// of the validation tokens (nil: all). Returns the task and the run's progress.
    ///
    /// Restores the weights, Adam's moments, the state carried across batches, the position in
    /// the data and every random generator, so the run goes on as if never interrupted.
    public static func resume(from path: String, corpus: String, validation: String?,
                              evaluationTokens: Int? = nil) throws
        -> (task: CharRNNTrainingTask, progress: TrainingProgress) {
        guard FileManager.default.fileExists(atPath: path) else { throw TrainingError.resumeWithoutCheckpoint(path) }
        let file = try ModelFile.read(path)
        guard file.kind == .charRNN else {
            throw TrainingError.wrongModelKind(path, found: file.kind.rawValue, expected: ModelKind.charRNN.rawValue)
        }
        guard let training = file.training,
              let state = try? JSONDecoder().decode(CharRNNTrainingState.self, from: Data(training.utf8)) else {
            throw ModelFileError.incomplete(path, missing: "char-rnn training state")
        }
        let (model, tokenizer) = try loadCharRNNNetwork(file, path: path)
        let data = try CharRNNData.load(corpus: corpus, validation: validation, tokenizer: tokenizer,
                                        validationFraction: state.options.validationFraction,
                                        replacingInvalidUTF8: state.options.replacesInvalidUTF8)
        var streams = try data.trainingStreams(options: state.options, corpus: corpus)
        guard streams.streamCount * streams.streamLength == state.trainingTokens else {
            throw TrainingError.invalidOption(
                "\(corpus) gives \(streams.streamCount * streams.streamLength) training tokens, but the run in \(path) trained on \(state.trainingTokens). Resume with the corpus and --valid of the original run.")
        }
        streams.position = state.position
        model.generator = state.outputDropoutGenerator
        model.recurrent.generator = state.recurrentDropoutGenerator
        let optimizer = Adam(parameters: model.parameters, learningRate: state.options.schedule.rate(atStep: state.progress.step))
        try optimizer.loadState(file.optimizerState, origin: path)
        var carried: RecurrentState?
        if let hidden = file.optimizerState[carriedStatePrefix + "hidden"] {
            carried = RecurrentState(hidden: hidden, cell: file.optimizerState[carriedStatePrefix + "cell"])
            let expected = [model.configuration.layerCount, state.options.batchSize, model.configuration.hiddenSize]
            guard hidden.shape == expected, carried?.cell.map({ $0.shape == expected }) ?? (model.configuration.cell == .gru) else {
                throw ModelFileError.badConfiguration(path, "the carried hidden state does not have shape \(expected)")
            }
        }
        let task = CharRNNTrainingTask(model: model, tokenizer: tokenizer, options: state.options, optimizer: optimizer,
                                       trainingStreams: streams,
                                       validationStreams: data.validationStreams(options: state.options,
                                                                                 evaluationTokens: evaluationTokens),
                                       carriedState: carried)
        return (task, state.progress)
    }
}

/// The network and tokenizer of a char-rnn model file, weights loaded.
func loadCharRNNNetwork(_ file: ModelFile, path: String) throws -> (CharRNN, any Tokenizer) {
    let configuration = try file.decodeConfiguration(CharRNN.Configuration.self, path: path)
    if let problem = configuration.problem { throw ModelFileError.badConfiguration(path, problem) }
    let tokenizer = try file.decodeTokenizer(source: path)
    guard tokenizer.vocabularySize == configuration.vocabularySize else {
        throw ModelFileError.badConfiguration(
            path, "its tokenizer has \(tokenizer.vocabularySize) ids but vocab_size is \(configuration.vocabularySize)")
    }
    var generator = RandomGenerator(seed: 0)
    let model = CharRNN(configuration: configuration, generator: &generator)
    do {
        try model.load(file.weights)
    } catch let error as ModuleError {
        throw ModelFileError.badConfiguration(path, error.description)
    }
    return (model, tokenizer)
}

/// `value` without a fraction when it is whole, else with up to 4 significant decimals.
private func formatFigure(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : String(format: "%.4g", value)
}
