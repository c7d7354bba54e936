/// One token of an encoded text: its id and where it came from in the original text.
public struct EncodedToken: Equatable, Sendable {
    /// The token's id in the tokenizer's vocabulary.
    public var id: Int
    /// The UTF-8 byte range in the original (unnormalized) text that produced this token.
    public var byteRange: Range<Int>

    /// Creates a token.
    public init(id: Int, byteRange: Range<Int>) {
        self.id = id
        self.byteRange = byteRange
    }
}

/// The kinds of tokenizer Quill builds, as named on the command line (`--tokenizer`).
public enum TokenizerKind: String, Codable, CaseIterable, Sendable {
    /// One token per grapheme cluster (`CharacterTokenizer`).
    case character = "char"
    /// ICU words and punctuation, spaces glued to the next word (`WordTokenizer`).
    case word
    /// Pieces between whitespace, for pre-tokenized corpora (`WhitespaceTokenizer`).
    case whitespace
    /// Byte-level BPE (`ByteLevelBPE`).
    case bpe
}

/// Turns text into token ids and back: normalize → pre-tokenize → model → decode.
///
/// Every Quill tokenizer conforms, so models and the CLI work with any of them.
/// `TokenizerFile.load(from:)` reads any tokenizer file back as `any Tokenizer`.
public protocol Tokenizer: Sendable {
    /// Which kind of tokenizer this is.
    var kind: TokenizerKind { get }
    /// The number of ids, specials included.
    var vocabularySize: Int { get }
    /// The ids of the special tokens by name (`<pad>`, `<unk>`, `<bos>`, `<eos>` where present).
    var specialTokens: [String: Int] { get }

    /// The ids of `text`, each with its byte range in `text`.
    func encodeWithOffsets(_ text: String) -> [EncodedToken]
    /// The ids of `text`; tokenizers override it to skip building offsets.
    func encode(_ text: String) -> [Int]
    /// The ids of a sentence or prompt a person typed, each with its byte range in `text`, read
    /// as the corpus reads the same words: the word and whitespace tokenizers trim the ends and
    /// give punctuation the spacing their vocabulary has (see ``VocabularyTokenizer``). Others
    /// encode as ``encodeWithOffsets(_:)``.
    func encodeTypedWithOffsets(_ text: String) -> [EncodedToken]
    /// The text of `ids`; specials are skipped unless `keepingSpecials`, except that the
    /// vocabulary tokenizers (char, word, whitespace) always write `<unk>`, which stands for text.
    func decode(_ ids: [Int], keepingSpecials: Bool) -> String
    /// The surface string of one id.
    func token(for id: Int) -> String?
    /// Serializes the tokenizer, settings included, so `TokenizerFile` gives back an identical tokenizer.
    func encoded() throws -> [UInt8]
}

extension Tokenizer {
    /// The ids of `text`.
    public func encode(_ text: String) -> [Int] { encodeWithOffsets(text).map(\.id) }
    /// Typed text is encoded as any other: byte-level BPE and characters have no spacing to mend.
    public func encodeTypedWithOffsets(_ text: String) -> [EncodedToken] { encodeWithOffsets(text) }
    /// The ids of a sentence or prompt a person typed; see ``encodeTypedWithOffsets(_:)``.
    public func encodeTyped(_ text: String) -> [Int] { encodeTypedWithOffsets(text).map(\.id) }
    /// The text of `ids`, without control specials.
    public func decode(_ ids: [Int]) -> String { decode(ids, keepingSpecials: false) }

    /// The share of `ids` that are `<unk>`, text the vocabulary does not cover; nil without ids
    /// or for a tokenizer without `<unk>` (byte-level BPE covers every text).
    public func unknownShare<Ids: Collection>(of ids: Ids) -> Double? where Ids.Element: BinaryInteger {
        guard let unknown = specialTokens[Vocabulary.unknownToken], !ids.isEmpty else { return nil }
        return Double(ids.lazy.filter { $0 == unknown }.count) / Double(ids.count)
    }

    /// The pieces of typed `text` the vocabulary does not cover, each once in order of appearance,
    /// as written in `text` (before normalization, whitespace trimmed): what ``encodeTyped(_:)``
    /// reads as `<unk>`. Empty for a tokenizer without `<unk>`.
    public func unknownWords(in text: String) -> [String] {
        guard let unknown = specialTokens[Vocabulary.unknownToken] else { return [] }
        let bytes = Array(text.utf8)
        var seen = Set<String>()
        return encodeTypedWithOffsets(text).compactMap { token in
            guard token.id == unknown else { return nil }
            let word = String(decoding: bytes[token.byteRange], as: UTF8.self).trimmingWhitespace()
            return !word.isEmpty && seen.insert(word).inserted ? word : nil
        }
    }
}

private extension String {
    func trimmingWhitespace() -> String {
        let characters = Substring(self).drop(while: \.isWhitespace)
        return String(characters.reversed().drop(while: \.isWhitespace).reversed())
    }
}
