#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import QuillNN
import QuillTensor
import QuillText

/// The LSTM (or GRU) language model baseline: the sentence VAE's decoder without z, trained by
/// the same command on the same batches, so the comparison with the VAE is like for like.
///
/// Its NLL is exact, so its perplexity is the bar the VAE's importance-weighted bound is held to.
public final class SentenceLM: SentenceModel, TextGenerator, CorpusEvaluating {
    /// Always `.lm`.
    public let kind = ModelKind.lm
    /// The sizes this model was built with (`levels` is 0).
    public let configuration: SentenceModelConfiguration
    /// The tokenizer its ids belong to.
    public let tokenizer: any Tokenizer
    /// `embedding.weight` [V, E].
    public let embedding: Tensor
    let decoder: SentenceDecoder
    /// Whether dropout is active.
    public private(set) var isTraining = true

    /// Creates a model initialized as the VAE's decoder.
    public init(configuration: SentenceModelConfiguration, tokenizer: any Tokenizer, generator: inout RandomGenerator) {
        precondition(configuration.problem(for: .lm) == nil, configuration.problem(for: .lm)!)
        self.configuration = configuration
        self.tokenizer = tokenizer
        embedding = configuration.makeEmbedding(generator: &generator)
        decoder = SentenceDecoder(configuration: configuration, latentSize: 0, embedding: embedding, tokenizer: tokenizer,
                                  generator: &generator)
    }

    /// Every parameter under the VAE's names for the same tensors.
    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        [("embedding.weight", embedding)] + decoder.namedParameters()
    }

    /// Switches dropout on (training) or off (evaluation and generation).
    public func setTraining(_ training: Bool) {
        isTraining = training
        decoder.setTraining(training)
    }

    /// The reconstruction term is the whole loss; there is no KL.
    public func lossTerms(for batch: SentenceBatch, wordDropout: Float, generator: inout RandomGenerator) -> SentenceLossTerms {
        let input = batch.decoderInputDroppingWords(rate: isTraining ? wordDropout : 0, generator: &generator)
        let embedded = Tensor.embedding(embedding, indices: input)
            .dropout(probability: configuration.dropout, isTraining: isTraining, using: &generator)
        let loss = decoder.reconstructionLoss(embedded, latent: nil, batch: batch, outputDropout: configuration.dropout,
                                              isTraining: isTraining, generator: &generator)
        return SentenceLossTerms(reconstruction: loss, klPerDimension: [], batchSize: batch.batchSize,
                                 tokenCount: batch.tokenCount)
    }

    /// log p(sentence) for each sentence of `batch` [B], without recording or dropout.
    public func logLikelihoods(of batch: SentenceBatch) -> [Double] {
        withoutGradients {
            decoder.logLikelihoods(Tensor.embedding(embedding, indices: batch.decoderInput), latent: nil, batch: batch)
        }
    }

    /// Continues `prompt` to the end of its sentence, streaming each new word to `onText`.
    public func generate(prompt: String, options: SamplingOptions, generator: inout RandomGenerator,
                         onText: (String) -> Bool) throws {
        let prefix = tokenizer.encodeTyped(prompt).filter { !Vocabulary.isSpecial($0) || $0 == Vocabulary.unknownID }
        let ids = decoder.generate(embedding: embedding, latents: nil, count: 1, options: options, prefixes: [prefix],
                                   generator: &generator)[0]
        // Decoding the growing sentence and sending the new suffix keeps the tokenizer's spacing.
        var shown = tokenizer.decode(prefix)
        for end in stride(from: 1, through: ids.count, by: 1) {
            let text = tokenizer.decode(prefix + ids[..<end])
            let addition = text.hasPrefix(shown) ? String(text.dropFirst(shown.count)) : text
            shown = text
            if !onText(addition) { return }
        }
    }

    /// The exact NLL of the sentences of `path`: `nll` (nats per sentence), `nats_per_token`,
    /// `perplexity` (tokens count `<eos>`, not `<bos>`), `tokens` and `sentences`.
    public func evaluate(corpusAt path: String, options: CorpusEvaluationOptions,
                         progress: (Double) -> Void) throws -> [String: Double] {
        let sentences = try readSentences(path: path, tokenizer: tokenizer)
        var figures = evaluate(sentences: sentences, progress: progress)
        figures["unknown_share"] = tokenizer.unknownShare(of: sentences.joined())
        return figures
    }

    /// The exact NLL figures of `sentences` (ids without specials), in length-sorted batches.
    public func evaluate(sentences: [[Int]], batchSize: Int = 64, progress: (Double) -> Void = { _ in }) -> [String: Double] {
        let wasTraining = isTraining
        setTraining(false)
        defer { setTraining(wasTraining) }
        let order = sentences.indices.sorted { sentences[$0].count < sentences[$1].count }
        var total = 0.0, tokens = 0
        for start in stride(from: 0, to: order.count, by: batchSize) {
            let batch = SentenceBatch(sentences: order[start..<min(start + batchSize, order.count)].map { sentences[$0] })
            total -= logLikelihoods(of: batch).reduce(0, +)
            tokens += batch.tokenCount
            progress(Double(min(start + batchSize, order.count)) / Double(order.count))
        }
        return ["nll": total / Double(sentences.count), "nats_per_token": total / Double(tokens),
                "perplexity": exp(total / Double(tokens)), "tokens": Double(tokens), "sentences": Double(sentences.count)]
    }
}

extension SentenceLM: SentenceScorer {
    /// The exact NLL of each sentence, `<eos>` included, in length-sorted batches; a sentence
    /// with no tokens is scored on its `<eos>` alone.
    public func scores(of sentences: [String]) -> [SentenceScore] {
        let wasTraining = isTraining
        setTraining(false)
        defer { setTraining(wasTraining) }
        let ids = sentences.map { sentenceTokenIDs($0, tokenizer: tokenizer) ?? [] }
        let order = ids.indices.sorted { ids[$0].count < ids[$1].count }
        var result = [SentenceScore](repeating: SentenceScore(nll: 0, tokens: 0), count: ids.count)
        for start in stride(from: 0, to: order.count, by: 64) {
            let rows = Array(order[start..<min(start + 64, order.count)])
            let likelihoods = logLikelihoods(of: SentenceBatch(sentences: rows.map { ids[$0] }))
            for (row, likelihood) in zip(rows, likelihoods) { result[row] = SentenceScore(nll: -likelihood, tokens: ids[row].count + 1) }
        }
        return result
    }
}

/// The ids of one sentence without control specials, or nil when nothing is left or the line
/// is blank: a line of spaces and tabs is no sentence, though a lossless word tokenizer encodes it.
/// A `typed` sentence (one a person wrote, not a corpus line) is read as the corpus reads the same
/// words (``Tokenizer/encodeTyped(_:)``).
func sentenceTokenIDs(_ line: String, tokenizer: any Tokenizer, typed: Bool = false) -> [Int]? {
    guard line.contains(where: { !$0.isWhitespace }) else { return nil }
    let ids = (typed ? tokenizer.encodeTyped(line) : tokenizer.encode(line)).filter { !Vocabulary.isSpecial($0) || $0 == Vocabulary.unknownID }
    return ids.isEmpty ? nil : ids
}

/// The sentences of a sentence-per-line file as ids without specials; blank lines are skipped.
public func readSentences(path: String, tokenizer: any Tokenizer) throws -> [[Int]] {
    let reader = try TextLineReader(path: path)
    var sentences: [[Int]] = []
    while let line = try reader.nextLine() {
        if let ids = sentenceTokenIDs(line, tokenizer: tokenizer) { sentences.append(ids) }
    }
    guard !sentences.isEmpty else { throw SentenceModelError.emptyCorpus(path) }
    return sentences
}
