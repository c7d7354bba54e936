#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads and writes tokenizer files of every kind, so callers need not know which kind a file holds.
public enum TokenizerFile {
    /// The fields that say which tokenizer a file holds: Quill vocabularies name it in
    /// `tokenizer`; Hugging Face `tokenizer.json` files (how BPE tokenizers are stored) in `model.type`.
    private struct Header: Decodable {
        struct Model: Decodable { var type: String? }
        var tokenizer: String?
        var model: Model?
    }

    /// Reads the tokenizer or vocabulary file at `path`, whatever its kind.
    public static func load(from path: String) throws -> any Tokenizer {
        try decode(FileIO.readAll(path), source: path)
    }

    /// Reads a tokenizer from the bytes of a tokenizer or vocabulary file; `source` names it in errors.
    ///
    /// The single dispatch point for every kind of tokenizer file.
    public static func decode(_ bytes: [UInt8], source: String) throws -> any Tokenizer {
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: Data(bytes))
        } catch {
            throw TokenizerError.malformedFile(path: source, reason: JSONString.describe(error))
        }
        if let model = header.model {
            guard model.type == "BPE" else {
                throw TokenizerError.unsupportedTokenizer(path: source, found: "Hugging Face \(model.type ?? "untyped") model")
            }
            return try ByteLevelBPE(huggingFaceJSON: bytes, source: source)
        }
        guard let name = header.tokenizer else {
            throw TokenizerError.malformedFile(path: source, reason: "no \"tokenizer\" field")
        }
        guard let kind = TokenizerKind(rawValue: name), kind != .bpe else {
            throw TokenizerError.unsupportedTokenizer(path: source, found: name)
        }
        return try tokenizer(for: Vocabulary(jsonBytes: bytes, source: source))
    }

    /// The tokenizer of `vocabulary`'s kind (char, word or whitespace).
    public static func tokenizer(for vocabulary: Vocabulary) throws(TokenizerError) -> any Tokenizer {
        switch vocabulary.kind {
        case .character: try CharacterTokenizer(vocabulary: vocabulary)
        case .word: try WordTokenizer(vocabulary: vocabulary)
        case .whitespace: try WhitespaceTokenizer(vocabulary: vocabulary)
        case .bpe: throw .unsupportedTokenizer(path: vocabulary.source, found: "bpe vocabulary without merges")
        }
    }

    /// Writes `tokenizer` to `path` in its own format, replacing any file there atomically.
    public static func save(_ tokenizer: any Tokenizer, to path: String) throws {
        try FileIO.writeAtomically(tokenizer.encoded(), to: path)
    }
}
