/// Text a person types into `quill reconstruct`, `interpolate`, a prompt or the REPL: the same
/// words as the corpus, spaced as the person pleases. The word tokenizer glues a space to the
/// piece after it, so "said , let" gives `" ,"` where the corpus's "said, let" gave `","`, and
/// the form the corpus never had is `<unk>`. Typed text is therefore trimmed, and each piece may
/// take the spacing its vocabulary has.
extension VocabularyTokenizer {
    /// The tokens of typed `text`, trimmed of surrounding whitespace, with their byte ranges in
    /// `text`, each piece encoded by `encodePiece` (see ``tokens(of:encodePiece:)``).
    func typedTokens(_ text: String, encodePiece: (Range<Int>, UnsafeBufferPointer<UInt8>, (Int, Range<Int>) -> Void) -> Void)
        -> [EncodedToken] {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
              let last = text.lastIndex(where: { !$0.isWhitespace }) else { return [] }
        let shift = text.utf8.distance(from: text.startIndex, to: first)
        return tokens(of: String(text[first...last]), encodePiece: encodePiece).map {
            EncodedToken(id: $0.id, byteRange: ($0.byteRange.lowerBound + shift)..<($0.byteRange.upperBound + shift))
        }
    }

    /// The id of `bytes` in the vocabulary, if it has them.
    func id<Bytes: Collection<UInt8>>(ofBytes bytes: Bytes) -> Int? {
        Array(bytes).withUnsafeBufferPointer { vocabulary.id(forBytes: $0) }
    }
}

/// Whether `bytes` (UTF-8) holds neither letters, digits nor whitespace: punctuation or symbols.
func isPunctuation<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
    let scalars = String(decoding: bytes, as: UTF8.self).unicodeScalars
    return !scalars.isEmpty && scalars.allSatisfy { scalar in
        !scalar.properties.isAlphabetic && scalar.properties.numericType == nil && !scalar.properties.isWhitespace
    }
}

extension WordTokenizer {
    /// The ids of typed `text`, trimmed, each piece spaced as ``forEachTypedToken(ofPiece:in:_:)`` says.
    public func encodeTypedWithOffsets(_ text: String) -> [EncodedToken] {
        typedTokens(text) { forEachTypedToken(ofPiece: $0, in: $1, $2) }
    }

    /// A punctuation piece takes the spacing (`" ,"` or `","`) the corpus gave it more often; a
    /// word piece the vocabulary lacks takes the other spacing when the vocabulary has that
    /// ("light:and" reads "and" as the corpus's `" and"` only if a bare "and" was never seen).
    func forEachTypedToken(ofPiece piece: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>,
                           _ emit: (Int, Range<Int>) -> Void) {
        let spaced = piece.count > 1 && bytes[piece.lowerBound] == 0x20
        let bare = bytes[(spaced ? piece.lowerBound + 1 : piece.lowerBound)..<piece.upperBound]
        let bareID = id(ofBytes: bare), spacedID = id(ofBytes: [0x20] + bare)
        let (typed, other) = spaced ? (spacedID, bareID) : (bareID, spacedID)
        if let other {
            let useOther = if let typed {
                isPunctuation(bare) && vocabulary.counts[other] > vocabulary.counts[typed]
            } else {
                true
            }
            if useOther {
                emit(other, piece)
                return
            }
        }
        forEachToken(ofPiece: piece, in: bytes, emit)
    }
}

extension WhitespaceTokenizer {
    /// The ids of typed `text`, trimmed, with punctuation split off as ``forEachTypedToken(ofPiece:in:_:)`` says.
    public func encodeTypedWithOffsets(_ text: String) -> [EncodedToken] {
        typedTokens(text) { forEachTypedToken(ofPiece: $0, in: $1, $2) }
    }

    /// A piece the vocabulary lacks is split into the punctuation at its ends and the rest, when
    /// the vocabulary has every part: "light," reads as the pre-tokenized corpus's "light ,".
    func forEachTypedToken(ofPiece piece: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>,
                           _ emit: (Int, Range<Int>) -> Void) {
        if let id = id(ofBytes: bytes[piece]) {
            emit(id, piece)
            return
        }
        let parts = Self.splittingEndPunctuation(piece, in: bytes)
        let ids = parts.map { id(ofBytes: bytes[$0]) }
        guard parts.count > 1, ids.allSatisfy({ $0 != nil }) else {
            emit(Vocabulary.unknownID, piece)
            return
        }
        for (part, id) in zip(parts, ids) { emit(id!, part) }
    }

    /// `piece` cut into each punctuation scalar before the first letter or digit, the middle, and
    /// each punctuation scalar after the last one.
    static func splittingEndPunctuation(_ piece: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var scalars: [Range<Int>] = []
        var i = piece.lowerBound
        while i < piece.upperBound {
            let length = UTF8Bytes.scalar(at: i, in: bytes).length
            scalars.append(i..<(i + length))
            i += length
        }
        let isMark = scalars.map { isPunctuation(bytes[$0]) }
        guard let firstWord = isMark.firstIndex(of: false), let lastWord = isMark.lastIndex(of: false) else {
            return scalars
        }
        return Array(scalars[..<firstWord]) + [scalars[firstWord].lowerBound..<scalars[lastWord].upperBound]
            + Array(scalars[(lastWord + 1)...])
    }
}
