/// The merge rules of a byte-level BPE: for each pair of ids, the rank of its rule and the id it merges into.
///
/// Encoding a word repeatedly applies the rule of lowest rank among its adjacent pairs, the
/// leftmost such pair on ties: the order Hugging Face's BPE model uses (a min-heap on rank, then
/// position), so files from either side give the same ids.
///
/// Lookups happen at every merge step, so the rules live in one open-addressing table of
/// interleaved (pair key, rank and result) words: a probe reads one cache line.
struct BPEMerges: Sendable {
    /// The rules in rank order: `rules[r]` is the rule of rank r.
    private(set) var rules: [(left: Int32, right: Int32, result: Int32)] = []
    /// Slot s holds its pair key at 2s and (rank << 32 | result) at 2s + 1; empty slots hold `empty`.
    private var slots = [UInt64](repeating: empty, count: 32)
    private var shift: UInt64 = 60
    private var distinct = 0
    private static let empty = UInt64.max

    /// No rules.
    init() {}

    /// The number of rules, duplicates included.
    var count: Int { rules.count }

    @inline(__always)
    private func slot(for key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// Adds the rule of next rank: `left` then `right` merge into `result`.
    ///
    /// A pair listed twice keeps its last rank and result, as in Hugging Face.
    mutating func append(left: Int32, right: Int32, result: Int32) {
        let value = UInt64(rules.count) << 32 | UInt64(UInt32(bitPattern: result))
        rules.append((left, right, result))
        if (distinct + 1) * 4 > slots.count { grow() }
        if place(BPEPairTable.key(left, right), value) { distinct += 1 }
    }

    /// Stores `value` under `key`; returns whether the key is new.
    private mutating func place(_ key: UInt64, _ value: UInt64) -> Bool {
        let mask = slots.count / 2 - 1
        var s = slot(for: key)
        while slots[2 * s] != Self.empty && slots[2 * s] != key { s = (s + 1) & mask }
        let isNew = slots[2 * s] == Self.empty
        slots[2 * s] = key
        slots[2 * s + 1] = value
        return isNew
    }

    /// Doubles the slots and re-places every stored rule.
    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: Self.empty, count: old.count * 2)
        shift -= 1
        for s in stride(from: 0, to: old.count, by: 2) where old[s] != Self.empty { _ = place(old[s], old[s + 1]) }
    }

    /// The rank and result of the rule for (`left`, `right`), or nil if none.
    @inline(__always)
    func rule(_ left: Int32, _ right: Int32) -> (rank: Int32, result: Int32)? {
        let packed = packedRule(left, right)
        guard packed != Self.none else { return nil }
        return (Int32(truncatingIfNeeded: packed >> 32), Int32(truncatingIfNeeded: packed))
    }

    /// The value `packedRule` gives for a pair without a rule (above every packed rule).
    static let none = UInt64.max

    /// The rule for (`left`, `right`) as rank << 32 | result, or `none`: comparing packed rules
    /// compares ranks, since one rank has one result.
    @inline(__always)
    func packedRule(_ left: Int32, _ right: Int32) -> UInt64 {
        let key = BPEPairTable.key(left, right)
        let mask = slots.count / 2 - 1
        var s = slot(for: key)
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let stored = slots[2 * s]
                if stored == Self.empty { return Self.none }
                if stored == key { return slots[2 * s + 1] }
                s = (s + 1) & mask
            }
        }
    }
}
