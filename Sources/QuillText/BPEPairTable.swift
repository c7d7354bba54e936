/// An open-addressing hash map from a pair of token ids to a dense index (0, 1, 2, ... in insertion order).
///
/// Training looks pairs up millions of times, and encoding once per merge step; a flat table
/// with linear probing and Fibonacci hashing beats `Dictionary<UInt64, Int>` there by avoiding
/// generic hashing. Callers keep whatever they need per pair in arrays indexed by the dense index.
struct BPEPairTable: Sendable {
    private static let empty = UInt64.max
    private var keys: [UInt64]
    private var indices: [Int32]
    private var shift: UInt64
    /// The number of pairs stored.
    private(set) var count = 0

    /// An empty table sized for about `capacity` pairs before it grows.
    init(capacity: Int = 16) {
        var slots = 16
        while slots < capacity * 2 { slots <<= 1 }
        keys = [UInt64](repeating: Self.empty, count: slots)
        indices = [Int32](repeating: -1, count: slots)
        shift = UInt64(64 - slots.trailingZeroBitCount)
    }

    /// The key of the pair (`left`, `right`): ordering keys orders pairs by left id, then right id.
    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private func slot(for key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The dense index of `key`, or -1 if absent.
    @inline(__always)
    func index(of key: UInt64) -> Int32 {
        let mask = keys.count - 1
        var s = slot(for: key)
        return keys.withUnsafeBufferPointer { keys in
            while true {
                let k = keys[s]
                if k == key { return indices[s] }
                if k == Self.empty { return -1 }
                s = (s + 1) & mask
            }
        }
    }

    /// The dense index of `key`, inserting it with the next index if absent.
    @inline(__always)
    mutating func insert(_ key: UInt64) -> (index: Int32, inserted: Bool) {
        if (count + 1) * 2 > keys.count { grow() }
        let mask = keys.count - 1
        var s = slot(for: key)
        while true {
            let k = keys[s]
            if k == key { return (indices[s], false) }
            if k == Self.empty {
                keys[s] = key
                indices[s] = Int32(count)
                count += 1
                return (Int32(count - 1), true)
            }
            s = (s + 1) & mask
        }
    }

    /// Doubles the slots and re-inserts every key with its index.
    private mutating func grow() {
        let oldKeys = keys
        let oldIndices = indices
        keys = [UInt64](repeating: Self.empty, count: oldKeys.count * 2)
        indices = [Int32](repeating: -1, count: oldKeys.count * 2)
        shift -= 1
        let mask = keys.count - 1
        for (key, index) in zip(oldKeys, oldIndices) where key != Self.empty {
            var s = slot(for: key)
            while keys[s] != Self.empty { s = (s + 1) & mask }
            keys[s] = key
            indices[s] = index
        }
    }
}
