import Foundation
import Testing
import TestSupport

/// `quill segment` end to end: each unit on combining marks, emoji ZWJ sequences, flags, Chinese
/// and CRLF line ends, and the property CLI.md states: the segments of a line, concatenated,
/// give the line back (spaces are segments too).
///
/// Segments are compared as UTF-8 bytes, since Swift's `String ==` would call a decomposed é
/// equal to a precomposed one.
@Suite struct SegmentCommandTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var testDescription: String
        var unit: String
        var line: String
        var segments: [String]

        init(_ name: String, _ unit: String, _ line: String, _ segments: [String]) {
            (testDescription, self.unit, self.line, self.segments) = (name, unit, line, segments)
        }
    }

    static let cases = [
        Case("graphemes keep a combining mark on its letter", "grapheme", "cafe\u{301} ok", ["c", "a", "f", "e\u{301}", " ", "o", "k"]),
        Case("graphemes keep an emoji ZWJ sequence and a flag whole", "grapheme", "👩‍👩‍👧🇫🇷!", ["👩‍👩‍👧", "🇫🇷", "!"]),
        Case("words: punctuation and each run of spaces are segments", "word", "Hello, world!  Ça va?",
             ["Hello", ",", " ", "world", "!", "  ", "Ça", " ", "va", "?"]),
        Case("words: a combining mark stays in its word", "word", "cafe\u{301} au lait", ["cafe\u{301}", " ", "au", " ", "lait"]),
        Case("words: Chinese split by ICU's dictionary, emoji whole", "word", "中文分词 👩‍👩‍👧 ok.",
             ["中文", "分词", " ", "👩‍👩‍👧", " ", "ok", "."]),
        Case("sentences keep their trailing spaces", "sentence", "Hi there. How are you? Fine.",
             ["Hi there. ", "How are you? ", "Fine."]),
    ]

    /// The bytes of each string, so comparisons are exact.
    static func bytes(_ strings: [String]) -> [[UInt8]] { strings.map { Array($0.utf8) } }

    /// The lines of `output` as bytes, split at line feeds only (a Swift `Character` joins CR and LF).
    static func lines(_ output: String) -> [ArraySlice<UInt8>] {
        Array(output.utf8).split(separator: 0x0A, omittingEmptySubsequences: false).dropLast()
    }

    @Test(arguments: cases)
    func jsonListsTheSegmentsOfALine(_ c: Case) throws {
        let run = try runQuill(["segment", "--unit", c.unit, "--json"], input: c.line + "\n")
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.hasSuffix("\n") && run.output.filter { $0 == "\n" }.count == 1, "\(run.output)")
        let segments = try JSONDecoder().decode([String].self, from: Data(run.output.utf8))
        #expect(Self.bytes(segments) == Self.bytes(c.segments), "\(segments)")
        #expect(Array(segments.joined().utf8) == Array(c.line.utf8))
    }

    /// A file with CRLF line ends, an empty line and a last line without an end: every unit gives
    /// one output line per input line, as a JSON array or joined by the separator, and each
    /// line's segments give it back without its CR.
    @Test(arguments: ["grapheme", "word", "sentence"])
    func segmentsJoinToGiveEachLineBack(unit: String) throws {
        let lines = ["Hello, world!  Ça va? 中文分词", "cafe\u{301} 👩‍👩‍👧 🇫🇷. Fine.  ", "", "last line"]
        let scratch = try ScratchDirectory("quill-segment")
        let file = try scratch.write(lines.joined(separator: "\r\n"), to: "lines.txt")

        let json = try runQuill(["segment", "--unit", unit, "--json", file])
        #expect(json.status == 0, "\(json.error)")
        let arrays = try Self.lines(json.output).map { try JSONDecoder().decode([String].self, from: Data($0)) }
        #expect(arrays.count == lines.count, "\(json.output)")
        for (segments, line) in zip(arrays, lines) {
            #expect(Array(segments.joined().utf8) == Array(line.utf8), "\(segments)")
            #expect(!segments.contains(""), "an empty segment in \(segments)")
        }

        let separator = "\u{1F}"  // the unit separator, which the text does not contain
        let plain = try runQuill(["segment", "--unit", unit, "--separator", separator, file])
        #expect(plain.status == 0, "\(plain.error)")
        let joined = Self.lines(plain.output)
        #expect(joined.count == lines.count, "\(plain.output)")
        for (row, segments) in zip(joined, arrays) {
            #expect(Array(row) == Array(segments.joined(separator: separator).utf8))
        }
    }
}
