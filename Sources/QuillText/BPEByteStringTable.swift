/// An open-addressing hash set of byte strings, each given a dense index (0, 1, 2, ... in insertion order).
///
/// Keys live end to end in one byte arena, so counting millions of pre-tokens or caching their
/// encodings allocates nothing per key: a lookup hashes the caller's bytes in place and compares
/// them with `memcmp`-style loops. Callers keep per-key values in arrays indexed by the dense index.
struct BPEByteStringTable {
    private var arena: [UInt8] = []
    private var starts: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Each slot is 0 (empty) or the high 32 bits of its key's hash over (dense index + 1), so a
    /// probe rejects most non-matching keys without touching `starts` or the arena.
    private var slots: [UInt64]
    private var shift: UInt64

    /// An empty table sized for about `capacity` keys before it grows.
    init(capacity: Int = 64) {
        var count = 16
        while count < capacity * 2 { count <<= 1 }
        slots = [UInt64](repeating: 0, count: count)
        shift = UInt64(64 - count.trailingZeroBitCount)
    }

    /// The slot value of dense index `index` whose key hashes to `hash`.
    @inline(__always)
    private static func slotValue(_ hash: UInt64, _ index: Int) -> UInt64 {
        hash & 0xFFFF_FFFF_0000_0000 | UInt64(index + 1)
    }

    /// The number of keys stored.
    var count: Int { hashes.count }

    /// The total bytes of all keys.
    var arenaSize: Int { arena.count }

    /// The bytes of the key with dense index `index`.
    func withKey<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try arena.withUnsafeBufferPointer { arena in
            try body(UnsafeBufferPointer(rebasing: arena[starts[index]..<starts[index + 1]]))
        }
    }

    /// A hash of `length` bytes at `base` (FxHash over 8-byte words, then a multiply to spread the bits).
    @inline(__always)
    static func hash(_ base: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
        let raw = UnsafeRawPointer(base)
        var h = UInt64(truncatingIfNeeded: length) &* 0x517C_C1B7_2722_0A95
        var i = 0
        while i + 8 <= length {
            h = ((h << 5) | (h >> 59)) ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = h &* 0x517C_C1B7_2722_0A95
            i += 8
        }
        if i < length {
            var tail: UInt64 = 0
            for j in i..<length { tail = tail << 8 | UInt64(base[j]) }
            h = (((h << 5) | (h >> 59)) ^ tail) &* 0x517C_C1B7_2722_0A95
        }
        return h ^ (h >> 29)
    }

    @inline(__always)
    private func slot(for hash: UInt64) -> Int {
        Int(truncatingIfNeeded: (hash &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// Whether the key at `index` equals the `length` bytes at `base`.
    @inline(__always)
    private func keyEquals(_ index: Int, _ base: UnsafePointer<UInt8>, _ length: Int) -> Bool {
        let start = starts[index]
        guard starts[index + 1] - start == length else { return false }
        return arena.withUnsafeBufferPointer { arena in
            let key = arena.baseAddress! + start
            for j in 0..<length where key[j] != base[j] { return false }
            return true
        }
    }

    /// The dense index of the `length` bytes at `base` (hash `hash`), or -1 if absent.
    @inline(__always)
    func index(of base: UnsafePointer<UInt8>, _ length: Int, hash: UInt64) -> Int {
        let mask = slots.count - 1
        let tag = hash & 0xFFFF_FFFF_0000_0000
        var s = slot(for: hash)
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let value = slots[s]
                if value == 0 { return -1 }
                let entry = Int(value & 0xFFFF_FFFF) - 1
                if value & 0xFFFF_FFFF_0000_0000 == tag && keyEquals(entry, base, length) { return entry }
                s = (s + 1) & mask
            }
        }
    }

    /// The dense index of the `length` bytes at `base` (hash `hash`), copying them in if absent.
    @inline(__always)
    mutating func insert(_ base: UnsafePointer<UInt8>, _ length: Int, hash: UInt64) -> (index: Int, inserted: Bool) {
        if (count + 1) * 2 > slots.count { grow() }
        let mask = slots.count - 1
        let tag = hash & 0xFFFF_FFFF_0000_0000
        var s = slot(for: hash)
        while true {
            let value = slots[s]
            if value == 0 { break }
            let entry = Int(value & 0xFFFF_FFFF) - 1
            if value & 0xFFFF_FFFF_0000_0000 == tag && keyEquals(entry, base, length) { return (entry, false) }
            s = (s + 1) & mask
        }
        let index = count
        slots[s] = Self.slotValue(hash, index)
        hashes.append(hash)
        arena.append(contentsOf: UnsafeBufferPointer(start: base, count: length))
        starts.append(arena.count)
        return (index, true)
    }

    /// Doubles the slots and re-places every key by its stored hash.
    private mutating func grow() {
        slots = [UInt64](repeating: 0, count: slots.count * 2)
        shift -= 1
        let mask = slots.count - 1
        for (index, hash) in hashes.enumerated() {
            var s = slot(for: hash)
            while slots[s] != 0 { s = (s + 1) & mask }
            slots[s] = Self.slotValue(hash, index)
        }
    }
}
