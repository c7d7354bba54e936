internal import CUtf8proc

/// Applies `Normalization` settings to text with utf8proc, keeping offsets to the original.
///
/// Text is normalized one grapheme cluster at a time. That is exact: no canonical reordering or
/// composition crosses a cluster boundary (UAX #29 puts every non-starter and every composing
/// starter in `Grapheme_Extend`), which the NormalizationTest.txt conformance tests confirm. It
/// gives each rewritten cluster its own alignment run, so offsets stay accurate to the cluster.
/// Runs of ASCII skip utf8proc entirely: no ASCII character composes with what precedes it.
public struct Normalizer: Sendable {
    /// The settings applied.
    public let settings: Normalization
    /// utf8proc options for the form and case folding (`utf8proc_option_t` raw value).
    private let options: UInt32

    /// Creates a normalizer for `settings`.
    public init(_ settings: Normalization) {
        self.settings = settings
        var options: UInt32 = 0
        switch settings.form {
        case .none: break
        case .nfc: options = UTF8PROC_STABLE.rawValue | UTF8PROC_COMPOSE.rawValue
        case .nfd: options = UTF8PROC_STABLE.rawValue | UTF8PROC_DECOMPOSE.rawValue
        case .nfkc: options = UTF8PROC_STABLE.rawValue | UTF8PROC_COMPOSE.rawValue | UTF8PROC_COMPAT.rawValue
        case .nfkd: options = UTF8PROC_STABLE.rawValue | UTF8PROC_DECOMPOSE.rawValue | UTF8PROC_COMPAT.rawValue
        }
        if settings.caseMapping == .fold { options |= UTF8PROC_CASEFOLD.rawValue }
        self.options = options
    }

    /// The Unicode version of utf8proc's tables, such as "15.0.0".
    public static var unicodeVersion: String { String(cString: utf8proc_unicode_version()) }

    /// Whether normalization certainly leaves `bytes` as they are: settings that change nothing,
    /// or ASCII text with no case mapping and no whitespace cleanup.
    public func leavesUnchanged(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        settings.isIdentity || (settings.caseMapping == .none && settings.whitespace == .keep && UTF8Bytes.isASCII(bytes))
    }

    /// Normalizes `text`.
    public func normalize(_ text: String) -> NormalizedText {
        if settings.isIdentity { return NormalizedText(unchanged: text) }
        return UTF8Bytes.withBytes(of: text) { bytes in
            if leavesUnchanged(bytes) { return NormalizedText(unchanged: text) }
            let (output, alignment) = normalize(bytes: bytes)
            if alignment.isIdentity && output.count == bytes.count && output.elementsEqual(bytes) {
                return NormalizedText(unchanged: text)
            }
            return NormalizedText(rewritten: output, alignment: alignment)
        }
    }

    /// The normalized string of `text`, without the alignment.
    public func normalizedString(_ text: String) -> String { normalize(text).text }

    /// Normalizes valid UTF-8 `bytes` into new bytes and their alignment to `bytes`.
    public func normalize(bytes: UnsafeBufferPointer<UInt8>) -> (bytes: [UInt8], alignment: Alignment) {
        var writer = NormalizedTextWriter(capacity: bytes.count + bytes.count / 8 + 16, whitespace: settings.whitespace)
        var scratch = ClusterScratch()
        defer { scratch.deallocate() }
        let lowercasing = settings.caseMapping != .none
        let n = bytes.count
        var i = 0
        while i < n {
            let nonASCII = UTF8Bytes.firstNonASCII(in: bytes, from: i)
            // The ASCII byte before a non-ASCII one may combine with it ("e" + U+0301), so it joins the stretch.
            let stretchStart = nonASCII < n && nonASCII > i ? nonASCII - 1 : nonASCII
            if stretchStart > i { writer.appendASCII(bytes, i..<stretchStart, lowercasing: lowercasing) }
            guard stretchStart < n else { break }
            let stretchEnd = UTF8Bytes.firstASCII(in: bytes, from: nonASCII)
            normalizeStretch(bytes, stretchStart..<stretchEnd, into: &writer, scratch: &scratch)
            i = stretchEnd
        }
        writer.finish()
        return (writer.bytes, writer.alignment.alignment(originalCount: n))
    }

    /// Normalizes `bytes[range]` one grapheme cluster at a time (utf8proc's UAX #29 rules).
    private func normalizeStretch(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
        into writer: inout NormalizedTextWriter, scratch: inout ClusterScratch
    ) {
        var state: Int32 = 0
        var clusterStart = range.lowerBound
        var (previous, length) = UTF8Bytes.scalar(at: clusterStart, in: bytes)
        var scalarCount = 1
        var p = clusterStart + length
        while p < range.upperBound {
            let (scalar, length) = UTF8Bytes.scalar(at: p, in: bytes)
            if utf8proc_grapheme_break_stateful(Int32(previous), Int32(scalar), &state) {
                normalizeCluster(bytes, clusterStart..<p, single: scalarCount == 1 ? previous : nil, into: &writer, scratch: &scratch)
                clusterStart = p
                scalarCount = 0
            }
            previous = scalar
            scalarCount += 1
            p += length
        }
        normalizeCluster(bytes, clusterStart..<p, single: scalarCount == 1 ? previous : nil, into: &writer, scratch: &scratch)
    }

    private func normalizeCluster(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, single: UInt32?,
        into writer: inout NormalizedTextWriter, scratch: inout ClusterScratch
    ) {
        let original = UnsafeBufferPointer(rebasing: bytes[range])
        if let scalar = single, isUnchangedAlone(scalar) {
            writer.appendCluster(original, from: range, isLinear: true)
            return
        }
        guard let output = scratch.normalize(original, options: options, lowercasing: settings.caseMapping == .lowercase) else {
            writer.appendCluster(original, from: range, isLinear: true)
            return
        }
        output.withUnsafeBufferPointer { normalized in
            writer.appendCluster(normalized, from: range, isLinear: normalized.elementsEqual(original))
        }
    }

    /// Whether a scalar that forms a grapheme cluster by itself is left as it is; checks utf8proc's
    /// property table so that most non-ASCII text (CJK, Cyrillic lowercase) skips decomposition.
    private func isUnchangedAlone(_ scalar: UInt32) -> Bool {
        guard let property = utf8proc_get_property(Int32(bitPattern: scalar))?.pointee else { return false }
        if settings.form != .none {
            // Hangul syllables decompose algorithmically, outside the property table.
            if property.decomp_seqindex != UInt16.max || (0xAC00...0xD7A3).contains(scalar) { return false }
        }
        switch settings.caseMapping {
        case .none: return true
        case .lowercase: return property.lowercase_seqindex == UInt16.max
        case .fold: return property.casefold_seqindex == UInt16.max
        }
    }
}

/// Reusable buffers for normalizing one grapheme cluster.
private struct ClusterScratch {
    private var codePoints = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 64)
    private var output: [UInt8] = []

    /// The normalized UTF-8 of `cluster`, or `nil` if utf8proc rejects it (it cannot for valid UTF-8).
    mutating func normalize(_ cluster: UnsafeBufferPointer<UInt8>, options: UInt32, lowercasing: Bool) -> [UInt8]? {
        let flags = utf8proc_option_t(rawValue: options)
        var count = 0
        while true {
            count = utf8proc_decompose_custom(
                cluster.baseAddress, cluster.count, codePoints.baseAddress, codePoints.count, flags, nil, nil)
            guard count > codePoints.count else { break }
            codePoints.deallocate()
            codePoints = .allocate(capacity: count)
        }
        guard count >= 0 else { return nil }
        if lowercasing {
            for k in 0..<count { codePoints[k] = utf8proc_tolower(codePoints[k]) }
        }
        if options & UTF8PROC_COMPOSE.rawValue != 0 {
            count = utf8proc_normalize_utf32(codePoints.baseAddress, count, flags)
            guard count >= 0 else { return nil }
        }
        output.removeAll(keepingCapacity: true)
        for k in 0..<count { UTF8Bytes.append(UInt32(bitPattern: codePoints[k]), to: &output) }
        return output
    }

    func deallocate() { codePoints.deallocate() }
}
