#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The on-disk layout of a vocabulary: readable JSON, one token per line.
///
/// ```json
/// {
///   "format": "quill-vocabulary",
///   "version": 1,
///   "tokenizer": "word",
///   "normalization": {"case":"none","form":"nfc","whitespace":"keep"},
///   "statistics": {"corpus_files":["train.txt"],"corpus_tokens":1000, ...},
///   "tokens": [
///     {"id": 0, "token": "<pad>", "count": 0},
///     ...
///   ]
/// }
/// ```
struct VocabularyFile: Codable {
    static let format = "quill-vocabulary"
    static let version = 1

    struct Entry: Codable {
        var id: Int
        var token: String
        var count: Int
    }

    var format: String
    var version: Int
    var tokenizer: TokenizerKind
    var normalization: Normalization
    var statistics: VocabularyStatistics?
    var tokens: [Entry]
}

extension Vocabulary {
    /// The vocabulary as the JSON of a Quill vocabulary file.
    public func jsonBytes() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func json(_ value: some Encodable) -> String {
            // Encoding plain value types into JSON cannot fail.
            String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
        }
        var lines = [
            "{",
            "  \"format\": \(json(VocabularyFile.format)),",
            "  \"version\": \(VocabularyFile.version),",
            "  \"tokenizer\": \(json(settings.kind)),",
            "  \"normalization\": \(json(settings.normalization)),",
        ]
        if let statistics { lines.append("  \"statistics\": \(json(statistics)),") }
        lines.append("  \"tokens\": [")
        var output = Array(lines.joined(separator: "\n").utf8)
        output.reserveCapacity(output.count + count * 40)
        for id in 0..<count {
            output.append(contentsOf: "\n    {\"id\": \(id), \"token\": \"".utf8)
            table.withKey(id) { JSONString.appendEscaped($0, to: &output) }
            output.append(contentsOf: "\", \"count\": \(counts[id])}\(id + 1 < count ? "," : "")".utf8)
        }
        output.append(contentsOf: "\n  ]\n}\n".utf8)
        return output
    }

    /// Reads a vocabulary from the JSON of a Quill vocabulary file; `source` names it in errors.
    public init(jsonBytes: [UInt8], source: String) throws(TokenizerError) {
        let file: VocabularyFile
        do {
            file = try JSONDecoder().decode(VocabularyFile.self, from: Data(jsonBytes))
        } catch {
            throw .malformedFile(path: source, reason: JSONString.describe(error))
        }
        guard file.format == VocabularyFile.format else {
            throw .malformedFile(path: source, reason: "format is \"\(file.format)\", not \"\(VocabularyFile.format)\"")
        }
        guard file.version == VocabularyFile.version else {
            throw .malformedFile(path: source, reason: "version \(file.version) is not supported (this Quill reads version 1)")
        }
        guard file.tokenizer != .bpe else {
            throw .malformedFile(path: source, reason: "BPE tokenizers are stored as tokenizer.json, not as a vocabulary")
        }
        for (position, entry) in file.tokens.enumerated() where entry.id != position {
            throw .malformedFile(path: source, reason: "entry \(position) has id \(entry.id); ids must count up from 0")
        }
        for (id, special) in Vocabulary.specialTokens.enumerated() where file.tokens.count <= id || file.tokens[id].token != special {
            throw .malformedFile(path: source, reason: "id \(id) must be \(special)")
        }
        try self.init(
            settings: TokenizerSettings(kind: file.tokenizer, normalization: file.normalization),
            tokenBytes: file.tokens.dropFirst(Vocabulary.specialTokens.count).map { Array($0.token.utf8) },
            counts: file.tokens.map(\.count), statistics: file.statistics, source: source)
    }

    /// Writes the vocabulary to `path` as JSON.
    public func save(to path: String) throws(TokenizerError) {
        try FileIO.writeAtomically(jsonBytes(), to: path)
    }

    /// Reads a vocabulary file.
    public static func load(from path: String) throws(TokenizerError) -> Vocabulary {
        try Vocabulary(jsonBytes: FileIO.readAll(path), source: path)
    }
}

/// JSON string escaping and error descriptions for the hand-laid-out files.
public enum JSONString {
    /// Appends `bytes` (valid UTF-8) escaped for the inside of a JSON string literal.
    static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        for byte in bytes {
            switch byte {
            case 0x22: output.append(contentsOf: [0x5C, 0x22])
            case 0x5C: output.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: output.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: output.append(contentsOf: [0x5C, 0x72])
            case 0x09: output.append(contentsOf: [0x5C, 0x74])
            case ..<0x20: output.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: output.append(byte)
            }
        }
    }

    /// A one-line description of a JSON decoding error: what was wrong and where.
    public static func describe(_ error: any Error) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "" : " at \(keys.joined(separator: "."))"
        }
        switch error {
        case DecodingError.keyNotFound(let key, let context): return "missing \"\(key.stringValue)\"\(path(context))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "\(context.debugDescription)\(path(context))"
        case DecodingError.dataCorrupted(let context):
            return "\(context.debugDescription)\(path(context))"
        default: return "\(error)"
        }
    }
}
