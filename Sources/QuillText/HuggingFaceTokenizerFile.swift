#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The parts of a Hugging Face `tokenizer.json` that a byte-level BPE reads, as the file spells them.
///
/// The model's vocabulary and merges are typed (they are large); the pipeline stages stay
/// generic JSON, since their members depend on their `type`. Writing is done by hand in
/// `ByteLevelBPE+HuggingFace.swift` so the vocabulary comes out in id order.
struct HuggingFaceTokenizerFile: Decodable {
    /// One entry of `added_tokens`.
    struct AddedToken: Decodable {
        var id: Int
        var content: String
        var special: Bool?
    }

    /// One merge rule: "left right" (older files) or ["left", "right"] (tokenizers 0.20 and later).
    enum Merge: Decodable {
        case joined(String)
        case pair([String])

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .joined(text)
            } else {
                self = .pair(try container.decode([String].self))
            }
        }

        /// The two token spellings, or nil if the rule is malformed.
        var parts: (String, String)? {
            switch self {
            case .joined(let text):
                let parts = text.split(separator: " ", omittingEmptySubsequences: false)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            case .pair(let parts):
                return parts.count == 2 ? (parts[0], parts[1]) : nil
            }
        }

        /// The rule as written, for error messages.
        var text: String {
            switch self {
            case .joined(let text): return text.debugDescription
            case .pair(let parts): return parts.description
            }
        }
    }

    /// The `model` object.
    struct Model: Decodable {
        var type: String?
        var vocab: [String: Int]?
        var merges: [Merge]?
        var dropout: Double?
        var unkToken: String?
        var continuingSubwordPrefix: String?
        var endOfWordSuffix: String?
        var fuseUnk: Bool?
        var byteFallback: Bool?
        var ignoreMerges: Bool?

        enum CodingKeys: String, CodingKey {
            case type, vocab, merges, dropout
            case unkToken = "unk_token"
            case continuingSubwordPrefix = "continuing_subword_prefix"
            case endOfWordSuffix = "end_of_word_suffix"
            case fuseUnk = "fuse_unk"
            case byteFallback = "byte_fallback"
            case ignoreMerges = "ignore_merges"
        }
    }

    var addedTokens: [AddedToken]?
    var normalizer: HuggingFaceJSONValue?
    var preTokenizer: HuggingFaceJSONValue?
    var postProcessor: HuggingFaceJSONValue?
    var decoder: HuggingFaceJSONValue?
    var model: Model

    enum CodingKeys: String, CodingKey {
        case normalizer, decoder, model
        case addedTokens = "added_tokens"
        case preTokenizer = "pre_tokenizer"
        case postProcessor = "post_processor"
    }

    /// Parses `json`, naming `source` in any error.
    static func parse(_ json: [UInt8], source: String) throws -> HuggingFaceTokenizerFile {
        do {
            return try JSONDecoder().decode(HuggingFaceTokenizerFile.self, from: Data(json))
        } catch let error as DecodingError {
            throw ByteLevelBPEError.malformedJSON(source: source, detail: describe(error))
        }
    }

    /// A one-line account of a decoding error: what was expected where.
    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "top level" : keys.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing \"\(key.stringValue)\" at \(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(context.debugDescription) at \(path(context))"
        @unknown default:
            return "\(error)"
        }
    }
}
