#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Corpus BLEU-4 (Papineni et al. 2002) of hypotheses against one reference each, as sacreBLEU's
/// `corpus_bleu` computes it with its defaults: `13a` tokenization (``MTEval13aTokenizer``),
/// case kept, and the `exp` smoothing of mteval-v13a.
///
/// The n-gram statistics are summed over the corpus before any ratio is taken, so a corpus of
/// short sentences is not scored as the mean of their sentence scores.
public struct CorpusBLEU: Equatable, Sendable {
    /// The highest n-gram order.
    public static let maxOrder = 4

    /// For n = 1…4, the hypotheses' n-grams also in their reference, each counted at most as
    /// often as the reference has it [4].
    public private(set) var matches = [Int](repeating: 0, count: maxOrder)
    /// For n = 1…4, the hypotheses' n-grams [4].
    public private(set) var totals = [Int](repeating: 0, count: maxOrder)
    /// The hypotheses' tokens.
    public private(set) var hypothesisLength = 0
    /// The references' tokens.
    public private(set) var referenceLength = 0

    /// Counts the statistics of each hypothesis against the reference at the same index.
    public init(hypotheses: [String], references: [String]) {
        precondition(hypotheses.count == references.count,
                     "BLEU needs one reference per hypothesis, got \(hypotheses.count) and \(references.count)")
        for (hypothesis, reference) in zip(hypotheses, references) {
            let hypothesisTokens = MTEval13aTokenizer.tokens(of: hypothesis)
            let referenceTokens = MTEval13aTokenizer.tokens(of: reference)
            hypothesisLength += hypothesisTokens.count
            referenceLength += referenceTokens.count
            for order in 1...Self.maxOrder {
                let available = Self.ngramCounts(referenceTokens, order: order)
                for (ngram, count) in Self.ngramCounts(hypothesisTokens, order: order) {
                    totals[order - 1] += count
                    matches[order - 1] += min(count, available[ngram] ?? 0)
                }
            }
        }
    }

    /// exp(1 − r/c) when the hypotheses (c tokens) are shorter than the references (r), else 1;
    /// 0 for empty hypotheses.
    public var brevityPenalty: Double {
        guard hypothesisLength < referenceLength else { return 1 }
        return hypothesisLength > 0 ? exp(1 - Double(referenceLength) / Double(hypothesisLength)) : 0
    }

    /// The n-gram precisions in percent [4], smoothed as mteval-v13a does: the k-th order with no
    /// match counts 100 / (2ᵏ · total); an order with no n-grams at all, and every order above
    /// it, counts 0.
    public var precisions: [Double] {
        var result = [Double](repeating: 0, count: Self.maxOrder)
        var smoothing = 1.0
        for n in 0..<Self.maxOrder {
            guard totals[n] > 0 else { break }
            if matches[n] == 0 {
                smoothing *= 2
                result[n] = 100 / (smoothing * Double(totals[n]))
            } else {
                result[n] = 100 * Double(matches[n]) / Double(totals[n])
            }
        }
        return result
    }

    /// BLEU on sacreBLEU's 0–100 scale: the brevity penalty times the geometric mean of the
    /// precisions; 0 when no unigram matches.
    public var score: Double {
        guard matches.contains(where: { $0 > 0 }) else { return 0 }
        // sacreBLEU floors log 0 at −9999999999 rather than failing, which makes the score 0.
        let logs = precisions.map { $0 == 0 ? -9_999_999_999 : log($0) }
        return brevityPenalty * exp(logs.reduce(0, +) / Double(Self.maxOrder))
    }

    /// How often each n-gram of `tokens` occurs, keyed by its UTF-8 bytes: Swift's `String`
    /// equality would merge canonically equivalent spellings that sacreBLEU keeps apart.
    private static func ngramCounts(_ tokens: [String], order: Int) -> [[UInt8]: Int] {
        var counts: [[UInt8]: Int] = [:]
        guard tokens.count >= order else { return counts }
        for start in 0...(tokens.count - order) {
            counts[Array(tokens[start..<(start + order)].joined(separator: " ").utf8), default: 0] += 1
        }
        return counts
    }
}
