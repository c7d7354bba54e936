/// Reads the byte-level BPE tokenizer in the Hugging Face `tokenizer.json` at `path`.
///
/// The entry point other loaders dispatch to for `--tokenizer bpe` vocabularies. Throws
/// `TokenizerError` if the file cannot be read, `ByteLevelBPEError` if it is not a byte-level BPE.
public func loadBPETokenizer(from path: String) throws -> ByteLevelBPE {
    try ByteLevelBPE(huggingFaceJSON: FileIO.readAll(path), source: path)
}

extension ByteLevelBPE {
    /// Reads a Hugging Face `tokenizer.json` holding a byte-level BPE; `source` names it in errors.
    ///
    /// Accepts what the Python `tokenizers` package writes for GPT-2-style models: no
    /// normalizer; a `ByteLevel` pre-tokenizer with its regex (GPT-2's split), or a `Sequence` of a
    /// `Split` with Quill's or GPT-2's regex and `ByteLevel(use_regex: false)`; merges as
    /// "a b" strings or [a, b] pairs. Ids then match the Python package's, which splits special
    /// tokens out of raw text unless `encode_special_tokens` is set; Quill never does.
    public init(huggingFaceJSON json: [UInt8], source: String = "<memory>") throws {
        let file = try HuggingFaceTokenizerFile.parse(json, source: source)
        let model = file.model
        if let type = model.type, type != "BPE" { throw ByteLevelBPEError.notBPE(source: source, modelType: type) }
        guard let vocab = model.vocab, let mergeList = model.merges else {
            throw ByteLevelBPEError.notBPE(source: source, modelType: "model without vocab and merges")
        }
        try Self.checkStages(file, source: source)
        let (preSplit, addsPrefixSpace) = try Self.preSplit(of: file.preTokenizer, source: source)

        // Added tokens keep the model's id when the model has their content, as Hugging Face does.
        // One id with two tokens would decode as whichever a dictionary met first, differently
        // from run to run, so it is an error, as it is in the vocabulary.
        var specialIds: [String: Int] = [:]
        var specialById: [Int: String] = [:]
        for added in file.addedTokens ?? [] {
            let id = vocab[added.content] ?? added.id
            if let other = specialById[id], other != added.content {
                throw ByteLevelBPEError.conflictingId(source: source, id: id, first: other, second: added.content)
            }
            specialIds[added.content] = id
            specialById[id] = added.content
        }
        // Ids may leave gaps, but a table sized by a wild id (a damaged or hostile file) would
        // exhaust memory before any other check.
        let tokenCount = vocab.count + specialIds.count
        for (content, id) in Array(vocab) + Array(specialIds) where id < 0 || id >= tokenCount + Self.maximumIdGap {
            throw ByteLevelBPEError.malformedJSON(
                source: source, detail: id < 0 ? "negative id \(id) of \(content.debugDescription)"
                    : "id \(id) of \(content.debugDescription) is far past the \(tokenCount) tokens the file holds (ids may leave gaps, of up to \(Self.maximumIdGap) in all)")
        }
        let size = (Array(vocab.values) + Array(specialIds.values)).max().map { $0 + 1 } ?? 0
        var tokens = [[UInt8]?](repeating: nil, count: size)
        var spellings = [String?](repeating: nil, count: size)
        for (spelling, id) in vocab {
            guard id >= 0 else { throw ByteLevelBPEError.malformedJSON(source: source, detail: "negative id \(id)") }
            if let other = spellings[id] {
                throw ByteLevelBPEError.conflictingId(source: source, id: id, first: other, second: spelling)
            }
            spellings[id] = spelling
            if let special = specialById[id] {
                guard special == spelling else {
                    throw ByteLevelBPEError.conflictingId(source: source, id: id, first: spelling, second: special)
                }
                continue
            }
            guard let bytes = ByteLevelAlphabet.bytes(ofSpelling: spelling) else {
                throw ByteLevelBPEError.notByteLevel(source: source, token: spelling)
            }
            tokens[id] = bytes
        }
        for (id, content) in specialById { tokens[id] = Array(content.utf8) }

        var merges: [(Int32, Int32, Int32)] = []
        merges.reserveCapacity(mergeList.count)
        for (rank, merge) in mergeList.enumerated() {
            guard let (left, right) = merge.parts else {
                throw ByteLevelBPEError.malformedMerge(source: source, rank: rank, text: merge.text)
            }
            for token in [left, right, left + right] where vocab[token] == nil {
                throw ByteLevelBPEError.mergeOutsideVocabulary(source: source, rank: rank, token: token)
            }
            merges.append((Int32(vocab[left]!), Int32(vocab[right]!), Int32(vocab[left + right]!)))
        }

        var compatibility = Compatibility()
        compatibility.addsPrefixSpace = addsPrefixSpace
        compatibility.fusesUnknown = model.fuseUnk ?? false
        compatibility.ignoresMerges = model.ignoreMerges ?? false
        if let unknown = model.unkToken {
            guard let id = vocab[unknown] else {
                throw ByteLevelBPEError.malformedJSON(
                    source: source, detail: "model.unk_token \(unknown.debugDescription) is not in the vocabulary")
            }
            compatibility.unknownId = Int32(id)
        }
        try Self.checkModelOptions(model, source: source)
        self.init(tokens: tokens, specialIds: specialIds, merges: merges, preSplit: preSplit,
                  compatibility: compatibility)
    }

    /// How many more ids than tokens a file may number: unused ids cost memory in every table.
    static let maximumIdGap = 1 << 20

    /// Throws unless the normalizer is absent and the post-processor and decoder are ByteLevel (or absent).
    private static func checkStages(_ file: HuggingFaceTokenizerFile, source: String) throws {
        if let normalizer = file.normalizer, !normalizer.isNull {
            let emptySequence = normalizer["type"]?.string == "Sequence" && normalizer["normalizers"] == .array([])
            if !emptySequence {
                throw ByteLevelBPEError.unsupportedSetting(
                    source: source, setting: "normalizer", value: normalizer.compactDescription)
            }
        }
        for (name, stage) in [("post_processor", file.postProcessor), ("decoder", file.decoder)] {
            guard let stage, !stage.isNull, stage["type"]?.string != "ByteLevel" else { continue }
            throw ByteLevelBPEError.unsupportedSetting(source: source, setting: name, value: stage.compactDescription)
        }
    }

    /// Throws on model options that change ids in ways Quill does not implement.
    private static func checkModelOptions(_ model: HuggingFaceTokenizerFile.Model, source: String) throws {
        func unsupported(_ setting: String, _ value: String) -> ByteLevelBPEError {
            .unsupportedSetting(source: source, setting: "model." + setting, value: value)
        }
        if let dropout = model.dropout, dropout != 0 { throw unsupported("dropout", "\(dropout)") }
        if let prefix = model.continuingSubwordPrefix, !prefix.isEmpty {
            throw unsupported("continuing_subword_prefix", prefix.debugDescription)
        }
        if let suffix = model.endOfWordSuffix, !suffix.isEmpty {
            throw unsupported("end_of_word_suffix", suffix.debugDescription)
        }
        if model.byteFallback == true { throw unsupported("byte_fallback", "true") }
    }

    /// The pre-split rule and `add_prefix_space` of a `pre_tokenizer` stage, or an error naming it.
    private static func preSplit(
        of stage: HuggingFaceJSONValue?, source: String
    ) throws -> (ByteLevelPreSplit, addsPrefixSpace: Bool) {
        let unsupported = ByteLevelBPEError.unsupportedSetting(
            source: source, setting: "pre_tokenizer", value: stage?.compactDescription ?? "null")
        guard let stage else { throw unsupported }
        switch stage["type"]?.string {
        case "ByteLevel":
            guard stage["use_regex"]?.bool ?? true else { throw unsupported }
            return (.gpt2, stage["add_prefix_space"]?.bool ?? true)
        case "Sequence":
            guard case .array(let stages)? = stage["pretokenizers"], stages.count == 2,
                  stages[0]["type"]?.string == "Split", stages[1]["type"]?.string == "ByteLevel",
                  stages[0]["behavior"]?.string == "Isolated", stages[0]["invert"]?.bool != true,
                  stages[1]["use_regex"]?.bool == false, stages[1]["add_prefix_space"]?.bool == false,
                  let pattern = stages[0]["pattern"]?["Regex"]?.string
            else { throw unsupported }
            guard let rule = ByteLevelPreSplit(pattern: pattern) else {
                throw ByteLevelBPEError.unsupportedSetting(
                    source: source, setting: "pre_tokenizer Split pattern", value: pattern.debugDescription)
            }
            return (rule, false)
        default:
            throw unsupported
        }
    }
}
