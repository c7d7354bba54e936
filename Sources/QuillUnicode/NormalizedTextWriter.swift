/// Writes normalized bytes and their alignment, applying whitespace cleanup on the way.
///
/// The normalizer hands over either runs of ASCII (mapped byte for byte) or whole rewritten
/// grapheme clusters; cleanup decides per byte or per cluster whether it is content, horizontal
/// whitespace or a line break.
struct NormalizedTextWriter {
    private(set) var bytes: [UInt8]
    private(set) var alignment = AlignmentBuilder()
    private let whitespace: WhitespaceCleanup
    /// The original range of whitespace held back until content shows it is not trailing.
    private var pending: Range<Int>?
    /// Whether the held-back whitespace is exactly one ASCII space (then it maps linearly).
    private var pendingIsOneSpace = false
    /// Whether nothing but removed whitespace has been written since the last line break.
    private var atLineStart = true

    init(capacity: Int, whitespace: WhitespaceCleanup) {
        bytes = []
        bytes.reserveCapacity(capacity)
        self.whitespace = whitespace
    }

    /// Appends ASCII bytes `source[range]`, lowercased if asked; each byte maps to its original byte.
    mutating func appendASCII(_ source: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, lowercasing: Bool) {
        guard whitespace != .keep else {
            appendContent(source, range, lowercasing: lowercasing)
            return
        }
        var start = range.lowerBound
        for i in range {
            let byte = source[i]
            guard byte == 0x20 || (0x09...0x0D).contains(byte) else { continue }
            if start < i { appendContent(source, start..<i, lowercasing: lowercasing) }
            if byte == 0x20 || byte == 0x09 || whitespace == .collapseAll {
                holdWhitespace(i..<i + 1, isOneSpace: byte == 0x20)
            } else {
                appendLineBreak(source, i..<i + 1)
            }
            start = i + 1
        }
        if start < range.upperBound { appendContent(source, start..<range.upperBound, lowercasing: lowercasing) }
    }

    /// Appends the normalized form `cluster` of the original bytes `original`.
    mutating func appendCluster(_ cluster: UnsafeBufferPointer<UInt8>, from original: Range<Int>, isLinear: Bool) {
        if whitespace != .keep {
            switch Self.classify(cluster) {
            case .content: break
            case .horizontalSpace:
                holdWhitespace(original, isOneSpace: false)
                return
            case .lineBreak where whitespace == .collapseAll:
                holdWhitespace(original, isOneSpace: false)
                return
            case .lineBreak:
                appendLineBreak(cluster, 0..<cluster.count, original: original)
                return
            }
        }
        flushPending()
        bytes.append(contentsOf: cluster)
        alignment.append(length: cluster.count, from: original, isLinear: isLinear)
        atLineStart = false
    }

    /// Ends the text, dropping trailing whitespace.
    mutating func finish() { pending = nil }

    private mutating func appendContent(_ source: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, lowercasing: Bool) {
        flushPending()
        if lowercasing {
            for i in range {
                let byte = source[i]
                bytes.append((0x41...0x5A).contains(byte) ? byte | 0x20 : byte)
            }
        } else {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[range]))
        }
        alignment.append(length: range.count, from: range, isLinear: true)
        atLineStart = false
    }

    private mutating func holdWhitespace(_ original: Range<Int>, isOneSpace: Bool) {
        guard !atLineStart else { return }
        if let held = pending {
            pending = held.lowerBound..<original.upperBound
            pendingIsOneSpace = false
        } else {
            pending = original
            pendingIsOneSpace = isOneSpace
        }
    }

    private mutating func appendLineBreak(_ source: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, original: Range<Int>? = nil) {
        pending = nil
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: source[range]))
        alignment.append(length: range.count, from: original ?? range, isLinear: original == nil)
        atLineStart = true
    }

    private mutating func flushPending() {
        guard let held = pending else { return }
        bytes.append(0x20)
        alignment.append(length: 1, from: held, isLinear: pendingIsOneSpace)
        pending = nil
    }

    private enum ClusterClass { case content, horizontalSpace, lineBreak }

    private static func classify(_ cluster: UnsafeBufferPointer<UInt8>) -> ClusterClass {
        var sawLineBreak = false
        var i = 0
        while i < cluster.count {
            let (scalar, length) = UTF8Bytes.scalar(at: i, in: cluster)
            guard UTF8Bytes.isWhitespace(scalar) else { return .content }
            sawLineBreak = sawLineBreak || UTF8Bytes.isNewline(scalar)
            i += length
        }
        return sawLineBreak ? .lineBreak : .horizontalSpace
    }
}
