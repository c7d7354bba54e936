extension ByteLevelBPE {
    /// Trains a tokenizer on `texts` (each pre-split on its own).
    ///
    /// Deterministic: among pairs of equal count the one with the smaller (left id, right id)
    /// is merged first (byte order for two bytes), and the result does not depend on `threads`.
    ///
    /// - Parameters:
    ///   - vocabularySize: The number of ids wanted, specials and the 256 bytes included. Fewer
    ///     result when the corpus runs out of pairs occurring `minFrequency` times.
    ///   - specialTokens: Tokens given ids 0, 1, ... in this order, never produced from raw text.
    ///   - minFrequency: The fewest (weighted) occurrences a pair needs to be merged.
    ///   - preSplit: How text is cut into pre-tokens; Quill's rule by default.
    ///   - threads: How many threads count pre-tokens in large texts.
    public static func train(
        texts: [String], vocabularySize: Int, specialTokens: [String] = [], minFrequency: Int = 2,
        preSplit: ByteLevelPreSplit = .quillDefault, threads: Int = 2
    ) throws -> ByteLevelBPE {
        _ = try specialIds(specialTokens, vocabularySize: vocabularySize)
        var counter = BPEPreTokenCounter(rule: preSplit)
        for var text in texts {
            text.withUTF8 { counter.add($0, threads: threads) }
        }
        return try train(counter: counter, vocabularySize: vocabularySize, specialTokens: specialTokens,
                         minFrequency: minFrequency)
    }

    /// Trains a tokenizer on the UTF-8 text files at `paths` ("-" for standard input).
    ///
    /// Files are read in 32 MB blocks and only their distinct pre-tokens are kept, so memory
    /// does not grow with corpus size. Same parameters as `train(texts:...)`; throws
    /// `TokenizerError` naming a file that cannot be read.
    public static func train(
        files paths: [String], vocabularySize: Int, specialTokens: [String] = [], minFrequency: Int = 2,
        preSplit: ByteLevelPreSplit = .quillDefault, threads: Int = 2
    ) throws -> ByteLevelBPE {
        _ = try specialIds(specialTokens, vocabularySize: vocabularySize)
        var counter = BPEPreTokenCounter(rule: preSplit)
        for path in paths {
            try counter.addFile(path, threads: threads)
        }
        guard counter.words.count > 0 else { throw TokenizerError.emptyCorpus(paths: paths) }
        return try train(counter: counter, vocabularySize: vocabularySize, specialTokens: specialTokens,
                         minFrequency: minFrequency)
    }

    /// The ids of `specialTokens` (0, 1, ... in order), checked against `vocabularySize`.
    static func specialIds(_ specialTokens: [String], vocabularySize: Int) throws -> [String: Int] {
        var ids: [String: Int] = [:]
        for token in specialTokens {
            guard !token.isEmpty, ids[token] == nil else { throw ByteLevelBPEError.invalidSpecialToken(token) }
            ids[token] = ids.count
        }
        let minimum = specialTokens.count + 256
        guard vocabularySize >= minimum else {
            throw ByteLevelBPEError.vocabularyTooSmall(requested: vocabularySize, minimum: minimum)
        }
        return ids
    }

    /// Learns merges from counted pre-tokens and assembles the tokenizer.
    ///
    /// No merge may produce a token spelled like a special token (say "<unk>" in a corpus that
    /// contains it): a `tokenizer.json` vocabulary maps each spelling to one id, and the special
    /// must keep its own. The counter is consumed so its tables can go before merging starts.
    static func train(
        counter: consuming BPEPreTokenCounter, vocabularySize: Int, specialTokens: [String], minFrequency: Int
    ) throws -> ByteLevelBPE {
        let specialIds = try specialIds(specialTokens, vocabularySize: vocabularySize)
        var tokens: [[UInt8]] = specialTokens.map { Array($0.utf8) }
        for byte in 0...255 { tokens.append([UInt8(byte)]) }
        let reserved = Set(specialTokens.compactMap { ByteLevelAlphabet.bytes(ofSpelling: $0) })
        let rule = counter.rule
        var trainer = BPETrainer(counter: counter, firstByteId: Int32(specialTokens.count), minFrequency: minFrequency)
        _ = consume counter
        let rules = trainer.learn(
            maxMerges: vocabularySize - tokens.count, tokens: &tokens, reserved: reserved)
        return ByteLevelBPE(tokens: tokens, specialIds: specialIds, merges: rules, preSplit: rule)
    }
}
