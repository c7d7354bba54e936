import Foundation
import QuillText
import Testing

/// ``CorpusBLEU`` and ``MTEval13aTokenizer`` against sacreBLEU's `corpus_bleu` with its
/// defaults, on the corpora of `Fixtures/bleu/make_fixture.py`.
@Suite struct CorpusBLEUTests {
    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        let name: String
        let hypotheses: [String]
        let references: [String]
        let hypothesisTokens: [[String]]
        let referenceTokens: [[String]]
        let score: Double
        let matches: [Int]
        let totals: [Int]
        let hypothesisLength: Int
        let referenceLength: Int
        let brevityPenalty: Double
        var testDescription: String { name }
    }

    struct Fixture: Decodable {
        let cases: [Case]
    }

    static let cases: [Case] = {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/bleu/corpus_bleu.json")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try! decoder.decode(Fixture.self, from: Data(contentsOf: url)).cases
    }()

    /// Whether `a` is within 1e-9 of `b`, relatively (exactly, at 0).
    static func isClose(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(abs(a), abs(b)) }

    @Test func fixtureHasTheCases() {
        #expect(Self.cases.count >= 12)
    }

    /// Compares scalar by scalar: Swift's `==` on strings would accept canonically equivalent tokens.
    @Test(arguments: cases)
    func tokenizesAsSacreBLEU(_ testCase: Case) {
        let lines = testCase.hypotheses + testCase.references
        let expected = testCase.hypothesisTokens + testCase.referenceTokens
        for (line, tokens) in zip(lines, expected) {
            let ours = MTEval13aTokenizer.tokens(of: line)
            #expect(ours.map { Array($0.unicodeScalars) } == tokens.map { Array($0.unicodeScalars) },
                    "\(line.debugDescription): \(ours) != \(tokens)")
        }
    }

    @Test(arguments: cases)
    func scoresAsSacreBLEU(_ testCase: Case) {
        let bleu = CorpusBLEU(hypotheses: testCase.hypotheses, references: testCase.references)
        #expect(bleu.matches == testCase.matches)
        #expect(bleu.totals == testCase.totals)
        #expect(bleu.hypothesisLength == testCase.hypothesisLength)
        #expect(bleu.referenceLength == testCase.referenceLength)
        #expect(Self.isClose(bleu.brevityPenalty, testCase.brevityPenalty), "BP \(bleu.brevityPenalty) != \(testCase.brevityPenalty)")
        #expect(Self.isClose(bleu.score, testCase.score), "BLEU \(bleu.score) != \(testCase.score)")
    }
}
