extension SafeTensors {
    /// Parses and checks a JSON header against the safetensors schema.
    ///
    /// A small hand parser rather than Foundation's: it reads the bytes once, bounds nesting,
    /// rejects duplicate keys, and reports the byte offset of the first problem.
    static func parseHeader(_ bytes: [UInt8], path: String) throws -> Header {
        func invalid(_ problem: String) -> CheckpointError { .invalidHeader(path: path, problem: problem) }
        var parser = JSONParser(bytes: bytes)
        let root: JSONValue
        do { root = try parser.parseDocument() } catch let error as JSONParser.SyntaxError {
            throw invalid(error.message)
        }
        guard case .object(let members) = root else { throw invalid("the header is not a JSON object") }
        var header = Header()
        var seen = Set<String>()
        for (key, value) in members {
            guard seen.insert(key).inserted else { throw invalid("key \"\(key)\" appears twice") }
            guard case .object(let fields) = value else { throw invalid("the value of \"\(key)\" is not an object") }
            if key == metadataKey {
                for (name, item) in fields {
                    guard case .string(let text) = item else { throw invalid("metadata \"\(name)\" is not a string") }
                    guard header.metadata.updateValue(text, forKey: name) == nil else {
                        throw invalid("metadata key \"\(name)\" appears twice")
                    }
                }
                continue
            }
            var dataType: String?, shape: [Int]?, offsets: [Int]?
            var fieldNames = Set<String>()
            for (field, item) in fields {
                guard fieldNames.insert(field).inserted else { throw invalid("tensor \"\(key)\" repeats \"\(field)\"") }
                switch field {
                case "dtype":
                    guard case .string(let text) = item else { throw invalid("tensor \"\(key)\" has a non-string dtype") }
                    dataType = text
                case "shape":
                    shape = item.naturalNumbers
                    if shape == nil { throw invalid("tensor \"\(key)\" has a shape that is not a list of non-negative integers") }
                case "data_offsets":
                    offsets = item.naturalNumbers
                    if offsets?.count != 2 { throw invalid("tensor \"\(key)\" has data_offsets that are not two non-negative integers") }
                default:
                    continue  // the reference reader ignores unknown fields too
                }
            }
            guard let dataType, let shape, let offsets else {
                throw invalid("tensor \"\(key)\" lacks one of dtype, shape and data_offsets")
            }
            header.entries.append(Entry(name: key, dataType: dataType, shape: shape, begin: offsets[0], end: offsets[1]))
        }
        return header
    }
}

extension SafeTensors {
    /// A parsed JSON value; objects keep their members in order, duplicates included.
    enum JSONValue {
        case object([(key: String, value: JSONValue)])
        case array([JSONValue])
        case string(String)
        /// An integer literal that fits in `Int`.
        case integer(Int)
        /// Any other number: a fraction, an exponent, or an integer too large for `Int`.
        case otherNumber
        case bool(Bool)
        case null

        /// The elements of an array of non-negative integers, or nil.
        var naturalNumbers: [Int]? {
            guard case .array(let items) = self else { return nil }
            var result: [Int] = []
            result.reserveCapacity(items.count)
            for item in items {
                guard case .integer(let value) = item, value >= 0 else { return nil }
                result.append(value)
            }
            return result
        }
    }

    /// A strict RFC 8259 parser over UTF-8 bytes, with nesting bounded by `maxDepth`.
    struct JSONParser {
        /// A syntax error and the byte offset where it was found.
        struct SyntaxError: Error { let message: String }

        let bytes: [UInt8]
        var position = 0
        let maxDepth = 32

        init(bytes: [UInt8]) { self.bytes = bytes }

        /// Parses one value surrounded by optional whitespace, and nothing else.
        mutating func parseDocument() throws -> JSONValue {
            let value = try parseValue(depth: 0)
            skipWhitespace()
            guard position == bytes.count else { throw error("unexpected text after the JSON object") }
            return value
        }

        private func error(_ problem: String) -> SyntaxError {
            SyntaxError(message: "\(problem) at byte \(position) of the header")
        }

        private mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x09, 0x0A, 0x0D: position += 1
                default: return
                }
            }
        }

        private mutating func expect(_ byte: UInt8, _ what: String) throws {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == byte else { throw error("expected \(what)") }
            position += 1
        }

        private mutating func parseValue(depth: Int) throws -> JSONValue {
            guard depth < maxDepth else { throw error("JSON nested deeper than \(maxDepth) levels") }
            skipWhitespace()
            guard position < bytes.count else { throw error("unexpected end of JSON") }
            switch bytes[position] {
            case UInt8(ascii: "{"):
                position += 1
                var members: [(key: String, value: JSONValue)] = []
                skipWhitespace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
                repeat {
                    skipWhitespace()
                    guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw error("expected a string key") }
                    let key = try parseString()
                    try expect(UInt8(ascii: ":"), "':'")
                    members.append((key, try parseValue(depth: depth + 1)))
                    skipWhitespace()
                } while try consumeSeparator(closing: UInt8(ascii: "}"))
                return .object(members)
            case UInt8(ascii: "["):
                position += 1
                var items: [JSONValue] = []
                skipWhitespace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
                repeat {
                    items.append(try parseValue(depth: depth + 1))
                    skipWhitespace()
                } while try consumeSeparator(closing: UInt8(ascii: "]"))
                return .array(items)
            case UInt8(ascii: "\""):
                return .string(try parseString())
            case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
            case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
            case UInt8(ascii: "n"): try parseLiteral("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return try parseNumber()
            default:
                throw error("unexpected character")
            }
        }

        /// Consumes `,` (returns true) or `closing` (returns false).
        private mutating func consumeSeparator(closing: UInt8) throws -> Bool {
            guard position < bytes.count else { throw error("unexpected end of JSON") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; return true }
            if bytes[position] == closing { position += 1; return false }
            throw error("expected ',' or '\(Character(Unicode.Scalar(closing)))'")
        }

        private mutating func parseLiteral(_ word: String) throws {
            for byte in word.utf8 {
                guard position < bytes.count, bytes[position] == byte else { throw error("invalid literal") }
                position += 1
            }
        }

        private mutating func parseNumber() throws -> JSONValue {
            func digits() -> Int {
                let start = position
                while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
                return position - start
            }
            let negative = bytes[position] == UInt8(ascii: "-")
            if negative { position += 1 }
            let integerStart = position
            let integerDigits = digits()
            guard integerDigits > 0 else { throw error("invalid number") }
            guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { throw error("number with a leading zero") }
            var isInteger = true
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard digits() > 0 else { throw error("invalid number") }
                isInteger = false
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
                guard digits() > 0 else { throw error("invalid number") }
                isInteger = false
            }
            guard isInteger else { return .otherNumber }
            var value = 0
            for byte in bytes[integerStart..<integerStart + integerDigits] {
                let (scaled, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = scaled.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
                if o1 || o2 { return .otherNumber }
                value = next
            }
            return .integer(negative ? -value : value)
        }

        /// Parses a string starting at its opening quote, decoding escapes and checking UTF-8.
        private mutating func parseString() throws -> String {
            position += 1
            var utf8: [UInt8] = []
            while true {
                guard position < bytes.count else { throw error("unterminated string") }
                let byte = bytes[position]
                position += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let text = String(validating: utf8, as: UTF8.self) else { throw error("string is not valid UTF-8") }
                    return text
                case 0..<0x20:
                    throw error("control character in a string")
                case UInt8(ascii: "\\"):
                    guard position < bytes.count else { throw error("unterminated string") }
                    let escape = bytes[position]
                    position += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                    case UInt8(ascii: "b"): utf8.append(0x08)
                    case UInt8(ascii: "f"): utf8.append(0x0C)
                    case UInt8(ascii: "n"): utf8.append(0x0A)
                    case UInt8(ascii: "r"): utf8.append(0x0D)
                    case UInt8(ascii: "t"): utf8.append(0x09)
                    case UInt8(ascii: "u"): utf8.append(contentsOf: try parseUnicodeEscape())
                    default: throw error("invalid escape in a string")
                    }
                default:
                    utf8.append(byte)
                }
            }
        }

        /// Decodes the `XXXX` after `\u`, joining a surrogate pair; returns the scalar's UTF-8.
        private mutating func parseUnicodeEscape() throws -> [UInt8] {
            func hexQuad() throws -> UInt32 {
                guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
                var value: UInt32 = 0
                for byte in bytes[position..<position + 4] {
                    guard let digit = Character(Unicode.Scalar(byte)).hexDigitValue else { throw error("invalid \\u escape") }
                    value = value << 4 | UInt32(digit)
                }
                position += 4
                return value
            }
            var code = try hexQuad()
            if (0xD800..<0xDC00).contains(code) {
                guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u")
                else { throw error("unpaired surrogate in \\u escape") }
                position += 2
                let low = try hexQuad()
                guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in \\u escape") }
                code = 0x10000 + (code - 0xD800) << 10 + (low - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(code) else { throw error("unpaired surrogate in \\u escape") }
            return Array(String(Character(scalar)).utf8)
        }
    }
}
