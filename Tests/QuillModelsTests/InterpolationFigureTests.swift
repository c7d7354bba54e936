import Foundation
@testable import QuillModels
import QuillTensor
import QuillText
import Testing

/// The figures of `quill eval --pairs` on hand-made paths, the pairs-file parser, the fluency
/// percentile, and the library call against `interpolate` on a tiny model.
@Suite struct InterpolationFigureTests {
    struct DistanceCase: CustomTestStringConvertible, Sendable {
        let name: String
        let a: [Int], b: [Int]
        let distance: Int
        var testDescription: String { name }
    }

    static let distances = [
        DistanceCase(name: "equal", a: [1, 2, 3], b: [1, 2, 3], distance: 0),
        DistanceCase(name: "both empty", a: [], b: [], distance: 0),
        DistanceCase(name: "from empty", a: [], b: [4, 5], distance: 2),
        DistanceCase(name: "to empty", a: [4, 5, 6], b: [], distance: 3),
        DistanceCase(name: "one substitution", a: [1, 2, 3], b: [1, 9, 3], distance: 1),
        DistanceCase(name: "one insertion", a: [1, 3], b: [1, 2, 3], distance: 1),
        DistanceCase(name: "one deletion", a: [1, 2, 3], b: [2, 3], distance: 1),
        DistanceCase(name: "swap costs two", a: [1, 2], b: [2, 1], distance: 2),
        DistanceCase(name: "kitten to sitting", a: [10, 8, 19, 19, 4, 13], b: [18, 8, 19, 19, 8, 13, 6], distance: 3),
    ]

    @Test(arguments: distances)
    func editDistanceCountsTokenEdits(_ testCase: DistanceCase) {
        #expect(editDistance(testCase.a, testCase.b) == testCase.distance)
        #expect(editDistance(testCase.b, testCase.a) == testCase.distance)
    }

    struct PathCase: CustomTestStringConvertible, Sendable {
        let name: String
        let points: [[Int]]
        let exactEndpoints: Int
        let distinct: Int
        let isMonotone: Bool
        var testDescription: String { name }
    }

    /// Paths from A = [1, 2, 3] to B = [7, 8].
    static let paths = [
        PathCase(name: "word by word", points: [[1, 2, 3], [7, 2, 3], [7, 8, 3], [7, 8]],
                 exactEndpoints: 2, distinct: 4, isMonotone: true),
        PathCase(name: "stays at A then jumps", points: [[1, 2, 3], [1, 2, 3], [1, 2, 3], [7, 8]],
                 exactEndpoints: 2, distinct: 2, isMonotone: true),
        PathCase(name: "turns back toward A", points: [[1, 2, 3], [7, 2, 3], [1, 2, 3], [7, 8]],
                 exactEndpoints: 2, distinct: 3, isMonotone: false),
        PathCase(name: "detour away from B", points: [[1, 2, 3], [1, 2, 3, 5, 5, 5], [7, 8]],
                 exactEndpoints: 2, distinct: 3, isMonotone: false),
        PathCase(name: "one sentence throughout", points: [[4], [4], [4]], exactEndpoints: 0, distinct: 1, isMonotone: true),
        PathCase(name: "wrong start only", points: [[1, 2], [7, 8]], exactEndpoints: 1, distinct: 2, isMonotone: true),
        PathCase(name: "empty sentences count as sentences", points: [[1, 2, 3], [], [7, 8]],
                 exactEndpoints: 2, distinct: 3, isMonotone: true),
    ]

    @Test(arguments: paths)
    func pathFigures(_ testCase: PathCase) {
        let path = InterpolationPath(start: [1, 2, 3], end: [7, 8], points: testCase.points)
        #expect(path.exactEndpoints == testCase.exactEndpoints)
        #expect(path.distinctSentenceCount == testCase.distinct)
        #expect(path.isMonotone == testCase.isMonotone)
        #expect(path.intermediatePoints.count == testCase.points.count - 2)
    }

    struct LineCase: CustomTestStringConvertible, Sendable {
        let name: String
        let line: String
        let pair: SentencePair?
        let problem: String?
        var testDescription: String { name }
    }

    static let lines = [
        LineCase(name: "two sentences", line: "the cat sat\ta dog ran", pair: SentencePair(first: "the cat sat", second: "a dog ran"),
                 problem: nil),
        LineCase(name: "no tab", line: "the cat sat a dog ran", pair: nil, problem: "the line has 0 tabs, not 1"),
        LineCase(name: "two tabs", line: "a\tb\tc", pair: nil, problem: "the line has 2 tabs, not 1"),
        LineCase(name: "empty line", line: "", pair: nil, problem: "the line has 0 tabs, not 1"),
        LineCase(name: "blank first", line: "  \ta dog", pair: nil, problem: "the line has no sentence before its tab"),
        LineCase(name: "nothing after", line: "a dog\t", pair: nil, problem: "the line has no sentence after its tab"),
    ]

    @Test(arguments: lines)
    func pairLines(_ testCase: LineCase) {
        do {
            let pair = try SentencePair.parse(testCase.line, number: 7, path: "pairs.tsv")
            #expect(pair == testCase.pair)
        } catch {
            #expect(error as? SentenceModelError == .malformedPair(path: "pairs.tsv", line: 7, problem: testCase.problem ?? ""))
            #expect(error.localizedDescription.hasPrefix("pairs.tsv:7: "))
        }
    }

    @Test func percentileInterpolatesBetweenRanks() {
        #expect(percentile([3], 0.9) == 3)
        #expect(abs(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) - 9.1) < 1e-12)
        #expect(percentile([10, 0, 5], 0.5) == 5)
        #expect(percentile([2, 4], 1) == 4)
    }

    /// The library call decodes exactly the sentences `quill interpolate` prints, and its figures
    /// stay in range; the sentence LM as the fluency reference adds `fluent_share`.
    @Test(arguments: [SamplingOptions.Decoding.greedy, .beam])
    func figuresFollowInterpolate(decoding: SamplingOptions.Decoding) throws {
        let model = VAETestSupport.model(.vae, VAETestSupport.configuration()) as! any LatentSentenceModel
        let pairs = [SentencePair(first: "w4 w7 w5 w12", second: "w6 w4 w11"), SentencePair(first: "w9", second: "w4 w7")]
        var options = InterpolationOptions()
        options.steps = 3
        options.decoding = decoding
        let paths = try model.interpolationPaths(pairs, options: options)
        var sampling = SamplingOptions()
        sampling.decoding = decoding
        var generator = RandomGenerator(seed: 0)
        for (pair, path) in zip(pairs, paths) {
            let printed = try model.interpolate(from: pair.first, to: pair.second, steps: 3, spherical: false,
                                                options: sampling, generator: &generator)
            #expect(printed.map(\.sentence) == path.points.map { model.tokenizer.decode($0) })
        }
        let lm = VAETestSupport.model(.lm, VAETestSupport.configuration(latentSize: 0, levels: 0)) as! SentenceLM
        let reference = try FluencyReference(scorer: lm, sentences: ["w4 w5", "w6 w7 w8", "w9", "w10 w11 w12 w4"])
        let figures = try model.interpolationFigures(pairs: pairs, options: options, reference: reference)
        #expect(figures["pairs"] == 2 && figures["interpolation_steps"] == 3 && figures["interpolation_slerp"] == 0)
        for key in ["endpoint_exact", "monotone_share", "fluent_share"] {
            #expect((0...1).contains(figures[key] ?? -1), "\(key) = \(String(describing: figures[key]))")
        }
        #expect((1...4).contains(figures["distinct_steps"] ?? 0))
        #expect(figures["fluency_threshold"] == reference.threshold)
    }

    @Test func sentenceLMScoresMatchItsEvaluation() {
        let lm = VAETestSupport.model(.lm, VAETestSupport.configuration(latentSize: 0, levels: 0)) as! SentenceLM
        let scores = lm.scores(of: ["w4 w7 w5 w12", "w9", ""])
        #expect(scores.map(\.tokens) == [5, 2, 1])
        let exact = lm.evaluate(sentences: [[4, 7, 5, 12], [9]])
        #expect(abs((scores[0].nll + scores[1].nll) / 2 - exact["nll"]!) < 1e-9)
    }
}
