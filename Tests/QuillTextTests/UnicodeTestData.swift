import Foundation

/// Finds and parses the Unicode Character Database test files that Debian's unicode-data installs
/// under /usr/share/unicode (Unicode 15.0, the version of utf8proc 2.8 and ICU 72).
enum UnicodeTestData {
    static let directory = "/usr/share/unicode"
    static let missingMessage = "needs /usr/share/unicode from the unicode-data package (apt-get install unicode-data)"

    /// The path of `name` in the data directory or its `auxiliary` folder, plain or bzip2-compressed.
    static func path(of name: String) -> String? {
        for folder in [directory + "/auxiliary", directory] {
            for candidate in [folder + "/" + name, folder + "/" + name + ".bz2"]
            where FileManager.default.isReadableFile(atPath: candidate) {
                if candidate.hasSuffix(".bz2") && bzcat == nil { continue }
                return candidate
            }
        }
        return nil
    }

    /// Whether `name` can be read.
    static func isAvailable(_ name: String) -> Bool { path(of: name) != nil }

    private static var bzcat: String? {
        ["/usr/bin/bzcat", "/bin/bzcat"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The bytes of `name`, decompressed with bzcat if it is stored compressed.
    static func contents(of name: String) throws -> [UInt8] {
        guard let path = path(of: name) else { throw CocoaError(.fileNoSuchFile) }
        guard path.hasSuffix(".bz2"), let bzcat else { return try Array(Data(contentsOf: URL(fileURLWithPath: path))) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bzcat)
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Array(data)
    }

    /// The data lines of `name` with their line numbers: text after `#` removed, blank lines skipped,
    /// each line split into fields at spaces and tabs (and at `;` when `semicolons`).
    static func dataLines(of name: String, semicolons: Bool = false) throws -> [(number: Int, fields: [[UInt8]])] {
        var lines: [(number: Int, fields: [[UInt8]])] = []
        var number = 1
        var fields: [[UInt8]] = []
        var field: [UInt8] = []
        var inComment = false
        func endField() {
            if field.contains(where: { $0 != 0x20 }) { fields.append(field) }
            field = []
        }
        for byte in try contents(of: name) {
            switch byte {
            case 0x0A:
                endField()
                if !fields.isEmpty { lines.append((number, fields)) }
                fields = []
                inComment = false
                number += 1
            case _ where inComment: continue
            case UInt8(ascii: "#"): inComment = true
            case UInt8(ascii: ";") where semicolons:
                fields.append(field)
                field = []
            case 0x20, 0x09:
                if !semicolons { endField() } else { field.append(byte) }
            default: field.append(byte)
            }
        }
        return lines
    }

    /// The string of space-separated hexadecimal code points, such as "0044 0307".
    static func string(fromHex field: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        var value: UInt32 = 0
        var digits = 0
        for byte in field + [0x20] {
            if let digit = hexDigit(byte) {
                value = value << 4 | digit
                digits += 1
            } else if digits > 0 {
                scalars.append(Unicode.Scalar(value)!)
                value = 0
                digits = 0
            }
        }
        return String(scalars)
    }

    /// The value of one hexadecimal digit, or nil.
    static func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        default: nil
        }
    }
}

/// Where the shared corpora live for developers and CI: `../shared/corpora` beside the package.
enum SharedCorpora {
    static var directory: String {
        let thisFile = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        let packageRoot = thisFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/corpora").path
    }

    static func path(_ relative: String) -> String { directory + "/" + relative }

    static func isAvailable(_ relative: String) -> Bool { FileManager.default.isReadableFile(atPath: path(relative)) }
}
