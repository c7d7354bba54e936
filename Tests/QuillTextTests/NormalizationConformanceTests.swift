import Foundation
import QuillText
import Testing

/// Unicode's own normalization conformance file, every line and every form.
@Suite struct NormalizationConformanceTests {
    static let fileName = "NormalizationTest.txt"

    /// One line: columns c1…c5 as in the file's header.
    struct Line {
        var number: Int
        var columns: [String]
    }

    /// The file's lines and the code points part 1 lists, parsed once for every test case.
    static let parsed: (lines: [Line], partOne: Set<UInt32>) = {
        var lines: [Line] = []
        var partOne = Set<UInt32>()
        var part: [UInt8] = []
        for (number, fields) in (try? UnicodeTestData.dataLines(of: fileName, semicolons: true)) ?? [] {
            if fields[0].first == UInt8(ascii: "@") {
                part = fields[0].filter { $0 != 0x20 }
                continue
            }
            let columns = fields.prefix(5).map(UnicodeTestData.string(fromHex:))
            if part == Array("@Part1".utf8) { partOne.insert(columns[0].unicodeScalars.first!.value) }
            lines.append(Line(number: number, columns: columns))
        }
        return (lines, partOne)
    }()

    /// Which column each column must become under `form`, per the file's conformance rules.
    static func expectations(_ form: NormalizationForm) -> [Int] {
        switch form {
        case .nfc: [1, 1, 1, 3, 3]
        case .nfd: [2, 2, 2, 4, 4]
        case .nfkc: [3, 3, 3, 3, 3]
        case .nfkd: [4, 4, 4, 4, 4]
        case .none: [0, 1, 2, 3, 4]
        }
    }

    @Test("NormalizationTest.txt, every line", .enabled(if: UnicodeTestData.isAvailable(fileName), "\(UnicodeTestData.missingMessage)"),
          arguments: [NormalizationForm.nfc, .nfd, .nfkc, .nfkd])
    func everyLine(form: NormalizationForm) {
        let lines = Self.parsed.lines
        #expect(lines.count > 19_000)
        let normalizer = Normalizer(Normalization(form: form))
        let targets = Self.expectations(form)
        var failures = 0
        for line in lines {
            for (column, target) in targets.enumerated() {
                let result = normalizer.normalizedString(line.columns[column])
                if result != line.columns[target] {
                    failures += 1
                    if failures <= 5 {
                        Issue.record("line \(line.number): \(form)(c\(column + 1)) = \(hex(result)), expected c\(target + 1) = \(hex(line.columns[target]))")
                    }
                }
            }
        }
        #expect(failures == 0)
    }

    /// Part 1's invariant: every assigned code point it does not list is left alone by every form.
    @Test("Code points not in part 1 are unchanged", .enabled(if: UnicodeTestData.isAvailable(fileName), "\(UnicodeTestData.missingMessage)"),
          arguments: [NormalizationForm.nfc, .nfd, .nfkc, .nfkd])
    func unlistedCodePointsUnchanged(form: NormalizationForm) {
        let text = Self.unlistedText
        let normalized = Normalizer(Normalization(form: form)).normalizedString(text)
        guard normalized != text else { return }
        let changed = zip(text.split(separator: "\n"), normalized.split(separator: "\n")).first { $0 != $1 }
        Issue.record("\(form) changed \(changed.map { hex(String($0.0)) } ?? "the text's length")")
    }

    /// Every code point assigned in Unicode 15.0 that part 1 does not list, each on its own line
    /// (a line feed is a starter that composes with nothing, so it keeps neighbours apart).
    static let unlistedText: String = {
        var bytes: [UInt8] = []
        for value in UInt32(0)...0x10FFFF where !parsed.partOne.contains(value) {
            guard let scalar = Unicode.Scalar(value), let age = scalar.properties.age, age.major < 15 || (age.major == 15 && age.minor == 0)
            else { continue }
            bytes.append(contentsOf: String(scalar).utf8)
            bytes.append(0x0A)
        }
        return String(decoding: bytes, as: UTF8.self)
    }()

    private func hex(_ text: String) -> String {
        text.unicodeScalars.map { String(format: "%04X", $0.value) }.joined(separator: " ")
    }
}
