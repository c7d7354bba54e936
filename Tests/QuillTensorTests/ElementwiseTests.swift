import Testing
import QuillTensor
import TestSupport

@Suite struct ElementwiseTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let shapes: [[Int]]
        let transposeFirst: Bool
        let op: @Sendable ([Tensor]) -> Tensor
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "add same shape", shapes: [[3, 4], [3, 4]], transposeFirst: false) { $0[0] + $0[1] },
        Case(name: "add row broadcast", shapes: [[3, 4], [4]], transposeFirst: false) { $0[0] + $0[1] },
        Case(name: "sub column broadcast", shapes: [[3, 4], [3, 1]], transposeFirst: false) { $0[0] - $0[1] },
        Case(name: "mul both broadcast", shapes: [[2, 1, 4], [3, 1]], transposeFirst: false) { $0[0] * $0[1] },
        Case(name: "div non-contiguous", shapes: [[4, 3], [3, 4]], transposeFirst: true) { $0[0] / ($0[1].exp() + 1) },
        Case(name: "neg and scalar ops", shapes: [[5]], transposeFirst: false) { (-$0[0] * 2 + 1) / 3 - 0.5 },
        Case(name: "exp", shapes: [[2, 3]], transposeFirst: false) { $0[0].exp() },
        Case(name: "log", shapes: [[2, 3]], transposeFirst: false) { ($0[0] * $0[0] + 1).log() },
        Case(name: "sqrt", shapes: [[2, 3]], transposeFirst: false) { ($0[0] * $0[0] + 1).sqrt() },
        Case(name: "pow 3", shapes: [[2, 3]], transposeFirst: false) { $0[0].pow(3) },
        Case(name: "tanh", shapes: [[17]], transposeFirst: false) { $0[0].tanh() },
        Case(name: "sigmoid", shapes: [[17]], transposeFirst: false) { $0[0].sigmoid() },
        Case(name: "relu", shapes: [[17]], transposeFirst: false) { $0[0].relu() },
        Case(name: "gelu", shapes: [[19]], transposeFirst: false) { $0[0].gelu() },
        Case(name: "clamp", shapes: [[19]], transposeFirst: false) { $0[0].clamped(to: -0.5, 0.5) },
        Case(name: "select", shapes: [[3, 4], [3, 4], [4]], transposeFirst: false) {
            Tensor.select($0[0].detached(), $0[1], $0[2])
        },
        Case(name: "matmul", shapes: [[3, 4], [4, 5]], transposeFirst: false) { $0[0].matmul($0[1]) },
        Case(name: "matmul transposed view", shapes: [[4, 3], [4, 5]], transposeFirst: true) { $0[0].matmul($0[1]) },
        Case(name: "batched matmul", shapes: [[2, 3, 4], [2, 4, 5]], transposeFirst: false) { $0[0].matmul($0[1]) },
        Case(name: "batched times matrix", shapes: [[2, 3, 4], [4, 5]], transposeFirst: false) { $0[0].matmul($0[1]) },
        Case(name: "broadcast batch matmul", shapes: [[2, 1, 3, 4], [3, 4, 2]], transposeFirst: false) { $0[0].matmul($0[1]) },
    ]

    @Test(arguments: cases)
    func gradientMatchesFiniteDifferences(_ c: Case) {
        var generator = RandomGenerator(seed: 42)
        var inputs = c.shapes.map { Tensor.uniform($0, low: -1, high: 1, using: &generator) }
        if c.transposeFirst {
            let t = inputs[0]
            // A transposed view of a [4, 3] tensor: strides (1, 3), not contiguous.
            inputs[0] = Tensor(storage: t.storage, shape: [t.shape[1], t.shape[0]], strides: [1, t.shape[1]])
            #expect(!inputs[0].isContiguous)
        }
        let result = checkGradients(inputs, c.op)
        #expect(result.passed, "\(result)")
    }

    @Test func broadcastValues() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([10, 20, 30])
        #expect((a + b).toArray() == [11, 22, 33, 14, 25, 36])
        let c = Tensor([100, 200], shape: [2, 1])
        #expect((a * c).toArray() == [100, 200, 300, 800, 1000, 1200])
    }

    @Test func matmulValues() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([1, 0, 0, 1, 1, 1], shape: [3, 2])
        #expect(a.matmul(b).toArray() == [4, 5, 10, 11])
    }

    @Test func vectorExpIsAccurate() {
        let xs: [Float] = stride(from: -80, through: 80, by: 0.37).map { Float($0) }
        let ours = Tensor(xs).exp().toArray()
        for (x, y) in zip(xs, ours) {
            let reference = Float(_exp(Double(x)))
            #expect(isClose(y, reference, rtol: 1e-6, atol: 0), "exp(\(x)) = \(y), expected \(reference)")
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
private func _exp(_ x: Double) -> Double { exp(x) }
