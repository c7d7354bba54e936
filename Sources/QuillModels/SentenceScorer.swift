import QuillText

/// The negative log-likelihood of one sentence under a language model.
public struct SentenceScore: Equatable, Sendable {
    /// −log p(sentence) in nats, its end marker included.
    public var nll: Double
    /// The tokens predicted: the sentence's own and its end marker.
    public var tokens: Int

    /// A score of `nll` nats over `tokens` tokens.
    public init(nll: Double, tokens: Int) {
        self.nll = nll
        self.tokens = tokens
    }

    /// Nats per predicted token.
    public var nllPerToken: Double { nll / Double(max(tokens, 1)) }
}

/// A language model that scores whole sentences given as text, each tokenized its own way:
/// the sentence LM (`quill train lm`) and the GPT.
public protocol SentenceScorer: AnyObject {
    /// The score of each of `sentences`, in order.
    func scores(of sentences: [String]) throws -> [SentenceScore]
}

/// Judges the fluency of generated sentences against real ones: a sentence is fluent when its
/// NLL per token under a reference language model is at most the 90th percentile of the real
/// sentences, so the bar is the corpus's own spread rather than a fixed number of nats.
public struct FluencyReference {
    /// The language model that scores.
    public let scorer: any SentenceScorer
    /// The 90th percentile of the real sentences' NLL per token, in nats.
    public let threshold: Double

    /// Scores `sentences`, the real text, to fix the threshold.
    public init(scorer: any SentenceScorer, sentences: [String]) throws {
        precondition(!sentences.isEmpty, "a fluency reference needs real sentences")
        self.scorer = scorer
        threshold = percentile(try scorer.scores(of: sentences).map(\.nllPerToken), 0.9)
    }

    /// Scores the non-blank lines of the sentence-per-line file at `path`.
    public init(scorer: any SentenceScorer, corpusAt path: String) throws {
        let reader = try TextLineReader(path: path)
        var sentences: [String] = []
        while let line = try reader.nextLine() {
            if line.contains(where: { !$0.isWhitespace }) { sentences.append(line) }
        }
        guard !sentences.isEmpty else { throw SentenceModelError.emptyCorpus(path) }
        try self.init(scorer: scorer, sentences: sentences)
    }

    /// Whether each of `sentences` scores at or below the threshold.
    public func areFluent(_ sentences: [String]) throws -> [Bool] {
        try scorer.scores(of: sentences).map { $0.nllPerToken <= threshold }
    }
}

/// The `fraction` quantile of `values`, interpolating linearly between the two nearest ranks
/// (NumPy's default): element (n − 1)·fraction of the sorted values.
func percentile(_ values: [Double], _ fraction: Double) -> Double {
    precondition(!values.isEmpty && (0...1).contains(fraction), "a percentile needs values and a fraction in [0, 1]")
    let sorted = values.sorted(), position = Double(sorted.count - 1) * fraction
    let lower = Int(position.rounded(.down)), upper = min(lower + 1, sorted.count - 1)
    return sorted[lower] + (position - Double(lower)) * (sorted[upper] - sorted[lower])
}
