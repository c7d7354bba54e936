import Foundation
import QuillModels
import QuillNN
import QuillTensor
import QuillText

/// Scores a ``CharRNN`` on a text file for `quill eval`: nats and bits per character.
///
/// The text is read as training reads its validation part: cut into parallel streams, each
/// run from a zero state with the state carried from batch to batch, so `quill eval` on the
/// validation file repeats the `val_loss` of training.
public final class CharRNNEvaluator: CorpusEvaluating {
    /// The network.
    public let model: CharRNN
    /// Its character tokenizer.
    public let tokenizer: any Tokenizer
    /// The most streams read side by side (the training batch size).
    public let streamCount: Int
    /// Timesteps per batch (the training sequence length).
    public let sequenceLength: Int

    /// Creates an evaluator reading `streamCount` streams `sequenceLength` tokens at a time.
    public init(model: CharRNN, tokenizer: any Tokenizer, streamCount: Int = 32, sequenceLength: Int = 128) {
        self.model = model
        self.tokenizer = tokenizer
        self.streamCount = streamCount
        self.sequenceLength = sequenceLength
    }

    /// `nats_per_token`, `bits_per_token`, `perplexity` and `tokens` on the text of `path`, with
    /// `nats_per_char` and `bits_per_char` (the same figures: a token is one grapheme cluster).
    public func evaluate(corpusAt path: String, options: CorpusEvaluationOptions,
                         progress: (Double) -> Void) throws -> [String: Double] {
        let tokens = try TextCorpus.read(path).tokens(using: tokenizer)
        guard tokens.count >= 2 else { throw TrainingError.corpusTooShortToEvaluate(path, tokens: tokens.count, needed: 2) }
        let streams = TokenStreams.forEvaluation(tokens: tokens, maxStreams: streamCount, sequenceLength: sequenceLength)
        let nats = Self.meanLoss(of: model, on: streams, progress: progress)
        let bits = nats / log(2)
        var figures: [String: Double] = [
            "nats_per_token": nats, "bits_per_token": bits, "nats_per_char": nats, "bits_per_char": bits,
            "perplexity": exp(nats), "tokens": Double(streams.evaluatedTokenCount)]
        figures["unknown_share"] = tokenizer.unknownShare(of: tokens)
        return figures
    }

    /// The mean cross-entropy in nats per predicted token of `model` over one pass of `streams`,
    /// without dropout; calls `progress` with the fraction done after each batch.
    static func meanLoss(of model: CharRNN, on streams: TokenStreams, progress: (Double) -> Void) -> Double {
        let wasTraining = model.isTraining
        model.setTraining(false)
        defer { model.setTraining(wasTraining) }
        let batches = streams.evaluationBatches()
        var total = 0.0
        var state: RecurrentState?
        withoutGradients {
            for (index, batch) in batches.enumerated() {
                if batch.startsPass { state = nil }
                let (logits, next) = model(batch.inputs, state: state)
                total += Double(logits.crossEntropy(targets: batch.targets, reduction: .sum).scalar)
                state = next
                // Whole percents only: a progress line per batch would flood a log.
                if (index + 1) * 100 / batches.count != index * 100 / batches.count {
                    progress(Double(index + 1) / Double(batches.count))
                }
            }
        }
        return total / Double(streams.evaluatedTokenCount)
    }
}

/// Reads a char-rnn model file for sampling and evaluation.
func loadCharRNN(_ file: ModelFile, path: String) throws -> LoadedModel {
    let (model, tokenizer) = try loadCharRNNNetwork(file, path: path)
    var options = CharRNNTrainingOptions()
    if let training = file.training,
       let state = try? JSONDecoder().decode(CharRNNTrainingState.self, from: Data(training.utf8)) {
        options = state.options
    }
    let evaluator = CharRNNEvaluator(model: model, tokenizer: tokenizer, streamCount: options.batchSize,
                                     sequenceLength: options.sequenceLength)
    return LoadedModel(path: path, file: file, textGenerator: try CharRNNGenerator(model: model, tokenizer: tokenizer),
                       evaluator: evaluator, tokenizer: tokenizer)
}
