/// Counts the tokens of a corpus and keeps the most frequent as a `Vocabulary`.
///
/// Streaming: files are read in chunks of whole lines, and memory grows with the number of
/// distinct tokens (types), not with the corpus. Pieces are counted by their UTF-8 bytes in a hash
/// table, so counting allocates nothing per token.
public struct VocabularyBuilder {
    /// The tokenizer kind and normalization the vocabulary will carry.
    public let settings: TokenizerSettings
    private let normalizer: Normalizer
    private let preTokenizer: any PreTokenizer
    private var table = BPEByteStringTable(capacity: 1 << 12)
    private var counts: [Int] = []
    private var files: [String] = []
    /// The number of tokens counted so far.
    public private(set) var tokenCount = 0

    /// Creates a builder; `settings.kind` must not be `.bpe` (`ByteLevelBPE.train` learns those).
    public init(settings: TokenizerSettings) throws(TokenizerError) {
        guard let preTokenizer = try settings.makePreTokenizer() else {
            throw .unsupportedTokenizer(path: "VocabularyBuilder", found: settings.kind.rawValue)
        }
        self.settings = settings
        self.preTokenizer = preTokenizer
        normalizer = settings.makeNormalizer()
    }

    /// The number of distinct tokens counted so far.
    public var typeCount: Int { table.count }

    /// Counts the tokens of `text`.
    public mutating func add(_ text: String) {
        UTF8Bytes.withBytes(of: text) { add(bytes: $0) }
    }

    /// Counts the tokens of `bytes` (valid UTF-8).
    public mutating func add(bytes: UnsafeBufferPointer<UInt8>) {
        if normalizer.leavesUnchanged(bytes) {
            countPieces(of: bytes)
        } else {
            normalizer.normalize(bytes: bytes).bytes.withUnsafeBufferPointer { countPieces(of: $0) }
        }
    }

    /// Counts the tokens of the file at `path` chunk by chunk, calling `progress` after each chunk
    /// with the bytes read so far and the file size (when known).
    public mutating func addFile(
        atPath path: String, handling: InvalidUTF8Handling = .reject, progress: ((_ bytesRead: Int, _ fileSize: Int?) -> Void)? = nil
    ) throws(TokenizerError) {
        let reader = try TextChunkReader(path: path, handling: handling)
        while let chunk = try reader.nextChunk() {
            chunk.withUnsafeBufferPointer { add(bytes: $0) }
            progress?(reader.bytesRead, reader.fileSize)
        }
        files.append(path)
    }

    private mutating func countPieces(of bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        let preTokenizer = self.preTokenizer
        preTokenizer.forEachPiece(in: bytes) { piece in
            let start = base + piece.lowerBound
            let (index, inserted) = table.insert(start, piece.count, hash: BPEByteStringTable.hash(start, piece.count))
            if inserted { counts.append(1) } else { counts[index] += 1 }
            tokenCount += 1
        }
    }

    /// The vocabulary of the types seen at least `minimumCount` times, most frequent first (ties in
    /// UTF-8 byte order), cut to `maximumSize` ids in total, the four specials included.
    ///
    /// Literal special tokens in the corpus (PTB's `<unk>`) map to their fixed ids and do not take a
    /// second slot. Throws if nothing was counted or the limits are out of range.
    public func build(minimumCount: Int = 1, maximumSize: Int? = nil) throws(TokenizerError) -> Vocabulary {
        guard minimumCount >= 1 else { throw .invalidMinimumCount(minimumCount) }
        if let maximumSize, maximumSize <= Vocabulary.specialTokens.count { throw .invalidSize(maximumSize) }
        guard tokenCount > 0 else { throw .emptyCorpus(paths: files) }
        var literalSpecials = [Int](repeating: 0, count: Vocabulary.specialTokens.count)
        var candidates: [(bytes: [UInt8], count: Int)] = []
        for index in 0..<table.count {
            let bytes = table.withKey(index) { Array($0) }
            if let special = Vocabulary.specialTokens.firstIndex(where: { $0.utf8.elementsEqual(bytes) }) {
                literalSpecials[special] += counts[index]
            } else if counts[index] >= minimumCount {
                candidates.append((bytes, counts[index]))
            }
        }
        candidates.sort { $0.count != $1.count ? $0.count > $1.count : $0.bytes.lexicographicallyPrecedes($1.bytes) }
        if let maximumSize { candidates = Array(candidates.prefix(maximumSize - Vocabulary.specialTokens.count)) }
        // Every corpus token not kept and not a literal <pad>, <bos> or <eos> becomes <unk>.
        var specialCounts = literalSpecials
        specialCounts[Vocabulary.unknownID] = tokenCount - candidates.reduce(0) { $0 + $1.count }
            - literalSpecials.enumerated().reduce(0) { $0 + ($1.offset == Vocabulary.unknownID ? 0 : $1.element) }
        let statistics = VocabularyStatistics(
            corpusFiles: files, corpusTokens: tokenCount, corpusTypes: table.count,
            unknownTokens: specialCounts[Vocabulary.unknownID], minimumCount: minimumCount, maximumSize: maximumSize)
        return try Vocabulary(
            settings: settings, tokenBytes: candidates.map(\.bytes), counts: specialCounts + candidates.map(\.count),
            statistics: statistics)
    }
}
