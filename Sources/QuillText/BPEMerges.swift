/// The merge rules of a byte-level BPE: for each pair of ids, the rank of its rule and the id it merges into.
///
/// Encoding a word repeatedly applies the rule of lowest rank among its adjacent pairs, the
/// leftmost such pair on ties: the order Hugging Face's BPE model uses (a min-heap on rank, then
/// position), so files from either side give the same ids.
struct BPEMerges: Sendable {
    /// The rules in rank order: `rules[r]` is the rule of rank r.
    private(set) var rules: [(left: Int32, right: Int32, result: Int32)] = []
    private var table = BPEPairTable()
    private var ranks: [Int32] = []
    private var results: [Int32] = []

    /// No rules.
    init() {}

    /// The number of rules, duplicates included.
    var count: Int { rules.count }

    /// Adds the rule of next rank: `left` then `right` merge into `result`.
    ///
    /// A pair listed twice keeps its last rank and result, as in Hugging Face.
    mutating func append(left: Int32, right: Int32, result: Int32) {
        let (index, inserted) = table.insert(BPEPairTable.key(left, right))
        let rank = Int32(rules.count)
        rules.append((left, right, result))
        if inserted {
            ranks.append(rank)
            results.append(result)
        } else {
            ranks[Int(index)] = rank
            results[Int(index)] = result
        }
    }

    /// The rank and result of the rule for (`left`, `right`), or nil if none.
    @inline(__always)
    func rule(_ left: Int32, _ right: Int32) -> (rank: Int32, result: Int32)? {
        let index = table.index(of: BPEPairTable.key(left, right))
        guard index >= 0 else { return nil }
        return (ranks[Int(index)], results[Int(index)])
    }
}
