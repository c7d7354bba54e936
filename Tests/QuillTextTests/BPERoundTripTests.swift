import Testing
@testable import QuillText

/// A small seeded generator (SplitMix64), so random cases are the same on every run.
struct BPESeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random valid UTF-8 string of up to `length` scalars, biased toward the pre-split's edge cases.
func randomText(length: Int, using generator: inout BPESeededGenerator) -> String {
    let pool: [Unicode.Scalar] = Array("abc XYZ'stredvl 0123 .,!?\n\r\t\u{3000}\u{A0}中文語ع\u{301}\u{FE0F}\u{200D}👍🏽".unicodeScalars)
    var scalars = String.UnicodeScalarView()
    for _ in 0..<Int.random(in: 0...length, using: &generator) {
        if Bool.random(using: &generator) {
            scalars.append(pool.randomElement(using: &generator)!)
        } else {
            // Any scalar: pick a plane-weighted value and skip surrogates.
            let limit: UInt32 = [0x80, 0x800, 0x10000, 0x110000].randomElement(using: &generator)!
            var value = UInt32.random(in: 0..<limit, using: &generator)
            if (0xD800...0xDFFF).contains(value) { value = 0xFFFD }
            scalars.append(Unicode.Scalar(value)!)
        }
    }
    return String(scalars)
}

@Suite struct BPERoundTripTests {
    struct Setup: CustomTestStringConvertible, Sendable {
        let name: String
        let file: String
        var testDescription: String { name }
    }

    static let setups = [
        Setup(name: "Quill rule", file: "quill_trained.tokenizer.json"),
        Setup(name: "GPT-2 rule", file: "hf_trained.tokenizer.json"),
    ]

    @Test(arguments: setups)
    func randomTextRoundTripsWithTilingOffsets(_ setup: Setup) throws {
        let tokenizer = try loadBPETokenizer(from: BPEFixture.path(setup.file))
        var generator = BPESeededGenerator(seed: 2024)
        for _ in 0..<300 {
            let text = randomText(length: 40, using: &generator)
            let bytes = Array(text.utf8)
            let tokens = tokenizer.encodeWithOffsets(text)
            #expect(tokenizer.decode(tokens.map(\.id)) == text, "\(text.debugDescription)")
            var end = 0
            for token in tokens {
                #expect(token.byteRange.lowerBound == end && !token.byteRange.isEmpty)
                #expect(Array(tokenizer.tokenBytes(for: token.id)!) == Array(bytes[token.byteRange]))
                end = token.byteRange.upperBound
            }
            #expect(end == bytes.count)
        }
    }

    @Test(arguments: setups)
    func sampleOffsetsCoverEachTokensBytes(_ setup: Setup) throws {
        let tokenizer = try loadBPETokenizer(from: BPEFixture.path(setup.file))
        let sample = try BPEFixture.text("sample.txt")
        let bytes = Array(sample.utf8)
        let tokens = tokenizer.encodeWithOffsets(sample)
        #expect(tokens.map(\.id) == tokenizer.encode(sample))
        #expect(tokens.flatMap { bytes[$0.byteRange] } == bytes)
        #expect(tokens.allSatisfy { Array(tokenizer.tokenBytes(for: $0.id)!) == Array(bytes[$0.byteRange]) })
    }

    @Test func invalidUTF8BytesRoundTrip() throws {
        let tokenizer = try loadBPETokenizer(from: BPEFixture.path("quill_trained.tokenizer.json"))
        var generator = BPESeededGenerator(seed: 7)
        for _ in 0..<100 {
            let bytes = (0..<Int.random(in: 0...60, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let ids = tokenizer.encode(bytes: bytes)
            #expect(tokenizer.decodedBytes(ids) == bytes)
        }
    }

    @Test func emptyTextHasNoTokens() throws {
        let tokenizer = try loadBPETokenizer(from: BPEFixture.path("quill_trained.tokenizer.json"))
        #expect(tokenizer.encode("").isEmpty)
        #expect(tokenizer.decode([]) == "")
    }

    @Test func tokenSpellingsUseTheByteAlphabet() throws {
        let tokenizer = try loadBPETokenizer(from: BPEFixture.path("quill_trained.tokenizer.json"))
        let space = tokenizer.encode(" ")
        #expect(space.count == 1 && tokenizer.token(for: space[0]) == "Ġ")
        #expect(tokenizer.token(for: 3) == "<eos>")
        #expect(tokenizer.token(for: tokenizer.vocabularySize) == nil)
        #expect(ByteLevelAlphabet.bytes(ofSpelling: ByteLevelAlphabet.spelling(of: 0...255)) == Array(0...255))
    }
}
