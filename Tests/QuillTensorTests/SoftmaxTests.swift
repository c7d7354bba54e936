import Testing
import QuillTensor
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SoftmaxTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let shape: [Int]
        let transposed: Bool
        let op: @Sendable (Tensor) -> Tensor
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "softmax short rows", shape: [3, 5], transposed: false) { $0.softmax() },
        Case(name: "softmax vector plus tail", shape: [2, 2, 11], transposed: false) { $0.softmax() },
        Case(name: "softmax transposed view", shape: [4, 3], transposed: true) { $0.softmax() },
        Case(name: "log-softmax short rows", shape: [3, 5], transposed: false) { $0.logSoftmax() },
        Case(name: "log-softmax vector plus tail", shape: [2, 2, 11], transposed: false) { $0.logSoftmax() },
        Case(name: "log-softmax transposed view", shape: [4, 3], transposed: true) { $0.logSoftmax() },
    ]

    @Test(arguments: cases)
    func gradientMatchesFiniteDifferences(_ c: Case) {
        var generator = RandomGenerator(seed: 3)
        var input = Tensor.uniform(c.shape, low: -2, high: 2, using: &generator)
        if c.transposed {
            input = Tensor(storage: input.storage, shape: [c.shape[1], c.shape[0]], strides: [1, c.shape[1]])
        }
        let result = checkGradients([input]) { c.op($0[0]) }
        #expect(result.passed, "\(result)")
    }

    struct ValueCase: CustomTestStringConvertible, Sendable {
        let name: String
        let rows: Int, columns: Int
        let spread: Float
        var testDescription: String { name }
    }

    /// [64, 1000] is large enough to split rows across threads.
    static let valueCases: [ValueCase] = [
        ValueCase(name: "one short row", rows: 1, columns: 3, spread: 1),
        ValueCase(name: "rows with tails", rows: 5, columns: 13, spread: 4),
        ValueCase(name: "large logits", rows: 3, columns: 16, spread: 1000),
        ValueCase(name: "many wide rows", rows: 64, columns: 1000, spread: 8),
    ]

    @Test(arguments: valueCases)
    func valuesMatchDoubleReference(_ c: ValueCase) {
        var generator = RandomGenerator(seed: 21)
        let x = Tensor.uniform([c.rows, c.columns], low: -c.spread, high: c.spread, using: &generator)
        let values = x.toArray()
        var expectedSoftmax = [Float](), expectedLog = [Float]()
        for r in 0..<c.rows {
            let row = values[(r * c.columns)..<((r + 1) * c.columns)].map(Double.init)
            let m = row.max()!
            let lse = m + Glibc.log(row.reduce(0) { $0 + Glibc.exp($1 - m) })
            expectedSoftmax += row.map { Float(Glibc.exp($0 - lse)) }
            expectedLog += row.map { Float($0 - lse) }
        }
        let softmaxRatio = worstRatio(x.softmax().toArray(), expectedSoftmax, rtol: 1e-5, atol: 1e-7)
        let logRatio = worstRatio(x.logSoftmax().toArray(), expectedLog, rtol: 1e-5, atol: 1e-5)
        #expect(softmaxRatio <= 1, "softmax worst ratio \(softmaxRatio)")
        #expect(logRatio <= 1, "log-softmax worst ratio \(logRatio)")
    }

    @Test func negativeInfinityGivesExactZero() {
        let x = Tensor([0, -.infinity, 1, -.infinity, -.infinity, -.infinity], shape: [2, 3])
        let y = x.softmax().toArray()
        #expect(y[1] == 0)
        #expect(isClose(y[0] + y[2], 1))
        // A fully masked row gives zeros, not NaN.
        #expect(Array(y[3...]) == [0, 0, 0])
        #expect(x.logSoftmax().toArray()[1] == -.infinity)
    }

    @Test func recordsOneTapeOpEach() {
        Tape.clear()
        let x = Tensor([1, 2, 3], shape: [1, 3], requiresGrad: true)
        _ = x.softmax()
        _ = x.logSoftmax()
        #expect(Tape.count == 2)
        Tape.clear()
    }
}
