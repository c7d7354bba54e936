import QuillText
import Testing

/// Unicode's segmentation conformance files (UAX #29), every line, against ICU through `Segmenter`.
@Suite struct SegmentationConformanceTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var unit: SegmentationUnit
        var fileName: String
        var testDescription: String { fileName }
    }

    static let cases = [
        Case(unit: .grapheme, fileName: "GraphemeBreakTest.txt"),
        Case(unit: .word, fileName: "WordBreakTest.txt"),
        Case(unit: .sentence, fileName: "SentenceBreakTest.txt"),
    ]

    static var allFilesAvailable: Bool { cases.allSatisfy { UnicodeTestData.isAvailable($0.fileName) } }

    @Test("Every line agrees", .enabled(if: allFilesAvailable, "\(UnicodeTestData.missingMessage)"), arguments: cases)
    func everyLine(_ testCase: Case) throws {
        let segmenter = try Segmenter(unit: testCase.unit)
        let lines = try UnicodeTestData.dataLines(of: testCase.fileName)
        #expect(lines.count > 500)
        var failures = 0
        let boundary = Array("÷".utf8)
        let noBoundary = Array("×".utf8)
        for (number, fields) in lines {
            // "÷ 0020 × 0308 ÷": ÷ marks a boundary, × its absence, between hexadecimal code points.
            var text = ""
            var expected: [Int] = []
            for field in fields {
                if field == boundary {
                    if !text.isEmpty { expected.append(text.utf8.count) }
                } else if field != noBoundary {
                    text += UnicodeTestData.string(fromHex: field)
                }
            }
            let found = segmenter.byteRanges(in: text).map(\.upperBound)
            if found != expected {
                failures += 1
                let line = fields.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
                if failures <= 5 { Issue.record("\(testCase.fileName) line \(number): \(line) gave ends \(found), expected \(expected)") }
            }
        }
        #expect(failures == 0)
    }
}
