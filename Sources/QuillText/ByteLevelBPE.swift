/// A GPT-2-style byte-level BPE tokenizer: pre-split the UTF-8 bytes, then merge each pre-token by rank.
///
/// Lossless on any text: nothing is normalized, every byte has a token, so
/// `decode(encode(text)) == text` for every valid UTF-8 string. Special tokens (`<pad>`, `<eos>`,
/// ...) have their own ids and are never produced from raw text: "<eos>" typed in the input is
/// encoded as its bytes. Reads and writes Hugging Face `tokenizer.json` files
/// (`init(huggingFaceJSON:source:)`, `save(huggingFaceJSONTo:)`), giving the same ids as the
/// Python `tokenizers` package.
///
/// Trained tokenizers number their ids: special tokens first (in the order given), then the 256
/// single bytes in byte order, then one id per merge rule in the order learned.
public struct ByteLevelBPE: Tokenizer {
    /// How text is cut into pre-tokens before merging.
    public let preSplit: ByteLevelPreSplit
    /// The ids of the special tokens by content.
    public let specialTokens: [String: Int]
    /// The bytes of every id end to end; id i spans `tokenStarts[i]..<tokenStarts[i + 1]`.
    let tokenArena: [UInt8]
    let tokenStarts: [Int]
    /// Whether each id is a special token (decoded only when asked for).
    let isSpecial: [Bool]
    /// Whether each id has a token (loaded files may leave gaps).
    let isAssigned: [Bool]
    /// The id of each single byte, or -1 if the vocabulary lacks it.
    let byteIds: [Int32]
    /// The merge rules.
    let merges: BPEMerges
    /// Every non-special token's bytes, by dense index.
    let tokenIndex: BPEByteStringTable
    /// For each dense index of `tokenIndex`, the id a pre-token with those bytes encodes to when
    /// that is known to be the single token (merging its bytes gives it back, or `ignoresMerges`);
    /// -1 otherwise. Most frequent words are one token, and this small table answers them
    /// without merging or touching a large cache.
    let wholeTokenIds: [Int32]
    /// Settings that exist only to read Hugging Face files faithfully.
    let compatibility: Compatibility

    /// Hugging Face model settings Quill honours when reading a file, with their defaults.
    struct Compatibility: Sendable {
        /// Prepend one space to text that does not start with one (`add_prefix_space`).
        var addsPrefixSpace = false
        /// The id bytes missing from the vocabulary become (`unk_token`); else they are dropped.
        var unknownId: Int32?
        /// Consecutive unknown bytes become one unknown token (`fuse_unk`).
        var fusesUnknown = false
        /// A pre-token that is itself a vocabulary entry becomes that id without merging (`ignore_merges`).
        var ignoresMerges = false
    }

    /// The kind of tokenizer (`bpe`).
    public var kind: TokenizerKind { .bpe }

    /// The number of ids, specials included.
    public var vocabularySize: Int { tokenStarts.count - 1 }

    /// The number of merge rules.
    public var mergeCount: Int { merges.count }

    /// Builds a tokenizer from per-id token bytes (nil for unused ids), specials and merge rules.
    ///
    /// `merges` lists (left id, right id, result id) in rank order.
    init(
        tokens: [[UInt8]?], specialIds: [String: Int], merges mergeRules: [(Int32, Int32, Int32)],
        preSplit: ByteLevelPreSplit, compatibility: Compatibility = Compatibility()
    ) {
        var arena: [UInt8] = []
        var starts = [0]
        var byteIds = [Int32](repeating: -1, count: 256)
        var index = BPEByteStringTable(capacity: tokens.count)
        var idsByIndex: [Int32] = []
        var isSpecial = [Bool](repeating: false, count: tokens.count)
        for id in specialIds.values { isSpecial[id] = true }
        for (id, token) in tokens.enumerated() {
            arena.append(contentsOf: token ?? [])
            starts.append(arena.count)
            guard let token, !token.isEmpty, !isSpecial[id] else { continue }
            if token.count == 1 && byteIds[Int(token[0])] < 0 { byteIds[Int(token[0])] = Int32(id) }
            token.withUnsafeBufferPointer { bytes in
                let hash = BPEByteStringTable.hash(bytes.baseAddress!, bytes.count)
                if index.insert(bytes.baseAddress!, bytes.count, hash: hash).inserted { idsByIndex.append(Int32(id)) }
            }
        }
        var merges = BPEMerges()
        for (left, right, result) in mergeRules { merges.append(left: left, right: right, result: result) }
        self.preSplit = preSplit
        self.specialTokens = specialIds
        self.tokenArena = arena
        self.tokenStarts = starts
        self.isSpecial = isSpecial
        self.isAssigned = tokens.map { $0 != nil }
        self.byteIds = byteIds
        self.merges = merges
        self.tokenIndex = index
        self.compatibility = compatibility
        var merger = BPEWordMerger()
        self.wholeTokenIds = idsByIndex.map { id in
            if compatibility.ignoresMerges { return id }
            merger.reset()
            for (i, byte) in tokens[Int(id)]!.enumerated() { merger.append(byteIds[Int(byte)], start: Int32(i)) }
            merger.merge(with: merges)
            return merger.ids == [id] ? id : -1
        }
    }

    /// The bytes of one id, or nil if the id is out of range or unused.
    public func tokenBytes(for id: Int) -> ArraySlice<UInt8>? {
        guard id >= 0, id < vocabularySize, isAssigned[id] else { return nil }
        return tokenArena[tokenStarts[id]..<tokenStarts[id + 1]]
    }

    /// The token's spelling: the content of a special token, else GPT-2's byte-alphabet
    /// spelling ("Ġworld" for " world"), which shows every byte even of a partial character.
    public func token(for id: Int) -> String? {
        guard let bytes = tokenBytes(for: id) else { return nil }
        return isSpecial[id] ? String(decoding: bytes, as: UTF8.self) : ByteLevelAlphabet.spelling(of: bytes)
    }

    /// The UTF-8 bytes of `ids`; out-of-range ids are skipped, and so are control specials unless
    /// `keepingSpecials` (an unknown token, `<unk>` or the file's `unk_token`, is always written).
    public func decodedBytes<C: Collection>(_ ids: C, keepingSpecials: Bool = false) -> [UInt8]
    where C.Element: BinaryInteger {
        let unknown = compatibility.unknownId.map(Int.init) ?? specialTokens["<unk>"]
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids {
            guard let id = Int(exactly: id), id >= 0, id < vocabularySize else { continue }
            if isSpecial[id] && !keepingSpecials && id != unknown { continue }
            bytes.append(contentsOf: tokenArena[tokenStarts[id]..<tokenStarts[id + 1]])
        }
        return bytes
    }

    /// The text of `ids`; control specials are skipped unless `keepingSpecials`, `<unk>` is written.
    ///
    /// Ids that end inside a multi-byte character decode it as U+FFFD; use `StreamingDecoder` to
    /// show text while generating.
    public func decode(_ ids: [Int], keepingSpecials: Bool) -> String {
        String(decoding: decodedBytes(ids, keepingSpecials: keepingSpecials), as: UTF8.self)
    }

    /// The ids of `text`, each with the byte range of `text` it covers; the ranges tile the text.
    public func encodeWithOffsets(_ text: String) -> [EncodedToken] {
        var text = text
        var encoder = makeEncoder()
        return text.withUTF8 { encoder.encodeWithOffsets(bytes: $0) }
    }

    /// The ids of `text`.
    public func encode(_ text: String) -> [Int] {
        var text = text
        var encoder = makeEncoder()
        return text.withUTF8 { encoder.encode(bytes: $0).map(Int.init) }
    }

    /// The tokenizer as a Hugging Face `tokenizer.json`, so `init(huggingFaceJSON:source:)` gives it back.
    public func encoded() throws -> [UInt8] {
        huggingFaceJSON()
    }
}
