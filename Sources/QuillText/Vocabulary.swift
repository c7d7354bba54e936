/// The token list of a character, word or whitespace tokenizer, with its settings.
///
/// Ids 0–3 are always `<pad>`, `<unk>`, `<bos>`, `<eos>`; the corpus tokens follow, most frequent
/// first (ties in UTF-8 byte order), so a vocabulary built twice from the same corpus is identical.
/// Lookups hash the UTF-8 bytes of a piece in place, without building a `String`.
public struct Vocabulary: Sendable {
    /// The padding token, id 0.
    public static let paddingToken = "<pad>"
    /// The unknown token, id 1: every piece missing from the vocabulary.
    public static let unknownToken = "<unk>"
    /// The beginning-of-sequence token, id 2.
    public static let beginToken = "<bos>"
    /// The end-of-sequence token, id 3.
    public static let endToken = "<eos>"
    /// The special tokens in id order.
    public static let specialTokens = [paddingToken, unknownToken, beginToken, endToken]
    /// The id of `<pad>`.
    public static let paddingID = 0
    /// The id of `<unk>`.
    public static let unknownID = 1
    /// The id of `<bos>`.
    public static let beginID = 2
    /// The id of `<eos>`.
    public static let endID = 3

    /// The tokenizer kind and normalization this vocabulary was built with.
    public let settings: TokenizerSettings
    /// The corpus count of each id; for `<unk>`, the corpus tokens it stands for.
    public let counts: [Int]
    /// Figures from the corpus, when the vocabulary was built by `VocabularyBuilder`.
    public let statistics: VocabularyStatistics?
    /// Where the vocabulary came from, for messages: its file, or "<memory>".
    public var source: String
    /// Token bytes; a key's dense index is its id.
    let table: BPEByteStringTable
    /// The id of each one-byte ASCII token, or -1: character vocabularies look most pieces up here.
    private let asciiIDs: [Int32]

    /// Creates a vocabulary of the specials followed by `tokens` (ids 4, 5, ...).
    ///
    /// Throws if a token is empty, repeats, or spells a special token.
    public init(settings: TokenizerSettings, tokens: [String], counts: [Int]? = nil, statistics: VocabularyStatistics? = nil) throws(TokenizerError) {
        try self.init(
            settings: settings, tokenBytes: tokens.map { Array($0.utf8) },
            counts: counts.map { Array(repeating: 0, count: Self.specialTokens.count) + $0 }, statistics: statistics)
    }

    /// Creates a vocabulary from the bytes of the non-special tokens (each valid UTF-8) and the
    /// counts of all ids, specials included.
    init(
        settings: TokenizerSettings, tokenBytes: [[UInt8]], counts: [Int]?, statistics: VocabularyStatistics?,
        source: String = "<memory>"
    ) throws(TokenizerError) {
        self.settings = settings
        self.source = source
        self.statistics = statistics
        var table = BPEByteStringTable(capacity: tokenBytes.count + 4)
        for (index, token) in (Self.specialTokens.map { Array($0.utf8) } + tokenBytes).enumerated() {
            guard !token.isEmpty else { throw .malformedFile(path: source, reason: "token \(index) is empty") }
            let inserted = token.withUnsafeBufferPointer { bytes in
                table.insert(bytes.baseAddress!, bytes.count, hash: BPEByteStringTable.hash(bytes.baseAddress!, bytes.count)).inserted
            }
            guard inserted else {
                throw .malformedFile(path: source, reason: "token \(index) \"\(String(decoding: token, as: UTF8.self))\" appears twice")
            }
        }
        self.table = table
        asciiIDs = (0..<128).map { byte in
            Int32(table.index(of: [UInt8(byte)], 1, hash: BPEByteStringTable.hash([UInt8(byte)], 1)))
        }
        let counts = counts ?? Array(repeating: 0, count: table.count)
        guard counts.count == table.count else {
            throw .malformedFile(path: source, reason: "\(counts.count) counts for \(table.count) tokens")
        }
        self.counts = counts
    }

    /// The number of ids, specials included.
    public var count: Int { table.count }

    /// The kind of tokenizer this vocabulary belongs to.
    public var kind: TokenizerKind { settings.kind }

    /// The id of `token`, if present.
    public func id(for token: String) -> Int? {
        UTF8Bytes.withBytes(of: token) { id(forBytes: $0) }
    }

    /// The id of the UTF-8 bytes `bytes`, if present.
    public func id(forBytes bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return nil }
        if bytes.count == 1 && base[0] < 0x80 {
            let id = asciiIDs[Int(base[0])]
            return id < 0 ? nil : Int(id)
        }
        let index = table.index(of: base, bytes.count, hash: BPEByteStringTable.hash(base, bytes.count))
        return index < 0 ? nil : index
    }

    /// The token with id `id`, if in range.
    public func token(for id: Int) -> String? {
        guard (0..<count).contains(id) else { return nil }
        return table.withKey(id) { String(decoding: $0, as: UTF8.self) }
    }

    /// Appends the UTF-8 bytes of the token with id `id` (which must be in range) to `output`.
    func appendBytes(of id: Int, to output: inout [UInt8]) {
        table.withKey(id) { output.append(contentsOf: $0) }
    }

    /// Every token in id order.
    public var tokens: [String] { (0..<count).map { token(for: $0)! } }

    /// Whether `id` is one of the four specials.
    public static func isSpecial(_ id: Int) -> Bool { specialTokens.indices.contains(id) }
}
