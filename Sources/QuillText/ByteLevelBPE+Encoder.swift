extension ByteLevelBPE {
    /// An encoder for one thread, which remembers the ids of every pre-token it has merged.
    public func makeEncoder() -> Encoder { Encoder(self) }

    /// Encodes bytes with one `ByteLevelBPE`, merging each distinct pre-token once.
    ///
    /// A pre-token that is itself one vocabulary token is answered from the vocabulary; any
    /// other is merged and its ids cached. A value type: give each thread its own
    /// (`ByteLevelBPE.encode(bytes:threads:)` does). The cache holds pre-tokens up to 256 bytes
    /// and is emptied when it reaches 1,048,576 entries, so memory stays bounded on any input.
    public struct Encoder {
        /// The tokenizer whose ids this encoder produces.
        public let tokenizer: ByteLevelBPE
        private var cache = BPEByteStringTable(capacity: 4096)
        private var cacheStarts = [0]
        private var cacheIds: [Int32] = []
        private var cacheEnds: [Int32] = []
        private var merger = BPEWordMerger()
        private var ends: [Int32] = []
        private static let maxCachedLength = 256
        private static let maxCacheEntries = 1 << 20

        /// Where the ids of one pre-token are: one id, a cache entry, or the merger's buffers.
        private enum Piece {
            case single(Int32)
            case cached(Int)
            case merged
        }

        /// An encoder for `tokenizer` with an empty cache.
        public init(_ tokenizer: ByteLevelBPE) {
            self.tokenizer = tokenizer
        }

        /// The ids of `bytes` (any bytes; invalid UTF-8 is kept byte for byte).
        public mutating func encode(bytes: UnsafeBufferPointer<UInt8>) -> [Int32] {
            var output: [Int32] = []
            output.reserveCapacity(bytes.count / 3)
            let tokenizer = self.tokenizer
            tokenizer.withPrefixSpaceIfNeeded(bytes) { bytes, _ in
                guard let base = bytes.baseAddress else { return }
                var splitter = ByteLevelPreSplitter(bytes, rule: tokenizer.preSplit)
                while let range = splitter.next() {
                    switch piece(base + range.lowerBound, range.count) {
                    case .single(let id):
                        output.append(id)
                    case .cached(let entry):
                        output.append(contentsOf: cacheIds[cacheStarts[entry]..<cacheStarts[entry + 1]])
                    case .merged:
                        output.append(contentsOf: merger.ids)
                    }
                }
            }
            return output
        }

        /// The ids of `bytes`, each with the byte range of `bytes` it covers; the ranges tile the input.
        public mutating func encodeWithOffsets(bytes: UnsafeBufferPointer<UInt8>) -> [EncodedToken] {
            var output: [EncodedToken] = []
            let tokenizer = self.tokenizer
            tokenizer.withPrefixSpaceIfNeeded(bytes) { bytes, shift in
                guard let base = bytes.baseAddress else { return }
                var splitter = ByteLevelPreSplitter(bytes, rule: tokenizer.preSplit)
                while let range = splitter.next() {
                    var lower = range.lowerBound
                    func emit(_ id: Int32, _ end: Int32) {
                        let upper = range.lowerBound + Int(end)
                        output.append(EncodedToken(id: Int(id), byteRange: max(0, lower - shift)..<max(0, upper - shift)))
                        lower = upper
                    }
                    switch piece(base + range.lowerBound, range.count) {
                    case .single(let id):
                        emit(id, Int32(range.count))
                    case .cached(let entry):
                        for k in cacheStarts[entry]..<cacheStarts[entry + 1] { emit(cacheIds[k], cacheEnds[k]) }
                    case .merged:
                        for k in merger.ids.indices { emit(merger.ids[k], ends[k]) }
                    }
                }
            }
            return output
        }

        /// Encodes the `length`-byte pre-token at `base`.
        @inline(__always)
        private mutating func piece(_ base: UnsafePointer<UInt8>, _ length: Int) -> Piece {
            let hash = BPEByteStringTable.hash(base, length)
            let token = tokenizer.tokenIndex.index(of: base, length, hash: hash)
            if token >= 0 && tokenizer.wholeTokenIds[token] >= 0 { return .single(tokenizer.wholeTokenIds[token]) }
            let cacheable = length <= Self.maxCachedLength
            if cacheable {
                let entry = cache.index(of: base, length, hash: hash)
                if entry >= 0 { return .cached(entry) }
            }
            mergeWord(base, length)
            guard cacheable else { return .merged }
            if cache.count >= Self.maxCacheEntries { clearCache() }
            let entry = cache.insert(base, length, hash: hash).index
            cacheIds.append(contentsOf: merger.ids)
            cacheEnds.append(contentsOf: ends)
            cacheStarts.append(cacheIds.count)
            return .cached(entry)
        }

        /// Merges one pre-token into `merger.ids`, with each token's end byte (in the word) in `ends`.
        private mutating func mergeWord(_ base: UnsafePointer<UInt8>, _ length: Int) {
            merger.reset()
            let compatibility = tokenizer.compatibility
            var lastWasUnknown = false
            for i in 0..<length {
                let id = tokenizer.byteIds[Int(base[i])]
                if id >= 0 {
                    merger.append(id, start: Int32(i))
                    lastWasUnknown = false
                } else if let unknown = compatibility.unknownId, !(compatibility.fusesUnknown && lastWasUnknown) {
                    merger.append(unknown, start: Int32(i))
                    lastWasUnknown = true
                }
            }
            merger.merge(with: tokenizer.merges)
            ends.removeAll(keepingCapacity: true)
            for k in merger.starts.indices.dropFirst() { ends.append(merger.starts[k]) }
            if !merger.starts.isEmpty { ends.append(Int32(length)) }
        }

        /// Forgets every cached pre-token.
        private mutating func clearCache() {
            cache = BPEByteStringTable(capacity: 4096)
            cacheStarts = [0]
            cacheIds.removeAll(keepingCapacity: true)
            cacheEnds.removeAll(keepingCapacity: true)
        }
    }

    /// Runs `body` on `bytes`, or on a space followed by `bytes` when the file asks for a prefix
    /// space; `shift` is how many bytes were prepended (0 or 1).
    func withPrefixSpaceIfNeeded(
        _ bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>, _ shift: Int) -> Void
    ) {
        guard compatibility.addsPrefixSpace, bytes.first != 0x20 else { return body(bytes, 0) }
        let prefixed = [0x20] + Array(bytes)
        prefixed.withUnsafeBufferPointer { body($0, 1) }
    }
}
