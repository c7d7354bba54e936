// Implementation-only: clients of QuillUnicode import Foundation, whose bundled ICU declares the same
// C types as the system ICU headers, and the two clash if CICU becomes visible to them.
// No ICU type appears in any stored property, so the layout of public types does not depend on it.
@_implementationOnly import CICU

/// One ICU break iterator with its UTF-8 text; not thread-safe, so `Segmenter` hands each caller its own.
final class BreakIterator {
    /// The `UBreakIterator *`.
    private let iterator: OpaquePointer
    /// Reopened over each new text.
    private var text: UnsafeMutablePointer<UText>?

    /// Opens an iterator for `unit` and `locale` ("" is the root locale, which already segments
    /// Chinese, Japanese, Thai, Lao, Khmer and Burmese words with ICU's dictionaries).
    init(unit: SegmentationUnit, locale: String) throws(SegmentationError) {
        var status = U_ZERO_ERROR
        let type: UBreakIteratorType
        switch unit {
        case .grapheme: type = UBRK_CHARACTER
        case .word: type = UBRK_WORD
        case .sentence: type = UBRK_SENTENCE
        }
        let opened = locale.withCString { quill_ubrk_open(type, $0, &status) }
        guard status.rawValue <= U_ZERO_ERROR.rawValue, let opened else {
            throw SegmentationError.icuFailure(operation: "ubrk_open(\(unit))", code: String(cString: quill_u_errorName(status)))
        }
        iterator = opened
    }

    private init(cloning other: BreakIterator) throws(SegmentationError) {
        var status = U_ZERO_ERROR
        let cloned = quill_ubrk_clone(other.iterator, &status)
        guard status.rawValue <= U_ZERO_ERROR.rawValue, let cloned else {
            throw SegmentationError.icuFailure(operation: "ubrk_clone", code: String(cString: quill_u_errorName(status)))
        }
        iterator = cloned
    }

    deinit {
        quill_ubrk_close(iterator)
        if let text { quill_utext_close(text) }
    }

    /// An independent iterator of the same kind.
    func clone() throws(SegmentationError) -> BreakIterator { try BreakIterator(cloning: self) }

    /// Calls `body` with the end offset and ICU rule status of each segment of `bytes`, in order.
    ///
    /// `bytes` must be valid UTF-8 shorter than 2 GiB (ICU boundaries are 32-bit). ICU keeps no
    /// reference to `bytes` after this returns. With the text in memory, ICU fails only when out of memory.
    func forEachBoundary(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Int, Int32) -> Void) {
        precondition(bytes.count < Int(Int32.max), "ICU segments at most 2 GiB at once; got \(bytes.count) bytes")
        guard bytes.count > 0, let base = bytes.baseAddress else { return }
        var status = U_ZERO_ERROR
        text = base.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
            quill_utext_openUTF8(text, $0, Int64(bytes.count), &status)
        }
        if status.rawValue <= U_ZERO_ERROR.rawValue { quill_ubrk_setUText(iterator, text, &status) }
        precondition(status.rawValue <= U_ZERO_ERROR.rawValue, "ICU could not take UTF-8 text: \(String(cString: quill_u_errorName(status)))")
        _ = quill_ubrk_first(iterator)
        while true {
            let boundary = quill_ubrk_next(iterator)
            if boundary < 0 { break }  // UBRK_DONE
            body(Int(boundary), quill_ubrk_getRuleStatus(iterator))
        }
        // Point the UText at nothing so no dangling pointer to `bytes` survives.
        text = quill_utext_openUTF8(text, "", 0, &status)
        quill_ubrk_setUText(iterator, text, &status)
    }

    /// The ICU version, such as "72.1".
    static var icuVersion: String { String(cString: quill_icu_version()) }
}
