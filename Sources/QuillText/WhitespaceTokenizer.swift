/// One token per whitespace-separated piece, for pre-tokenized corpora such as Penn Treebank.
public struct WhitespaceTokenizer: VocabularyTokenizer {
    /// The token list and settings.
    public let vocabulary: Vocabulary
    /// The normalization stage.
    public let normalizer: Normalizer
    /// The whitespace pre-tokenizer.
    public let preTokenizer = WhitespacePreTokenizer()

    /// Creates the tokenizer of a `whitespace` vocabulary.
    public init(vocabulary: Vocabulary) throws(TokenizerError) {
        try vocabulary.checkKind(.whitespace)
        self.vocabulary = vocabulary
        normalizer = vocabulary.settings.makeNormalizer()
    }
}
