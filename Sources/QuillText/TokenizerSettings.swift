/// The settings that decide which ids a text gets: tokenizer kind and normalization.
///
/// A model stores the settings it was trained with; `Vocabulary.checkCompatible(with:)` compares them.
public struct TokenizerSettings: Codable, Hashable, Sendable {
    /// The kind of tokenizer.
    public var kind: TokenizerKind
    /// The normalization applied before pre-tokenizing.
    public var normalization: Normalization

    /// Creates settings.
    public init(kind: TokenizerKind, normalization: Normalization) {
        self.kind = kind
        self.normalization = normalization
    }

    /// Quill's defaults for `kind`: NFC everywhere; whitespace mode also collapses spaces, so that
    /// joining its pieces with single spaces gives the normalized text back.
    public static func defaults(for kind: TokenizerKind) -> TokenizerSettings {
        TokenizerSettings(kind: kind, normalization: Normalization(form: .nfc, whitespace: kind == .whitespace ? .collapse : .keep))
    }

    /// The normalizer that encoding and counting run.
    ///
    /// Whitespace mode splits at every whitespace character, so whitespace cleanup cannot change
    /// its pieces and is skipped; the recorded setting still describes the text that decoding
    /// gives back (pieces joined by single spaces).
    func makeNormalizer() -> Normalizer {
        var normalization = self.normalization
        if kind == .whitespace { normalization.whitespace = .keep }
        return Normalizer(normalization)
    }

    /// The pre-tokenizer for `kind`; BPE has its own pipeline and gets none.
    func makePreTokenizer() throws(TokenizerError) -> (any PreTokenizer)? {
        do {
            switch kind {
            case .character: return try GraphemePreTokenizer()
            case .word: return try WordPreTokenizer()
            case .whitespace: return WhitespacePreTokenizer()
            case .bpe: return nil
            }
        } catch {
            throw .segmentation(error)
        }
    }
}
