/// Merges the symbols of one pre-token with `BPEMerges`, reusing its buffers from word to word.
///
/// Short words (most of them) use a flat scan for the lowest-rank pair, as tiktoken does;
/// words longer than `heapThreshold` symbols use a min-heap over (rank, position) with a linked
/// list, so a 10,000-scalar run merges in O(n log n) rather than O(n²). Both pick the same pair
/// at every step.
struct BPEWordMerger {
    /// Symbol ids of the word being merged.
    var ids: [Int32] = []
    /// Byte offset (in the word) where each symbol starts.
    var starts: [Int32] = []
    private var ranks: [Int32] = []
    private var next: [Int32] = []
    private var previous: [Int32] = []
    private var heap: [UInt64] = []
    /// Words with more symbols than this use the heap.
    var heapThreshold = 128

    /// Clears the word; then `append` its symbols and call `merge`.
    mutating func reset() {
        ids.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
    }

    /// Adds a symbol `id` starting at byte `start` of the word.
    @inline(__always)
    mutating func append(_ id: Int32, start: Int32) {
        ids.append(id)
        starts.append(start)
    }

    /// Applies `merges` until no adjacent pair has a rule; `ids` and `starts` then hold the result.
    mutating func merge(with merges: BPEMerges) {
        if ids.count <= 1 { return }
        if ids.count <= heapThreshold { scanMerge(merges) } else { heapMerge(merges) }
    }

    private mutating func scanMerge(_ merges: BPEMerges) {
        var n = ids.count
        ranks.removeAll(keepingCapacity: true)
        ranks.append(contentsOf: repeatElement(0, count: n - 1))
        ids.withUnsafeMutableBufferPointer { ids in
            starts.withUnsafeMutableBufferPointer { starts in
                ranks.withUnsafeMutableBufferPointer { ranks in
                    let ids = ids.baseAddress!, starts = starts.baseAddress!, ranks = ranks.baseAddress!
                    @inline(__always) func rank(_ i: Int) -> Int32 {
                        merges.rule(ids[i], ids[i + 1])?.rank ?? Int32.max
                    }
                    for i in 0..<(n - 1) { ranks[i] = rank(i) }
                    while n > 1 {
                        // Lowest rank first, then the leftmost pair with it.
                        var bestRank = Int32.max
                        for i in 0..<(n - 1) { bestRank = min(bestRank, ranks[i]) }
                        if bestRank == Int32.max { break }
                        var best = 0
                        while ranks[best] != bestRank { best += 1 }
                        ids[best] = merges.rule(ids[best], ids[best + 1])!.result
                        (ids + best + 1).update(from: ids + best + 2, count: n - best - 2)
                        (starts + best + 1).update(from: starts + best + 2, count: n - best - 2)
                        (ranks + best).update(from: ranks + best + 1, count: n - best - 2)
                        n -= 1
                        if best > 0 { ranks[best - 1] = rank(best - 1) }
                        if best < n - 1 { ranks[best] = rank(best) }
                    }
                }
            }
        }
        ids.removeLast(ids.count - n)
        starts.removeLast(starts.count - n)
    }

    private mutating func heapMerge(_ merges: BPEMerges) {
        let n = ids.count
        next = (0..<Int32(n)).map { $0 + 1 }
        previous = (0..<Int32(n)).map { $0 - 1 }
        heap.removeAll(keepingCapacity: true)
        func push(_ position: Int32) {
            let after = Int(next[Int(position)])
            guard after < n, let rule = merges.rule(ids[Int(position)], ids[after]) else { return }
            heap.append(UInt64(UInt32(rule.rank)) << 32 | UInt64(UInt32(position)))
            siftUp(heap.count - 1)
        }
        for i in 0..<(n - 1) { push(Int32(i)) }
        while let top = popMin() {
            let position = Int(top & 0xFFFF_FFFF)
            let after = Int(next[position])
            // Skip entries made stale by earlier merges: the symbol is gone or its pair changed.
            guard ids[position] >= 0, after < n,
                  let rule = merges.rule(ids[position], ids[after]), rule.rank == Int32(top >> 32)
            else { continue }
            ids[position] = rule.result
            ids[after] = -1
            next[position] = next[after]
            if Int(next[after]) < n { previous[Int(next[after])] = Int32(position) }
            if previous[position] >= 0 { push(previous[position]) }
            push(Int32(position))
        }
        var write = 0
        for read in 0..<n where ids[read] >= 0 {
            ids[write] = ids[read]
            starts[write] = starts[read]
            write += 1
        }
        ids.removeLast(n - write)
        starts.removeLast(n - write)
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popMin() -> UInt64? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let top = heap[0]
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            let child = left + 1 < heap.count && heap[left + 1] < heap[left] ? left + 1 : left
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            parent = child
        }
        return top
    }
}
