/// Figures from the corpus a vocabulary was built on.
public struct VocabularyStatistics: Codable, Hashable, Sendable {
    /// The corpus files, as given.
    public var corpusFiles: [String]
    /// Tokens in the corpus.
    public var corpusTokens: Int
    /// Distinct tokens (types) in the corpus.
    public var corpusTypes: Int
    /// Corpus tokens that the vocabulary maps to `<unk>`, literal `<unk>` tokens included.
    public var unknownTokens: Int
    /// The minimum count a type needed to be kept.
    public var minimumCount: Int
    /// The largest vocabulary size allowed, specials included (`nil`: no limit).
    public var maximumSize: Int?

    /// The share of corpus tokens mapped to `<unk>`, from 0 to 1.
    public var unknownShare: Double { corpusTokens == 0 ? 0 : Double(unknownTokens) / Double(corpusTokens) }

    /// Creates statistics.
    public init(corpusFiles: [String], corpusTokens: Int, corpusTypes: Int, unknownTokens: Int, minimumCount: Int, maximumSize: Int?) {
        self.corpusFiles = corpusFiles
        self.corpusTokens = corpusTokens
        self.corpusTypes = corpusTypes
        self.unknownTokens = unknownTokens
        self.minimumCount = minimumCount
        self.maximumSize = maximumSize
    }

    private enum CodingKeys: String, CodingKey {
        case corpusFiles = "corpus_files"
        case corpusTokens = "corpus_tokens"
        case corpusTypes = "corpus_types"
        case unknownTokens = "unknown_tokens"
        case unknownShare = "unknown_share"
        case minimumCount = "min_count"
        case maximumSize = "max_size"
    }

    /// Decodes statistics; `unknown_share` is derived, so it is read past.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        corpusFiles = try container.decode([String].self, forKey: .corpusFiles)
        corpusTokens = try container.decode(Int.self, forKey: .corpusTokens)
        corpusTypes = try container.decode(Int.self, forKey: .corpusTypes)
        unknownTokens = try container.decode(Int.self, forKey: .unknownTokens)
        minimumCount = try container.decode(Int.self, forKey: .minimumCount)
        maximumSize = try container.decodeIfPresent(Int.self, forKey: .maximumSize)
    }

    /// Encodes statistics, `unknown_share` included for readers of the file.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(corpusFiles, forKey: .corpusFiles)
        try container.encode(corpusTokens, forKey: .corpusTokens)
        try container.encode(corpusTypes, forKey: .corpusTypes)
        try container.encode(unknownTokens, forKey: .unknownTokens)
        try container.encode(unknownShare, forKey: .unknownShare)
        try container.encode(minimumCount, forKey: .minimumCount)
        try container.encode(maximumSize, forKey: .maximumSize)
    }
}
