/// Maps byte offsets in normalized text back to byte offsets in the original text.
///
/// The normalized text is a sequence of runs. In a *linear* run each normalized byte has one
/// original byte (unchanged text, or ASCII whose case was mapped). Any other run (a grapheme cluster
/// that normalization rewrote, a collapsed whitespace run) maps as a whole to its original range, so
/// a token that starts or ends inside it is widened to the whole cluster. Text removed by
/// normalization belongs to no run.
public struct Alignment: Sendable, Equatable {
    /// One run: normalized bytes `normalized` came from original bytes `original`.
    struct Run: Equatable {
        var normalized: Range<Int>
        var original: Range<Int>
        var isLinear: Bool
    }

    /// The runs in order; unused by the identity map.
    private let runs: [Run]
    /// The length of the original text in bytes.
    public let originalCount: Int
    /// Whether normalized offsets equal original offsets.
    public let isIdentity: Bool

    /// The identity map over `count` bytes.
    public static func identity(count: Int) -> Alignment { Alignment(runs: [], originalCount: count, isIdentity: true) }

    private init(runs: [Run], originalCount: Int, isIdentity: Bool) {
        self.runs = runs
        self.originalCount = originalCount
        self.isIdentity = isIdentity
    }

    init(runs: [Run], originalCount: Int) { self.init(runs: runs, originalCount: originalCount, isIdentity: false) }

    /// The original byte range that produced the normalized byte range `range`.
    ///
    /// An empty range maps to an empty range at the corresponding original offset.
    public func originalRange(of range: Range<Int>) -> Range<Int> {
        if isIdentity { return range }
        guard !range.isEmpty else {
            let start = originalStart(of: range.lowerBound)
            return start..<start
        }
        let lower = originalStart(of: range.lowerBound)
        let upper = originalEnd(of: range.upperBound)
        return lower..<max(lower, upper)
    }

    /// The original offset where the normalized byte at `offset` begins.
    private func originalStart(of offset: Int) -> Int {
        guard let index = runIndex(containing: offset) else { return runs.last.map(\.original.upperBound) ?? 0 }
        let run = runs[index]
        return run.isLinear ? run.original.lowerBound + (offset - run.normalized.lowerBound) : run.original.lowerBound
    }

    /// The original offset where the normalized byte before `offset` ends.
    private func originalEnd(of offset: Int) -> Int {
        guard offset > 0, let index = runIndex(containing: offset - 1) else { return 0 }
        let run = runs[index]
        return run.isLinear ? run.original.lowerBound + (offset - run.normalized.lowerBound) : run.original.upperBound
    }

    /// The index of the run whose normalized range contains `offset`, by binary search.
    private func runIndex(containing offset: Int) -> Int? {
        var low = 0
        var high = runs.count
        while low < high {
            let mid = (low + high) / 2
            if runs[mid].normalized.upperBound <= offset {
                low = mid + 1
            } else if runs[mid].normalized.lowerBound > offset {
                high = mid
            } else {
                return mid
            }
        }
        return nil
    }
}

/// Collects alignment runs while normalized text is written, merging adjacent linear runs.
struct AlignmentBuilder {
    private(set) var runs: [Alignment.Run] = []
    private(set) var normalizedCount = 0

    /// Records that `length` normalized bytes came from `original`.
    mutating func append(length: Int, from original: Range<Int>, isLinear: Bool) {
        guard length > 0 else { return }
        let normalized = normalizedCount..<normalizedCount + length
        normalizedCount += length
        if isLinear, let last = runs.last, last.isLinear,
           last.normalized.upperBound == normalized.lowerBound, last.original.upperBound == original.lowerBound {
            runs[runs.count - 1].normalized = last.normalized.lowerBound..<normalized.upperBound
            runs[runs.count - 1].original = last.original.lowerBound..<original.upperBound
            return
        }
        runs.append(.init(normalized: normalized, original: original, isLinear: isLinear))
    }

    /// The finished alignment; one linear run covering everything collapses to the identity.
    func alignment(originalCount: Int) -> Alignment {
        assert(checkInvariants(originalCount: originalCount))
        if runs.count == 1, runs[0].isLinear, runs[0].normalized == runs[0].original, runs[0].original.count == originalCount {
            return .identity(count: originalCount)
        }
        if runs.isEmpty && originalCount == 0 { return .identity(count: 0) }
        return Alignment(runs: runs, originalCount: originalCount)
    }

    /// Whether the runs tile the normalized text in order and point into the original text in
    /// order, as the binary search in `Alignment` assumes; checked in debug builds.
    func checkInvariants(originalCount: Int) -> Bool {
        var normalizedEnd = 0
        var originalEnd = 0
        for run in runs {
            guard run.normalized.lowerBound == normalizedEnd, !run.normalized.isEmpty,
                  run.original.lowerBound >= originalEnd, run.original.upperBound <= originalCount,
                  !run.isLinear || run.normalized.count == run.original.count else { return false }
            normalizedEnd = run.normalized.upperBound
            originalEnd = run.original.upperBound
        }
        return normalizedEnd == normalizedCount
    }
}
