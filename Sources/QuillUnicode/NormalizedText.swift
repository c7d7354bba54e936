/// Text after normalization, with the map from its byte offsets back to the original text.
public struct NormalizedText: Sendable {
    private enum Storage: Sendable {
        case unchanged(String)
        case rewritten([UInt8])
    }

    private let storage: Storage
    /// Maps normalized byte offsets to original byte offsets.
    public let alignment: Alignment

    /// Text that normalization left exactly as it was.
    init(unchanged text: String) {
        storage = .unchanged(text)
        alignment = .identity(count: text.utf8.count)
    }

    /// Text that normalization rewrote into `bytes` (valid UTF-8).
    init(rewritten bytes: [UInt8], alignment: Alignment) {
        storage = .rewritten(bytes)
        self.alignment = alignment
    }

    /// The normalized text.
    public var text: String {
        switch storage {
        case .unchanged(let text): text
        case .rewritten(let bytes): String(decoding: bytes, as: UTF8.self)
        }
    }

    /// The length of the normalized text in UTF-8 bytes.
    public var utf8Count: Int {
        switch storage {
        case .unchanged(let text): text.utf8.count
        case .rewritten(let bytes): bytes.count
        }
    }

    /// Whether normalization changed nothing.
    public var isUnchanged: Bool {
        if case .unchanged = storage { return true }
        return false
    }

    /// Calls `body` with the normalized text's UTF-8 bytes.
    public func withUTF8<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        switch storage {
        case .unchanged(let text): try UTF8Bytes.withBytes(of: text, body)
        case .rewritten(let bytes): try bytes.withUnsafeBufferPointer(body)
        }
    }

    /// The original byte range that produced the normalized byte range `range`.
    public func originalRange(of range: Range<Int>) -> Range<Int> { alignment.originalRange(of: range) }
}
