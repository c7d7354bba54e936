import Foundation
import QuillText
import Testing

/// The Penn Treebank in Mikolov's form: the standard 10,000-type vocabulary must come out exactly.
@Suite(.enabled(if: SharedCorpora.isAvailable("ptb/ptb.train.txt"), "needs ../shared/corpora/ptb beside the package"))
struct PTBVocabularyTests {
    static let vocabulary: Result<Vocabulary, any Error> = Result {
        var builder = try VocabularyBuilder(settings: .defaults(for: .whitespace))
        try builder.addFile(atPath: SharedCorpora.path("ptb/ptb.train.txt"))
        return try builder.build()
    }

    /// 9,999 word types (`<unk>` among them) plus `<eos>` make PTB's 10,000; Quill's `<unk>` and
    /// `<eos>` are those two, and `<pad>` and `<bos>` are added: 10,002 ids.
    @Test func trainGivesTheStandardVocabulary() throws {
        let vocabulary = try Self.vocabulary.get()
        let statistics = try #require(vocabulary.statistics)
        #expect(statistics.corpusTokens == 887_521)
        #expect(statistics.corpusTypes == 9_999)
        #expect(vocabulary.count == 10_002)
        #expect(vocabulary.id(for: "<unk>") == Vocabulary.unknownID)
        #expect(statistics.unknownTokens == 45_020)
        #expect(vocabulary.token(for: 4) == "the")
        #expect(vocabulary.id(for: "N") != nil)
    }

    @Test(arguments: ["ptb/ptb.valid.txt", "ptb/ptb.test.txt"])
    func validAndTestHaveNoNewUnknowns(file: String) throws {
        let tokenizer = try WhitespaceTokenizer(vocabulary: Self.vocabulary.get())
        let reader = try TextLineReader(path: SharedCorpora.path(file))
        var tokens = 0
        var unknowns = 0
        var literalUnknowns = 0
        while let line = try reader.nextLine() {
            let ids = tokenizer.encode(line)
            tokens += ids.count
            unknowns += ids.filter { $0 == Vocabulary.unknownID }.count
            literalUnknowns += line.split(separator: " ").filter { $0 == "<unk>" }.count
        }
        #expect(tokens > 70_000)
        #expect(unknowns == literalUnknowns)
    }
}
