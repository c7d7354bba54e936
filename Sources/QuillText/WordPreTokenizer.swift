/// Pieces are ICU words (UAX #29, with dictionary segmentation for Chinese, Japanese and Thai),
/// punctuation marks, and whitespace, with one space glued to the word after it.
///
/// Whitespace is kept reversibly with the space-prefix scheme of GPT-2 and SentencePiece: a
/// single U+0020 before a word or punctuation mark becomes part of that piece (`" world"`), and
/// any other whitespace (a second space, a tab, a line break) is a piece of its own. Pieces cover
/// the text exactly, so decoding is concatenation and `decode(encode(s)) == s` for any
/// normalized `s` whose pieces are all in the vocabulary. Most words occur after a space, so the
/// scheme costs few extra types and halves the tokens that separate whitespace pieces would add.
public struct WordPreTokenizer: PreTokenizer {
    private let segmenter: Segmenter

    /// Creates the pre-tokenizer with UAX #29 word rules.
    public init() throws(SegmentationError) { segmenter = try Segmenter(unit: .word) }

    /// Nothing: pieces cover the text.
    public var separator: String { "" }

    /// Calls `body` with each piece of `bytes`.
    public func forEachPiece(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        var heldSpace: Range<Int>?
        segmenter.forEachSegment(in: bytes) { segment, category in
            if category == .other && Self.isWhitespace(bytes, segment) {
                if let held = heldSpace { body(held) }
                heldSpace = segment
                return
            }
            guard let held = heldSpace else {
                body(segment)
                return
            }
            heldSpace = nil
            if bytes[held.upperBound - 1] == 0x20 {
                if held.count > 1 { body(held.lowerBound..<held.upperBound - 1) }
                body(held.upperBound - 1..<segment.upperBound)
            } else {
                body(held)
                body(segment)
            }
        }
        if let held = heldSpace { body(held) }
    }

    private static func isWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var i = range.lowerBound
        while i < range.upperBound {
            let (scalar, length) = UTF8Bytes.scalar(at: i, in: bytes)
            guard UTF8Bytes.isWhitespace(scalar) else { return false }
            i += length
        }
        return true
    }
}
