import Foundation
import QuillText
import Testing

@Suite struct VocabularyFileTests {
    static func sample(_ settings: TokenizerSettings = .defaults(for: .word)) throws -> Vocabulary {
        var builder = try VocabularyBuilder(settings: settings)
        builder.add("Hello, \"quoted\" world!\n\tTabs\\slashes and ünïcödé 👍🏽\r\n")
        return try builder.build()
    }

    @Test func jsonRoundTripKeepsTokensCountsSettingsAndStatistics() throws {
        let vocabulary = try Self.sample(TokenizerSettings(kind: .word, normalization: .init(form: .nfkc, caseMapping: .fold, whitespace: .collapse)))
        let file = try TemporaryFile([], name: "unused")
        let path = file.sibling("vocab.json")
        try vocabulary.save(to: path)
        let loaded = try Vocabulary.load(from: path)
        #expect(loaded.tokens == vocabulary.tokens)
        #expect(loaded.counts == vocabulary.counts)
        #expect(loaded.settings == vocabulary.settings)
        #expect(loaded.statistics == vocabulary.statistics)
        #expect(loaded.source == path)
    }

    @Test func fileIsReadableJSONWithOneTokenPerLine() throws {
        let text = String(decoding: try Self.sample().jsonBytes(), as: UTF8.self)
        #expect(text.contains("\"tokenizer\": \"word\""))
        #expect(text.contains("\"normalization\": {\"case\":\"none\",\"form\":\"nfc\",\"whitespace\":\"keep\"}"))
        #expect(text.contains("    {\"id\": 1, \"token\": \"<unk>\", \"count\": 0},\n"))
        #expect(text.contains("\"unknown_share\":0"))
        _ = try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    struct MalformedCase: CustomTestStringConvertible, Sendable {
        var name: String
        var json: String
        var reason: String
        var testDescription: String { name }
    }

    static let header = #""format": "quill-vocabulary", "version": 1, "tokenizer": "word", "normalization": {"form": "nfc", "case": "none", "whitespace": "keep"}"#
    static let specials = #"{"id": 0, "token": "<pad>", "count": 0}, {"id": 1, "token": "<unk>", "count": 0}, {"id": 2, "token": "<bos>", "count": 0}, {"id": 3, "token": "<eos>", "count": 0}"#

    static let malformed = [
        MalformedCase(name: "not JSON", json: "hello", reason: "not valid JSON"),
        MalformedCase(name: "wrong format", json: #"{"format": "x", "version": 1, "tokenizer": "word", "normalization": {"form": "nfc", "case": "none", "whitespace": "keep"}, "tokens": []}"#,
                      reason: "format is \"x\""),
        MalformedCase(name: "unknown normalization", json: #"{"format": "quill-vocabulary", "version": 1, "tokenizer": "word", "normalization": {"form": "nfx", "case": "none", "whitespace": "keep"}, "tokens": []}"#,
                      reason: "normalization.form"),
        MalformedCase(name: "specials out of place", json: "{\(header), \"tokens\": [{\"id\": 0, \"token\": \"a\", \"count\": 1}]}", reason: "id 0 must be <pad>"),
        MalformedCase(name: "ids skip", json: "{\(header), \"tokens\": [\(specials), {\"id\": 5, \"token\": \"a\", \"count\": 1}]}", reason: "entry 4 has id 5"),
        MalformedCase(name: "duplicate token", json: "{\(header), \"tokens\": [\(specials), {\"id\": 4, \"token\": \"a\", \"count\": 1}, {\"id\": 5, \"token\": \"a\", \"count\": 1}]}",
                      reason: "appears twice"),
        MalformedCase(name: "future version", json: #"{"format": "quill-vocabulary", "version": 9, "tokenizer": "word", "normalization": {"form": "nfc", "case": "none", "whitespace": "keep"}, "tokens": []}"#,
                      reason: "version 9"),
    ]

    @Test(arguments: malformed)
    func malformedFilesAreClearErrors(_ testCase: MalformedCase) throws {
        let file = try TemporaryFile(text: testCase.json, name: "vocab.json")
        do {
            _ = try TokenizerFile.load(from: file.path)
            Issue.record("loaded a malformed file")
        } catch let error as TokenizerError {
            let message = error.errorDescription ?? ""
            #expect(message.contains(file.path))
            #expect(message.contains(testCase.reason), "\(message)")
        }
    }

    @Test func unknownTokenizerKindIsNamed() throws {
        let file = try TemporaryFile(text: #"{"tokenizer": "sentencepiece"}"#)
        #expect(throws: TokenizerError.unsupportedTokenizer(path: file.path, found: "sentencepiece")) { try TokenizerFile.load(from: file.path) }
    }

    @Test func unreadableVocabularyFilesAreClearErrors() throws {
        let file = try TemporaryFile([0xFF, 0xFE, 0x00, 0x01], name: "vocab.json")
        #expect(throws: TokenizerError.self) { try TokenizerFile.load(from: file.path) }
        #expect(throws: TokenizerError.fileNotFound(path: file.sibling("none.json"))) { try TokenizerFile.load(from: file.sibling("none.json")) }
        #expect(throws: TokenizerError.unreadableFile(path: file.directory.path, reason: "it is a directory")) {
            try TokenizerFile.load(from: file.directory.path)
        }
    }

    struct CompatibilityCase: CustomTestStringConvertible, Sendable {
        var name: String
        var expected: TokenizerSettings
        var setting: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        CompatibilityCase(name: "kind", expected: .defaults(for: .character), setting: "tokenizer"),
        CompatibilityCase(name: "form", expected: TokenizerSettings(kind: .word, normalization: .init(form: .nfkc)), setting: "normalization form"),
        CompatibilityCase(name: "case", expected: TokenizerSettings(kind: .word, normalization: .init(caseMapping: .lowercase)), setting: "case mapping"),
        CompatibilityCase(name: "whitespace", expected: TokenizerSettings(kind: .word, normalization: .init(whitespace: .collapse)), setting: "whitespace cleanup"),
    ])
    func incompatibleSettingsAreNamed(_ testCase: CompatibilityCase) throws {
        let vocabulary = try Self.sample()
        #expect(throws: Never.self) { try vocabulary.checkCompatible(with: .defaults(for: .word)) }
        do {
            try vocabulary.checkCompatible(with: testCase.expected)
            Issue.record("accepted different settings")
        } catch {
            guard case .incompatibleVocabulary(_, let setting, _, _) = error else { throw error }
            #expect(setting == testCase.setting)
            #expect(error.errorDescription?.contains("\(testCase.setting) is") == true)
        }
    }

    @Test func differentTokensAreNamedByID() throws {
        let one = try Vocabulary(settings: .defaults(for: .word), tokens: ["a", "b"])
        let two = try Vocabulary(settings: .defaults(for: .word), tokens: ["a", "c"])
        let three = try Vocabulary(settings: .defaults(for: .word), tokens: ["a"])
        #expect(throws: TokenizerError.incompatibleVocabulary(path: "<memory>", setting: "token 5", expected: "\"c\"", found: "\"b\"")) {
            try one.checkCompatible(with: two)
        }
        #expect(throws: TokenizerError.incompatibleVocabulary(path: "<memory>", setting: "vocabulary size", expected: "6", found: "5")) {
            try three.checkCompatible(with: two)
        }
    }
}
