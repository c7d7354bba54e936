/// Pieces are extended grapheme clusters (ICU), so `é` written as `e` + U+0301, a flag or an emoji
/// ZWJ sequence is one piece, and CRLF is one piece.
///
/// Runs of ASCII skip ICU: between two ASCII characters there is always a cluster boundary except
/// inside CRLF, and no rule looks back across such a boundary. Only stretches that hold non-ASCII
/// text (with the ASCII character on either side) go through the break iterator.
public struct GraphemePreTokenizer: PreTokenizer {
    private let segmenter: Segmenter

    /// Creates the pre-tokenizer.
    public init() throws(SegmentationError) { segmenter = try Segmenter(unit: .grapheme) }

    /// Nothing: clusters cover the text.
    public var separator: String { "" }

    /// Calls `body` with each grapheme cluster of `bytes`.
    public func forEachPiece(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        let n = bytes.count
        var p = 0
        while p < n {
            // `p` is a safe boundary: the text start, or between two ASCII characters other than CR LF.
            let nonASCII = UTF8Bytes.firstNonASCII(in: bytes, from: p)
            // The ASCII character before non-ASCII text may take a combining mark, so it joins the
            // stretch, and so does a CR before it if it is the LF of a CRLF.
            var stretchStart = nonASCII == n ? n : max(p, nonASCII - 1)
            if stretchStart < n && stretchStart > p && bytes[stretchStart - 1] == 0x0D && bytes[stretchStart] == 0x0A {
                stretchStart -= 1
            }
            var i = p
            while i < stretchStart {
                let length = bytes[i] == 0x0D && i + 1 < stretchStart && bytes[i + 1] == 0x0A ? 2 : 1
                body(i..<i + length)
                i += length
            }
            guard stretchStart < n else { return }
            let stretchEnd = nextSafeBoundary(in: bytes, after: nonASCII)
            segmenter.forEachSegment(in: UnsafeBufferPointer(rebasing: bytes[stretchStart..<stretchEnd])) { range, _ in
                body(stretchStart + range.lowerBound..<stretchStart + range.upperBound)
            }
            p = stretchEnd
        }
    }

    /// The first safe boundary after the non-ASCII byte at `start`: the end of the text, or a
    /// position between two ASCII characters that are not CR LF.
    private func nextSafeBoundary(in bytes: UnsafeBufferPointer<UInt8>, after start: Int) -> Int {
        let n = bytes.count
        var e = UTF8Bytes.firstASCII(in: bytes, from: start)
        while e + 1 < n {
            if bytes[e + 1] >= 0x80 {
                e = UTF8Bytes.firstASCII(in: bytes, from: e + 1)
            } else if bytes[e] == 0x0D && bytes[e + 1] == 0x0A {
                e += 1
            } else {
                return e + 1
            }
        }
        return n
    }
}
