import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts the distinct pre-tokens of a corpus: the only thing BPE training needs from the text.
///
/// Memory grows with the number of distinct pre-tokens, not with the corpus: a 34 MB corpus is
/// read once and leaves a table of unique words with counts. Large inputs are counted on
/// several threads (cut where the pre-split is known to break) and the tables summed.
struct BPEPreTokenCounter {
    /// The rule that cuts text into pre-tokens.
    let rule: ByteLevelPreSplit
    /// The distinct pre-tokens seen so far.
    private(set) var words = BPEByteStringTable(capacity: 1 << 16)
    /// How often each distinct pre-token occurred, by its dense index in `words`.
    private(set) var counts: [Int] = []

    /// A counter with nothing counted.
    init(rule: ByteLevelPreSplit) {
        self.rule = rule
    }

    /// Counts the pre-tokens of `bytes`, on up to `threads` threads if it is large.
    mutating func add(
        _ bytes: UnsafeBufferPointer<UInt8>, threads: Int, minimumChunkBytes: Int = ByteLevelBPE.minimumChunkBytes
    ) {
        let cuts = ByteLevelBPE.chunkBoundaries(bytes, chunks: threads, minimumChunkBytes: minimumChunkBytes)
        guard cuts.count > 2 else { return addSerially(bytes) }
        var parts = [BPEPreTokenCounter](repeating: BPEPreTokenCounter(rule: rule), count: cuts.count - 1)
        parts.withUnsafeMutableBufferPointer { parts in
            DispatchQueue.concurrentPerform(iterations: parts.count) { chunk in
                parts[chunk].addSerially(UnsafeBufferPointer(rebasing: bytes[cuts[chunk]..<cuts[chunk + 1]]))
            }
        }
        for part in parts { merge(part) }
    }

    /// Counts the pre-tokens of the file at `path` ("-" for standard input), read in blocks of
    /// `blockSize` bytes cut at safe points, so memory holds one block (or one long line) at a time.
    mutating func addFile(_ path: String, threads: Int, blockSize: Int = 32 << 20) throws {
        let descriptor = try FileIO.openForReading(path)
        defer { if descriptor != 0 { close(descriptor) } }
        var buffer: [UInt8] = []
        var atEnd = false
        while !atEnd {
            atEnd = try FileIO.readChunk(descriptor, appendingTo: &buffer, count: blockSize, path: path) == 0
            let cut = atEnd ? buffer.count : buffer.withUnsafeBufferPointer { ByteLevelBPE.lastSafeCut($0) } ?? 0
            guard cut > 0 else { continue }
            buffer.withUnsafeBufferPointer { add(UnsafeBufferPointer(rebasing: $0[..<cut]), threads: threads) }
            buffer.removeFirst(cut)
        }
    }

    /// Counts the pre-tokens of `bytes` on this thread.
    mutating func addSerially(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        var splitter = ByteLevelPreSplitter(bytes, rule: rule)
        while let range = splitter.next() {
            let start = base + range.lowerBound
            let (index, inserted) = words.insert(start, range.count, hash: BPEByteStringTable.hash(start, range.count))
            if inserted { counts.append(1) } else { counts[index] += 1 }
        }
    }

    /// Adds the counts of `other` to these.
    mutating func merge(_ other: BPEPreTokenCounter) {
        for index in 0..<other.words.count {
            other.words.withKey(index) { key in
                let base = key.baseAddress ?? UnsafePointer(bitPattern: 1)!
                let (mine, inserted) = words.insert(base, key.count, hash: BPEByteStringTable.hash(base, key.count))
                if inserted { counts.append(other.counts[index]) } else { counts[mine] += other.counts[index] }
            }
        }
    }
}
