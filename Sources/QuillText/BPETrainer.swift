/// Learns byte-level BPE merges from counted pre-tokens with an incremental pair index and a priority queue.
///
/// The standard fast algorithm (as in Hugging Face's trainer): count every adjacent pair once,
/// weighted by word count; then repeatedly take the most frequent pair, rewrite only the words
/// that contain it (found through a pair → words index), and adjust the counts of the pairs
/// around each rewrite. The queue is lazy: an entry whose count has since dropped is pushed
/// back with the current count when it surfaces. Cost per merge is proportional to the words
/// touched, not to the corpus.
///
/// Ties are broken by ids: among pairs of equal count the one with the smaller left id wins,
/// then the smaller right id. Bytes have ids in byte order, so for two single bytes this is
/// byte order. The result does not depend on word order or thread count.
struct BPETrainer: ~Copyable {
    /// One queue entry: a pair's key with its count when pushed (never below the current count).
    private struct Candidate {
        var count: Int
        var key: UInt64
        /// Whether this entry comes out before `other`: larger count, then smaller key.
        @inline(__always)
        func precedes(_ other: Candidate) -> Bool {
            count != other.count ? count > other.count : key < other.key
        }
    }

    /// Every word (pre-token of two or more bytes) as [length, stamp, count low, count high,
    /// symbols...], end to end in one allocation; a word is named by the offset of its header.
    ///
    /// Visiting a word is a cache miss; with the header beside the symbols it is one miss, not
    /// one per array. The length shrinks as merges compact the symbols in place.
    private let words: UnsafeMutablePointer<Int32>
    private static let headerSize = 4
    /// Pair index: dense pair number → key, weighted count, words that may contain it.
    private var pairs = BPEPairTable(capacity: 1 << 16)
    private var pairKeys: [UInt64] = []
    private var pairCounts: [Int] = []
    /// The words that may hold each pair: the first inline (-1 for none), the rest in
    /// `pairMoreWords`, so the many pairs seen in one word cost no allocation.
    private var pairFirstWord: [Int32] = []
    private var pairMoreWords: [[Int32]] = []
    private var queue: [Candidate] = []
    private var stamp: Int32 = 0
    /// The fewest occurrences worth merging. Counts of existing pairs only fall, so a pair
    /// below it is never queued and its word list is dropped: on text with many rare pairs
    /// (unsegmented Chinese), most pairs then cost only their count.
    private let minFrequency: Int

    /// Sets up training on the distinct pre-tokens in `counter`; byte b gets id `firstByteId + b`,
    /// and only pairs occurring at least `minFrequency` times are merged.
    init(counter: borrowing BPEPreTokenCounter, firstByteId: Int32, minFrequency: Int) {
        self.minFrequency = max(1, minFrequency)
        var size = 0
        for index in 0..<counter.words.count {
            let length = counter.words.withKey(index) { $0.count }
            if length > 1 { size += Self.headerSize + length }
        }
        precondition(size < Int(Int32.max), "\(size) symbols of distinct pre-tokens do not fit Int32 offsets")
        words = .allocate(capacity: max(size, 1))
        var offset = 0
        for index in 0..<counter.words.count {
            let count = counter.counts[index]
            counter.words.withKey(index) { key in
                guard key.count > 1 else { return }
                let header = words + offset
                header[0] = Int32(key.count)
                header[1] = -1
                header[2] = Int32(truncatingIfNeeded: count)
                header[3] = Int32(truncatingIfNeeded: count >> 32)
                let symbols = header + Self.headerSize
                for (i, byte) in key.enumerated() { symbols[i] = firstByteId + Int32(byte) }
                for i in 0..<(key.count - 1) { add(symbols[i], symbols[i + 1], count, word: Int32(offset)) }
                offset += Self.headerSize + key.count
            }
        }
        for p in pairCounts.indices {
            if pairCounts[p] >= self.minFrequency {
                queue.append(Candidate(count: pairCounts[p], key: pairKeys[p]))
            } else {
                forget(p)
            }
        }
        for i in stride(from: queue.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
    }

    deinit { words.deallocate() }

    /// Learns merges until `maxMerges` are found or no pair occurs `minFrequency` times.
    ///
    /// `tokens` holds the bytes of every id so far; each merge appends its token, whose id is
    /// its index. A merge whose token would be in `reserved` is skipped. Returns the rules
    /// (left, right, result) in order.
    mutating func learn(maxMerges: Int, tokens: inout [[UInt8]], reserved: Set<[UInt8]>) -> [(Int32, Int32, Int32)] {
        var rules: [(Int32, Int32, Int32)] = []
        while rules.count < maxMerges, let best = popBest() {
            let pair = Int(pairs.index(of: best.key))
            let current = pairCounts[pair]
            if current != best.count {
                if current >= minFrequency { push(Candidate(count: current, key: best.key)) } else { forget(pair) }
                continue
            }
            let left = Int32(truncatingIfNeeded: best.key >> 32)
            let right = Int32(truncatingIfNeeded: best.key)
            let merged = tokens[Int(left)] + tokens[Int(right)]
            if reserved.contains(merged) { continue }
            let result = Int32(tokens.count)
            tokens.append(merged)
            rules.append((left, right, result))
            apply(pair: pair, left: left, right: right, result: result)
        }
        return rules
    }

    /// Rewrites every word holding `left right` to hold `result`, updating the pair counts.
    ///
    /// The pairs whose counts rise are exactly the pairs with `result`, all new, so the ones
    /// to queue are those numbered from `pairKeys.count` at the start.
    private mutating func apply(pair: Int, left: Int32, right: Int32, result: Int32) {
        stamp += 1
        let firstNewPair = pairKeys.count
        let first = pairFirstWord[pair]
        let more = pairMoreWords[pair]
        forget(pair)
        for word in CollectionOfOne(first) + more where word >= 0 && words[Int(word) + 1] != stamp {
            words[Int(word) + 1] = stamp
            merge(in: word, pair: pair, left: left, right: right, result: result)
        }
        for p in firstNewPair..<pairKeys.count {
            if pairCounts[p] >= minFrequency { push(Candidate(count: pairCounts[p], key: pairKeys[p])) } else { forget(p) }
        }
    }

    /// Drops the word list of `pair`.
    @inline(__always)
    private mutating func forget(_ pair: Int) {
        pairFirstWord[pair] = -1
        pairMoreWords[pair] = []
    }

    /// Merges each occurrence of `left right` (pair number `pair`) in one word, left to right,
    /// compacting the word in place.
    @inline(__always)
    private mutating func merge(in word: Int32, pair: Int, left: Int32, right: Int32, result: Int32) {
        let header = words + Int(word)
        let length = Int(header[0])
        let count = Int(UInt32(bitPattern: header[2])) | Int(header[3]) << 32
        let symbols = header + Self.headerSize
        var read = 0
        var write = 0
        while read < length {
            if read + 1 < length && symbols[read] == left && symbols[read + 1] == right {
                pairCounts[pair] -= count
                if write > 0 {
                    let before = symbols[write - 1]
                    add(before, left, -count, word: -1)
                    add(before, result, count, word: word)
                }
                if read + 2 < length {
                    let after = symbols[read + 2]
                    add(right, after, -count, word: -1)
                    add(result, after, count, word: word)
                }
                symbols[write] = result
                read += 2
            } else {
                symbols[write] = symbols[read]
                read += 1
            }
            write += 1
        }
        header[0] = Int32(write)
    }

    /// Adds `delta` to the count of pair (`a`, `b`), and notes `word` (if ≥ 0) as holding it.
    @inline(__always)
    private mutating func add(_ a: Int32, _ b: Int32, _ delta: Int, word: Int32) {
        let key = BPEPairTable.key(a, b)
        let (index, inserted) = pairs.insert(key)
        let p = Int(index)
        if inserted {
            pairKeys.append(key)
            pairCounts.append(0)
            pairFirstWord.append(-1)
            pairMoreWords.append([])
        }
        pairCounts[p] += delta
        // A pair no word holds any more needs no word list (its count only rises again if a
        // later step in this merge creates it anew, which lists the word afresh).
        if pairCounts[p] == 0 { forget(p) }
        guard word >= 0 else { return }
        if pairFirstWord[p] < 0 {
            pairFirstWord[p] = word
        } else if (pairMoreWords[p].last ?? pairFirstWord[p]) != word {
            pairMoreWords[p].append(word)
        }
    }

    private mutating func push(_ candidate: Candidate) {
        queue.append(candidate)
        var child = queue.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard queue[child].precedes(queue[parent]) else { break }
            queue.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popBest() -> Candidate? {
        guard let last = queue.popLast() else { return nil }
        guard !queue.isEmpty else { return last }
        let best = queue[0]
        queue[0] = last
        siftDown(0)
        return best
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < queue.count else { return }
            let child = left + 1 < queue.count && queue[left + 1].precedes(queue[left]) ? left + 1 : left
            guard queue[child].precedes(queue[parent]) else { return }
            queue.swapAt(child, parent)
            parent = child
        }
    }
}
