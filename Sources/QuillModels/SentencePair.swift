import QuillText

/// Two sentences to interpolate between, as a line of a pairs file gives them.
public struct SentencePair: Equatable, Sendable {
    /// The sentence the walk starts at.
    public var first: String
    /// The sentence the walk ends at.
    public var second: String

    /// Pairs two sentences.
    public init(first: String, second: String) {
        self.first = first
        self.second = second
    }

    /// The pair on line `number` of `path`: two sentences separated by exactly one tab, each
    /// with a word.
    static func parse(_ line: String, number: Int, path: String) throws -> SentencePair {
        let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw SentenceModelError.malformedPair(path: path, line: number, problem: "the line has \(parts.count - 1) tabs, not 1")
        }
        for (part, side) in zip(parts, ["before", "after"]) where !part.contains(where: { !$0.isWhitespace }) {
            throw SentenceModelError.malformedPair(path: path, line: number, problem: "the line has no sentence \(side) its tab")
        }
        return SentencePair(first: String(parts[0]), second: String(parts[1]))
    }

    /// The pairs of a file with one pair a line, the two sentences separated by a tab; throws
    /// naming the file and line of the first line that is not such a pair.
    public static func read(path: String) throws -> [SentencePair] {
        let reader = try TextLineReader(path: path)
        var pairs: [SentencePair] = []
        while let line = try reader.nextLine() {
            pairs.append(try parse(line, number: pairs.count + 1, path: path))
        }
        guard !pairs.isEmpty else { throw SentenceModelError.noPairs(path) }
        return pairs
    }
}
