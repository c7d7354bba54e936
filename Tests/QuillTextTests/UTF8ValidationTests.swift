import QuillText
import Testing

@Suite struct UTF8ValidationTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var bytes: [UInt8]
        var firstInvalid: Int?
        var testDescription: String { name }
    }

    static let cases = [
        Case(name: "ASCII", bytes: Array("hello world, long enough for words".utf8), firstInvalid: nil),
        Case(name: "two- to four-byte sequences", bytes: Array("é中😀".utf8), firstInvalid: nil),
        Case(name: "lone continuation byte", bytes: [0x61, 0x62, 0x80, 0x63], firstInvalid: 2),
        Case(name: "overlong slash", bytes: [0x61, 0xC0, 0xAF], firstInvalid: 1),
        Case(name: "overlong three-byte", bytes: [0xE0, 0x80, 0xAF], firstInvalid: 0),
        Case(name: "surrogate U+D800", bytes: [0x61, 0xED, 0xA0, 0x80], firstInvalid: 1),
        Case(name: "above U+10FFFF", bytes: [0xF4, 0x90, 0x80, 0x80], firstInvalid: 0),
        Case(name: "truncated at the end", bytes: Array("abcdefghij".utf8) + [0xE4, 0xB8], firstInvalid: 10),
        Case(name: "Latin-1 after ASCII words", bytes: Array("caf".utf8) + [0xE9] + Array(" au lait".utf8), firstInvalid: 3),
        Case(name: "0xFF never appears", bytes: [0xFF], firstInvalid: 0),
    ]

    @Test(arguments: cases)
    func findsFirstInvalidByte(_ testCase: Case) {
        #expect(testCase.bytes.withUnsafeBufferPointer { UTF8Validation.firstInvalidOffset(in: $0) } == testCase.firstInvalid)
        let standard = String(validating: testCase.bytes, as: UTF8.self)
        #expect((standard == nil) == (testCase.firstInvalid != nil))
    }

    @Test func repairReplacesEachBadSequenceWithOneReplacementCharacter() {
        let bytes: [UInt8] = Array("caf".utf8) + [0xE9] + Array(" ok".utf8) + [0xE4, 0xB8]
        #expect(bytes.withUnsafeBufferPointer { UTF8Validation.repairing($0) } == "caf\u{FFFD} ok\u{FFFD}")
    }

    @Test func findsNULBytes() {
        let bytes: [UInt8] = Array("sixteen bytes!!!".utf8) + [0] + [1, 2]
        #expect(bytes.withUnsafeBufferPointer { UTF8Validation.firstNUL(in: $0) } == 16)
        #expect(Array("no nul here at all".utf8).withUnsafeBufferPointer { UTF8Validation.firstNUL(in: $0) } == nil)
    }
}
