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
    private var rules: [UInt64] = []
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
        rules.removeAll(keepingCapacity: true)
        rules.append(contentsOf: repeatElement(0, count: n - 1))
        ids.withUnsafeMutableBufferPointer { ids in
            starts.withUnsafeMutableBufferPointer { starts in
                rules.withUnsafeMutableBufferPointer { rules in
                    let ids = ids.baseAddress!, starts = starts.baseAddress!, rules = rules.baseAddress!
                    for i in 0..<(n - 1) { rules[i] = merges.packedRule(ids[i], ids[i + 1]) }
                    while n > 1 {
                        // The lowest rank (packed rules compare by rank), then the leftmost pair with it.
                        var best = rules[0]
                        for i in 1..<(n - 1) { best = min(best, rules[i]) }
                        if best == BPEMerges.none { break }
                        var at = 0
                        while rules[at] != best { at += 1 }
                        ids[at] = Int32(truncatingIfNeeded: best)
                        (ids + at + 1).update(from: ids + at + 2, count: n - at - 2)
                        (starts + at + 1).update(from: starts + at + 2, count: n - at - 2)
                        (rules + at).update(from: rules + at + 1, count: n - at - 2)
                        n -= 1
                        if at > 0 { rules[at - 1] = merges.packedRule(ids[at - 1], ids[at]) }
                        if at < n - 1 { rules[at] = merges.packedRule(ids[at], ids[at + 1]) }
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
