import Dispatch

extension ByteLevelBPE {
    /// The ids of `bytes`, encoded on up to `threads` threads; the same ids as one thread gives.
    ///
    /// For corpora: inputs of at least 2 MB are cut into `threads` chunks, at line starts where
    /// possible and always where the pre-split is known to break (so the ids cannot change),
    /// each encoded by its own `Encoder`. Ids are `Int32` to halve the memory of a large corpus.
    public func encode(bytes: UnsafeBufferPointer<UInt8>, threads: Int = 1) -> [Int32] {
        encode(bytes: bytes, threads: threads, minimumChunkBytes: Self.minimumChunkBytes)
    }

    /// The ids of `bytes`, cut into chunks of at least `minimumChunkBytes` for up to `threads` threads.
    func encode(bytes: UnsafeBufferPointer<UInt8>, threads: Int, minimumChunkBytes: Int) -> [Int32] {
        let chunks = compatibility.addsPrefixSpace ? 1 : threads
        let cuts = Self.chunkBoundaries(bytes, chunks: chunks, minimumChunkBytes: minimumChunkBytes)
        if cuts.count == 2 {
            var encoder = makeEncoder()
            return encoder.encode(bytes: bytes)
        }
        var parts = [[Int32]](repeating: [], count: cuts.count - 1)
        parts.withUnsafeMutableBufferPointer { parts in
            DispatchQueue.concurrentPerform(iterations: parts.count) { chunk in
                let slice = UnsafeBufferPointer(rebasing: bytes[cuts[chunk]..<cuts[chunk + 1]])
                var encoder = makeEncoder()
                parts[chunk] = encoder.encode(bytes: slice)
            }
        }
        var ids: [Int32] = []
        ids.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts { ids.append(contentsOf: part) }
        return ids
    }

    /// The ids of `bytes`, encoded on up to `threads` threads.
    public func encode(bytes: [UInt8], threads: Int = 1) -> [Int32] {
        bytes.withUnsafeBufferPointer { encode(bytes: $0, threads: threads) }
    }

    /// Chunks smaller than this are not worth a thread.
    static let minimumChunkBytes = 1 << 20

    /// Offsets 0 = c0 < c1 < ... < ck = count cutting `bytes` into at most `chunks` parts at safe points.
    ///
    /// A cut at i is safe when the scalar at i is white space and the scalar before it is not:
    /// no pre-token crosses such a point (runs stop at white space, white space runs start
    /// there), and the pre-tokens before it do not depend on what follows. Line starts
    /// ("\n" after a non-space) are preferred; any space after a non-space is the fallback.
    static func chunkBoundaries(
        _ bytes: UnsafeBufferPointer<UInt8>, chunks: Int, minimumChunkBytes: Int = minimumChunkBytes
    ) -> [Int] {
        let count = bytes.count
        let chunks = min(max(1, chunks), count / max(1, minimumChunkBytes))
        var cuts = [0]
        guard chunks > 1, let base = bytes.baseAddress else { return [0, count] }
        for k in 1..<chunks {
            let target = max(cuts.last! + 1, count * k / chunks)
            let limit = min(count, target + (count / chunks) / 2)
            if let cut = safeCut(base, from: target, to: limit, newline: true)
                ?? safeCut(base, from: target, to: limit, newline: false) {
                cuts.append(cut)
            }
        }
        cuts.append(count)
        return cuts
    }

    /// The last safe cut in `bytes` (a line start if there is one), or nil if none.
    static func lastSafeCut(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = bytes.baseAddress, bytes.count > 1 else { return nil }
        let splitter = ByteLevelPreSplitter(bytes, rule: .gpt2)
        for newline in [true, false] {
            for i in stride(from: bytes.count - 1, to: 0, by: -1) {
                let byte = base[i]
                if byte == 0x0A || (!newline && (byte == 0x20 || byte == 0x09)), !splitter.isWhitespace(endingAt: i) {
                    return i
                }
            }
        }
        return nil
    }

    /// The first safe cut in `from..<to` at a "\n" (or, if not `newline`, at any white space).
    private static func safeCut(_ base: UnsafePointer<UInt8>, from: Int, to: Int, newline: Bool) -> Int? {
        let splitter = ByteLevelPreSplitter(UnsafeBufferPointer(start: base, count: to), rule: .gpt2)
        for i in max(from, 1)..<max(to, 1) {
            let byte = base[i]
            if byte == 0x0A || (!newline && (byte == 0x20 || byte == 0x09)), !splitter.isWhitespace(endingAt: i) {
                return i
            }
        }
        return nil
    }
}
