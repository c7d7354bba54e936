/// What the character, word and whitespace tokenizers share: normalize, pre-tokenize, look each
/// piece up in a `Vocabulary`, and decode by joining token strings.
///
/// Offsets: each piece's byte range in the normalized text is mapped back through the
/// normalizer's alignment, so offsets always point into the text as given.
protocol VocabularyTokenizer: Tokenizer {
    associatedtype Splitter: PreTokenizer
    /// The token list and settings.
    var vocabulary: Vocabulary { get }
    /// The normalization stage.
    var normalizer: Normalizer { get }
    /// The pre-tokenizer stage.
    var preTokenizer: Splitter { get }
    /// Calls `emit` with the id and normalized byte range of each token for `piece` of `bytes`.
    func forEachToken(ofPiece piece: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>, _ emit: (Int, Range<Int>) -> Void)
    /// Whether a decoded `<unk>` stands for a word with its leading space, so decoding writes
    /// the space back after text that does not end in whitespace.
    var unknownCarriesSpace: Bool { get }
}

extension VocabularyTokenizer {
    /// The tokenizer kind of the vocabulary.
    public var kind: TokenizerKind { vocabulary.kind }

    /// The number of ids, the four specials included.
    public var vocabularySize: Int { vocabulary.count }

    /// `<pad>`, `<unk>`, `<bos>` and `<eos>` with their fixed ids 0–3.
    public var specialTokens: [String: Int] {
        Dictionary(uniqueKeysWithValues: Vocabulary.specialTokens.enumerated().map { ($1, $0) })
    }

    /// The token string of `id`, if in range.
    public func token(for id: Int) -> String? { vocabulary.token(for: id) }

    /// The vocabulary file's JSON, settings included.
    public func encoded() throws -> [UInt8] { vocabulary.jsonBytes() }

    /// Looks `piece` up whole; a missing piece becomes `<unk>`.
    func forEachToken(ofPiece piece: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>, _ emit: (Int, Range<Int>) -> Void) {
        emit(vocabulary.id(forBytes: UnsafeBufferPointer(rebasing: bytes[piece])) ?? Vocabulary.unknownID, piece)
    }

    /// Tokens are separated by the pre-tokenizer's separator, so `<unk>` needs no space of its own.
    var unknownCarriesSpace: Bool { false }

    /// The ids of `text` with their byte ranges in `text`.
    public func encodeWithOffsets(_ text: String) -> [EncodedToken] {
        tokens(of: text) { forEachToken(ofPiece: $0, in: $1, $2) }
    }

    /// The tokens of `text` with their byte ranges in it, each of its pieces encoded by
    /// `encodePiece`, which emits ids and normalized ranges as ``forEachToken(ofPiece:in:_:)`` does.
    func tokens(of text: String,
                encodePiece: (Range<Int>, UnsafeBufferPointer<UInt8>, (Int, Range<Int>) -> Void) -> Void) -> [EncodedToken] {
        let normalized = normalizer.normalize(text)
        var tokens: [EncodedToken] = []
        normalized.withUTF8 { bytes in
            preTokenizer.forEachPiece(in: bytes) { piece in
                encodePiece(piece, bytes) { id, range in
                    tokens.append(EncodedToken(id: id, byteRange: normalized.originalRange(of: range)))
                }
            }
        }
        return tokens
    }

    /// The ids of `text`.
    public func encode(_ text: String) -> [Int] {
        var ids: [Int] = []
        normalizer.normalize(text).withUTF8 { bytes in
            preTokenizer.forEachPiece(in: bytes) { piece in
                forEachToken(ofPiece: piece, in: bytes) { id, _ in ids.append(id) }
            }
        }
        return ids
    }

    /// The text of `ids`: token strings joined by the pre-tokenizer's separator.
    ///
    /// `<unk>` is always written as "<unk>" (as " <unk>" where ``unknownCarriesSpace`` says so and
    /// the text so far ends in neither whitespace nor nothing); `<pad>`, `<bos>` and `<eos>` only
    /// when `keepingSpecials`. An id out of range is written as "<unk>".
    public func decode(_ ids: [Int], keepingSpecials: Bool) -> String {
        let separator = Array(preTokenizer.separator.utf8)
        var output: [UInt8] = []
        var first = true
        for id in ids {
            let shown = (0..<vocabulary.count).contains(id) ? id : Vocabulary.unknownID
            if Vocabulary.isSpecial(shown) && shown != Vocabulary.unknownID && !keepingSpecials { continue }
            if !first { output.append(contentsOf: separator) }
            first = false
            if shown == Vocabulary.unknownID && unknownCarriesSpace, let last = output.last,
               !(last == 0x20 || (0x09...0x0D).contains(last)) {
                output.append(0x20)
            }
            vocabulary.appendBytes(of: shown, to: &output)
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension Vocabulary {
    /// Throws unless this vocabulary was built for `kind`.
    func checkKind(_ kind: TokenizerKind) throws(TokenizerError) {
        guard settings.kind == kind else {
            throw .incompatibleVocabulary(path: source, setting: "tokenizer", expected: kind.rawValue, found: settings.kind.rawValue)
        }
    }
}
