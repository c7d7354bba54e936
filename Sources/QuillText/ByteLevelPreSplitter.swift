/// Walks UTF-8 bytes and yields the byte range of each pre-token under a `ByteLevelPreSplit` rule.
///
/// A hand-written matcher for the rule's regex (no regex engine): each step classifies the scalar
/// at the cursor and applies the first alternative that matches, as the regex would. Invalid
/// UTF-8 (possible only through the byte APIs) counts as one `other` scalar per bad byte. The
/// ranges tile the input: they are contiguous, non-empty, and end at `count`.
struct ByteLevelPreSplitter {
    private let base: UnsafePointer<UInt8>
    private let end: Int
    private let keepsMarks: Bool
    private let maxRunLength: Int
    private let classes = ByteLevelScalarClass.table
    /// The byte offset where the next pre-token starts.
    private(set) var position: Int

    /// A splitter over `bytes[range]`, which must stay alive while the splitter is used.
    init(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>? = nil, rule: ByteLevelPreSplit) {
        base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
        let range = range ?? 0..<bytes.count
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "range \(range) outside \(bytes.count) bytes")
        position = range.lowerBound
        end = range.upperBound
        keepsMarks = rule.keepsMarks
        maxRunLength = rule.maxRunLength
    }

    /// The next pre-token's byte range, or nil at the end.
    @inline(__always)
    mutating func next() -> Range<Int>? {
        guard position < end else { return nil }
        let start = position
        let (first, firstLength) = classify(at: start)
        var stop: Int
        if first == .whitespace {
            stop = -1
            if base[start] == 0x20 && start + 1 < end {
                let (second, secondLength) = classify(at: start + 1)
                if second != .whitespace {
                    stop = run(from: start + 1, first: second, firstLength: secondLength)
                }
            }
            if stop < 0 { stop = whitespaceRun(from: start) }
        } else if base[start] == 0x27, let length = contractionLength(at: start) {
            stop = start + length
        } else {
            stop = run(from: start, first: first, firstLength: firstLength)
        }
        position = stop
        return start..<stop
    }

    /// The length of the contraction `'s 't 're 've 'm 'll 'd` starting at `i`, if one does.
    @inline(__always)
    private func contractionLength(at i: Int) -> Int? {
        guard i + 1 < end else { return nil }
        switch base[i + 1] {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return 2
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return i + 2 < end && base[i + 2] == UInt8(ascii: "e") ? 3 : nil
        case UInt8(ascii: "l"):
            return i + 2 < end && base[i + 2] == UInt8(ascii: "l") ? 3 : nil
        default:
            return nil
        }
    }

    /// The end of the letter, number or other run that starts at `start` with a scalar of class `first`.
    @inline(__always)
    private func run(from start: Int, first: ByteLevelScalarClass, firstLength: Int) -> Int {
        let letters = first == .letter || (keepsMarks && first == .mark)
        var i = start + firstLength
        var scalars = 1
        while i < end && scalars < maxRunLength {
            let (next, length) = classify(at: i)
            let continues: Bool
            if letters {
                continues = next == .letter || (keepsMarks && next == .mark)
            } else if first == .number {
                continues = next == .number
            } else {
                continues = next == .other || next == .mark
            }
            guard continues else { break }
            i += length
            scalars += 1
        }
        return i
    }

    /// The end of the white-space pre-token at `start`: `\s+(?!\S)` if it matches, else `\s`.
    private func whitespaceRun(from start: Int) -> Int {
        var i = start
        var lastStart = start
        var scalars = 0
        while i < end && scalars < maxRunLength {
            let (next, length) = classify(at: i)
            guard next == .whitespace else { break }
            lastStart = i
            i += length
            scalars += 1
        }
        if i == end || classify(at: i).0 == .whitespace { return i }
        // Followed by a non-space: the lookahead forces giving back the last scalar, unless that
        // would leave nothing, in which case the plain `\s` alternative takes the one scalar.
        return scalars >= 2 ? lastStart : i
    }

    /// Whether the scalar that ends just before byte `i` (after the splitter's start) is white space.
    func isWhitespace(endingAt i: Int) -> Bool {
        var lead = i - 1
        while lead > position && i - lead < 4 && base[lead] & 0xC0 == 0x80 { lead -= 1 }
        let (scalarClass, length) = classify(at: lead)
        return scalarClass == .whitespace && lead + length == i
    }

    /// The class and UTF-8 length of the scalar at `i`; an invalid byte is one `other` scalar.
    @inline(__always)
    private func classify(at i: Int) -> (ByteLevelScalarClass, Int) {
        let b0 = base[i]
        if b0 < 0x80 { return (ByteLevelScalarClass(rawValue: classes[Int(b0)])!, 1) }
        let (value, length) = decodeMultibyte(at: i, lead: b0)
        guard length > 0 else { return (.other, 1) }
        return (ByteLevelScalarClass.of(value), length)
    }

    /// The scalar value and length of the multi-byte sequence at `i`, or length 0 if invalid.
    @inline(__always)
    private func decodeMultibyte(at i: Int, lead: UInt8) -> (UInt32, Int) {
        @inline(__always) func continuation(_ j: Int) -> UInt32? {
            guard j < end, base[j] & 0xC0 == 0x80 else { return nil }
            return UInt32(base[j] & 0x3F)
        }
        if lead < 0xC2 { return (0, 0) }
        if lead < 0xE0 {
            guard let c1 = continuation(i + 1) else { return (0, 0) }
            return (UInt32(lead & 0x1F) << 6 | c1, 2)
        }
        if lead < 0xF0 {
            guard let c1 = continuation(i + 1), let c2 = continuation(i + 2) else { return (0, 0) }
            let value = UInt32(lead & 0x0F) << 12 | c1 << 6 | c2
            guard value >= 0x800, !(0xD800...0xDFFF).contains(value) else { return (0, 0) }
            return (value, 3)
        }
        if lead < 0xF5 {
            guard let c1 = continuation(i + 1), let c2 = continuation(i + 2), let c3 = continuation(i + 3)
            else { return (0, 0) }
            let value = UInt32(lead & 0x07) << 18 | c1 << 12 | c2 << 6 | c3
            guard (0x10000...0x10FFFF).contains(value) else { return (0, 0) }
            return (value, 4)
        }
        return (0, 0)
    }
}
