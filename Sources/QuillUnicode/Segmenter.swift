import Synchronization

/// The units ICU segments text into (UAX #29).
public enum SegmentationUnit: String, Codable, CaseIterable, Sendable {
    /// Extended grapheme clusters: what a reader sees as one character.
    case grapheme
    /// Words, with spaces and punctuation as segments of their own; Chinese and Japanese by dictionary.
    case word
    /// Sentences, each with its trailing spaces and line break.
    case sentence
}

/// What ICU's word rules say a word segment contains (its rule status).
public enum WordCategory: Sendable, Equatable {
    /// Spaces, punctuation, symbols: anything that is not a word.
    case other
    /// A number.
    case number
    /// Letters.
    case letter
    /// Kana.
    case kana
    /// Ideographs.
    case ideographic

    init(ruleStatus: Int32) {
        switch ruleStatus {
        case 100..<200: self = .number
        case 200..<300: self = .letter
        case 300..<400: self = .kana
        case 400..<500: self = .ideographic
        default: self = .other
        }
    }
}

/// Splits text into grapheme clusters, words or sentences with ICU break iterators.
///
/// Segments cover the text exactly: concatenated they give it back, spaces included. Ranges are
/// UTF-8 byte offsets. A `Segmenter` is cheap to share between threads: each call borrows an
/// iterator from a small pool.
public struct Segmenter: Sendable {
    /// The unit this segmenter splits into.
    public let unit: SegmentationUnit
    private let pool: IteratorPool

    /// Creates a segmenter that follows UAX #29 exactly.
    ///
    /// ICU's root locale departs from UAX #29 in one place: it breaks words at a colon between
    /// letters ("a:b"), which UAX #29 keeps together (MidLetter). ICU's Finnish and Swedish word
    /// rules are its root rules without that tailoring, so those are what words are split with;
    /// WordBreakTest.txt then passes line for line. Dictionary segmentation of Chinese, Japanese
    /// and Thai is the same under every locale.
    public init(unit: SegmentationUnit) throws(SegmentationError) {
        self.unit = unit
        pool = IteratorPool(template: try BreakIterator(unit: unit, locale: unit == .word ? Self.untailoredWordLocale : ""))
    }

    /// The ICU locale whose word rules are UAX #29 without ICU's colon tailoring.
    static let untailoredWordLocale = "sv"

    /// The ICU version segmenting text, such as "72.1".
    public static var icuVersion: String { BreakIterator.icuVersion }

    /// Calls `body` with each segment's byte range in `bytes` (valid UTF-8) and, for words, its category.
    public func forEachSegment(in bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>, WordCategory) -> Void) {
        pool.withIterator { iterator in
            var start = 0
            iterator.forEachBoundary(in: bytes) { end, status in
                body(start..<end, WordCategory(ruleStatus: status))
                start = end
            }
        }
    }

    /// The byte ranges of the segments of `text`.
    public func byteRanges(in text: String) -> [Range<Int>] {
        UTF8Bytes.withBytes(of: text) { bytes in
            var ranges: [Range<Int>] = []
            forEachSegment(in: bytes) { range, _ in ranges.append(range) }
            return ranges
        }
    }

    /// The segments of `text`.
    public func segments(of text: String) -> [Substring] {
        let utf8 = text.utf8
        return byteRanges(in: text).map { range in
            let lower = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
            let upper = utf8.index(lower, offsetBy: range.count)
            return text[lower..<upper]
        }
    }
}

/// Idle break iterators of one kind; each caller gets one to itself.
private final class IteratorPool: @unchecked Sendable {
    private let template: BreakIterator
    private let idle = Mutex<[BreakIterator]>([])
    private static let maximumIdle = 8

    init(template: BreakIterator) { self.template = template }

    func withIterator<R>(_ body: (BreakIterator) -> R) -> R {
        let iterator = idle.withLock { idle -> BreakIterator in
            if let reused = idle.popLast() { return reused }
            do { return try template.clone() } catch { preconditionFailure("\(error)") }
        }
        defer { idle.withLock { if $0.count < Self.maximumIdle { $0.append(iterator) } } }
        return body(iterator)
    }
}
