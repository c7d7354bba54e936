/// The fixed sample of a validation split that the evaluations during training read
/// (`--eval-tokens`), so each costs a bounded time however large the split; `quill eval` reads
/// the whole of it.
///
/// The sample is spread evenly over the split, so it sees the split's beginning, middle and end,
/// and it is the same at every evaluation, and at every resume with the same budget, so the
/// losses of a run compare with each other.
public enum EvaluationSample {
    /// `pieces` runs of consecutive tokens, evenly spaced over `tokens` from its first token to its
    /// last, together at most `budget` long; all of `tokens` when they fit, or `budget` is nil.
    /// A character model reads each piece as one stream, from a zero state.
    public static func tokens(_ tokens: [Int32], budget: Int?, pieces: Int) -> [Int32] {
        guard let budget, tokens.count > budget, pieces > 0 else { return tokens }
        let count = max(1, min(pieces, budget / 2)), length = max(2, budget / count)
        var sample: [Int32] = []
        sample.reserveCapacity(count * length)
        for piece in 0..<count {
            let start = count == 1 ? 0 : piece * (tokens.count - length) / (count - 1)
            sample += tokens[start..<start + length]
        }
        return sample
    }

    /// Whole sentences taken evenly over `sentences` (every n-th, for a fractional n), together at
    /// most `budget` tokens, each counted with its end-of-sentence token; all of them when they
    /// fit, or `budget` is nil; at least the first.
    public static func sentences(_ sentences: [[Int]], budget: Int?) -> [[Int]] {
        guard let budget else { return sentences }
        let total = tokenCount(sentences)
        guard total > budget else { return sentences }
        let share = Double(budget) / Double(total)
        var sample: [[Int]] = [], used = 0, owed = 0.0
        for sentence in sentences {
            owed += share
            guard owed >= 1 else { continue }
            owed -= 1
            if used + sentence.count + 1 <= budget {
                sample.append(sentence)
                used += sentence.count + 1
            }
        }
        return sample.isEmpty ? Array(sentences.prefix(1)) : sample
    }

    /// The tokens of `sentences`, each with its end-of-sentence token.
    public static func tokenCount(_ sentences: [[Int]]) -> Int { sentences.reduce(0) { $0 + $1.count + 1 } }
}
