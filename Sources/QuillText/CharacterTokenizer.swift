/// One token per extended grapheme cluster of the normalized text (not per byte or code point).
public struct CharacterTokenizer: VocabularyTokenizer {
    /// The token list and settings.
    public let vocabulary: Vocabulary
    /// The normalization stage.
    public let normalizer: Normalizer
    /// The grapheme-cluster pre-tokenizer.
    public let preTokenizer: GraphemePreTokenizer

    /// Creates the tokenizer of a `char` vocabulary.
    public init(vocabulary: Vocabulary) throws(TokenizerError) {
        try vocabulary.checkKind(.character)
        self.vocabulary = vocabulary
        normalizer = vocabulary.settings.makeNormalizer()
        do { preTokenizer = try GraphemePreTokenizer() } catch { throw .segmentation(error) }
    }
}
