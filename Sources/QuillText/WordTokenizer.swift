/// One token per ICU word, punctuation mark or whitespace piece, with a single space glued to the
/// word after it (see `WordPreTokenizer`), so decoding is concatenation.
public struct WordTokenizer: VocabularyTokenizer {
    /// The token list and settings.
    public let vocabulary: Vocabulary
    /// The normalization stage.
    public let normalizer: Normalizer
    /// The ICU word pre-tokenizer.
    public let preTokenizer: WordPreTokenizer

    /// Creates the tokenizer of a `word` vocabulary.
    public init(vocabulary: Vocabulary) throws(TokenizerError) {
        try vocabulary.checkKind(.word)
        self.vocabulary = vocabulary
        normalizer = vocabulary.settings.makeNormalizer()
        do { preTokenizer = try WordPreTokenizer() } catch { throw .segmentation(error) }
    }

    /// Most pieces carry the space before them (`" word"`), and so does what a model generates
    /// as `<unk>`: decoding writes "the <unk> of", not "the<unk> of".
    var unknownCarriesSpace: Bool { true }

    /// Looks `piece` up whole. A missing `" word"` keeps its space when the vocabulary has `" "`:
    /// it becomes `" "` and then `"word"` (or `<unk>`), so decoding does not lose the space.
    func forEachToken(ofPiece piece: Range<Int>, in bytes: UnsafeBufferPointer<UInt8>, _ emit: (Int, Range<Int>) -> Void) {
        if let id = vocabulary.id(forBytes: UnsafeBufferPointer(rebasing: bytes[piece])) {
            emit(id, piece)
            return
        }
        let space = piece.lowerBound..<piece.lowerBound + 1
        guard piece.count > 1, bytes[piece.lowerBound] == 0x20,
              let spaceID = vocabulary.id(forBytes: UnsafeBufferPointer(rebasing: bytes[space])) else {
            emit(Vocabulary.unknownID, piece)
            return
        }
        let word = space.upperBound..<piece.upperBound
        emit(spaceID, space)
        emit(vocabulary.id(forBytes: UnsafeBufferPointer(rebasing: bytes[word])) ?? Vocabulary.unknownID, word)
    }
}
