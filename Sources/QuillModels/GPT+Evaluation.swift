import Foundation
import QuillTensor
import QuillText

extension GPTTextModel: CorpusEvaluating {
    /// The mean loss per token over the whole text of `path`, in consecutive windows of
    /// `block_size` + 1 tokens, each predicting its last `block_size` tokens: `nats_per_token`,
    /// `bits_per_token`, `perplexity` and `tokens`. On a poetry corpus (most lines a poem
    /// punctuated with ， and 。) also `regular_poem_share`, the format check of
    /// ``regularPoemShare(count:temperature:)``, with its `poems` (`options.samples`, default 100)
    /// and `poem_temperature` (`options.temperature`, default 0.8).
    public func evaluate(corpusAt path: String, options: CorpusEvaluationOptions,
                         progress: (Double) -> Void) throws -> [String: Double] {
        // The reader the other models use, so a missing file, a directory or invalid UTF-8 gets
        // the same precise message (and exit code) here.
        let reader = try TextChunkReader(path: path)
        var bytes: [UInt8] = []
        while let chunk = try reader.nextChunk() { bytes += chunk }
        let text = String(decoding: bytes, as: UTF8.self)
        let ids = tokenizer.encode(text).map { Int32($0) }
        let length = model.configuration.blockSize
        let windows = (ids.count - 1) / length
        guard windows > 0 else { throw GPTError.corpusTooShort(path: path, tokens: ids.count, needed: length + 1) }
        var total = 0.0
        var dropout = RandomGenerator(seed: 0)
        let batch = 16
        for first in stride(from: 0, to: windows, by: batch) {
            let count = min(batch, windows - first)
            var inputs: [Int32] = [], targets: [Int32] = []
            for w in first..<first + count {
                inputs += ids[w * length..<(w + 1) * length]
                targets += ids[w * length + 1...(w + 1) * length]
            }
            let loss = withoutGradients {
                model.loss(tokens: IndexTensor(inputs, shape: [count, length]),
                           targets: IndexTensor(targets, shape: [count, length]), generator: &dropout)
            }
            total += Double(loss.scalar) * Double(count * length)
            if (first / batch) % 16 == 15 || first + count == windows { progress(Double(first + count) / Double(windows)) }
        }
        let tokens = Double(windows * length)
        let nats = total / tokens
        var figures = ["nats_per_token": nats, "bits_per_token": nats / log(2), "perplexity": exp(nats), "tokens": tokens]
        figures["unknown_share"] = tokenizer.unknownShare(of: ids)
        if Self.isPoetryCorpus(text) {
            let count = options.samples ?? 100, temperature = options.temperature ?? 0.8
            figures["poems"] = Double(count)
            figures["poem_temperature"] = Double(temperature)
            figures["regular_poem_share"] = try regularPoemShare(count: count, temperature: temperature)
        }
        return figures
    }

    /// The share of `count` sampled poems that are regular: see ``isRegularPoem(_:)``.
    ///
    /// Each poem is one line sampled after a newline (the corpus's poem boundary, so the model
    /// starts a poem rather than continuing one) at `temperature`, seed 0. Up to 400 characters
    /// are allowed (99% of the Tang corpus's poems are shorter), so that a long poem is judged on
    /// its form, not cut off mid-clause; a blank line counts as an irregular poem.
    public func regularPoemShare(count: Int, temperature: Float = 0.8) throws -> Double {
        var options = SamplingOptions()
        options.temperature = temperature
        options.maxTokens = 400
        options.stopStrings = ["\n"]
        var generator = RandomGenerator(seed: 0)
        var regular = 0
        for _ in 0..<count {
            var poem = ""
            try generate(prompt: "", options: options, generator: &generator) { poem += $0; return true }
            if Self.isRegularPoem(poem) { regular += 1 }
        }
        return Double(regular) / Double(max(count, 1))
    }

    /// Whether `poem`, split into clauses at ， and 。, has at least two clauses, all of the same
    /// length, and that length is 5 or 7 characters: the shape of regulated Tang verse.
    public static func isRegularPoem(_ poem: String) -> Bool {
        let clauses = poem.trimmingCharacters(in: .whitespacesAndNewlines)
            .split(whereSeparator: { $0 == "，" || $0 == "。" })
        guard clauses.count >= 2, let length = clauses.first?.count, length == 5 || length == 7 else { return false }
        return clauses.allSatisfy { $0.count == length }
    }

    /// Whether most of the first lines of `text` are punctuated with ， and 。 (a poem per line).
    static func isPoetryCorpus(_ text: String) -> Bool {
        let lines = text.split(separator: "\n", maxSplits: 50).prefix(50)
        let poems = lines.filter { $0.contains("，") && $0.contains("。") }
        return !lines.isEmpty && poems.count * 2 > lines.count
    }
}

extension GPTTextModel: SentenceScorer {
    /// The NLL of each sentence as a line of text: its tokens and the newline after it, given
    /// the newline before it (`<|endoftext|>` or `<bos>` when the tokenizer has no newline), one
    /// sentence per forward pass. A sentence longer than `block_size` is scored on its first
    /// `block_size` predictions.
    public func scores(of sentences: [String]) throws -> [SentenceScore] {
        let newline = tokenizer.encode("\n")
        let start = newline.isEmpty ? ["<|endoftext|>", "<bos>"].compactMap { tokenizer.specialTokens[$0] }.prefix(1) : newline[...]
        guard !start.isEmpty else { throw GPTError.noSentenceBoundary }
        let end = newline.isEmpty ? ["<|endoftext|>", "<eos>"].compactMap { tokenizer.specialTokens[$0] }.prefix(1) : newline[...]
        var dropout = RandomGenerator(seed: 0)
        return sentences.map { sentence in
            let ids = (Array(start) + tokenizer.encode(sentence) + end).prefix(model.configuration.blockSize + 1).map { Int32($0) }
            let length = ids.count - 1, predicted = length - (start.count - 1)
            guard predicted > 0 else { return SentenceScore(nll: 0, tokens: 0) }
            // Targets inside the opening context are ignored (-1), as nanoGPT ignores padding.
            let targets = ids.dropFirst().enumerated().map { $0.offset < start.count - 1 ? -1 : $0.element }
            let loss = withoutGradients {
                model.loss(tokens: IndexTensor(Array(ids.prefix(length)), shape: [1, length]),
                           targets: IndexTensor(targets, shape: [1, length]), generator: &dropout)
            }
            return SentenceScore(nll: Double(loss.scalar) * Double(predicted), tokens: predicted)
        }
    }
}
