/// The pre-tokenizer stage: cuts normalized text into the pieces a vocabulary maps to ids.
///
/// Pieces are byte ranges of UTF-8 text. Decoding puts `separator` between pieces, so a
/// pre-tokenizer either covers the text exactly (separator "") or drops only what the separator
/// restores.
public protocol PreTokenizer: Sendable {
    /// What decoding puts between consecutive pieces.
    var separator: String { get }
    /// Calls `body` with the byte range of each piece of `bytes` (valid UTF-8), in order.
    func forEachPiece(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void)
}

extension PreTokenizer {
    /// The pieces of `text`.
    public func pieces(of text: String) -> [String] {
        UTF8Bytes.withBytes(of: text) { bytes in
            var pieces: [String] = []
            forEachPiece(in: bytes) { pieces.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self)) }
            return pieces
        }
    }
}

/// Pieces are maximal runs of non-whitespace; decoding joins them with single spaces.
///
/// For pre-tokenized corpora such as Penn Treebank, where `<unk>` and `N` are ordinary tokens.
/// Round trips are exact for text whose whitespace is single spaces between tokens, which
/// `WhitespaceCleanup.collapse` guarantees within a line.
public struct WhitespacePreTokenizer: PreTokenizer {
    /// Creates the pre-tokenizer.
    public init() {}

    /// A single space.
    public var separator: String { " " }

    /// Calls `body` with each run of non-whitespace (Unicode White_Space) in `bytes`.
    public func forEachPiece(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        var start: Int?
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            let scalar: (value: UInt32, length: Int) = byte < 0x80 ? (UInt32(byte), 1) : UTF8Bytes.scalar(at: i, in: bytes)
            if UTF8Bytes.isWhitespace(scalar.value) {
                if let s = start { body(s..<i) }
                start = nil
            } else if start == nil {
                start = i
            }
            i += scalar.length
        }
        if let s = start { body(s..<bytes.count) }
    }
}
