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
        Case(name: "pow -2", shapes: [[2, 3]], transposeFirst: false) { ($0[0] * $0[0] + 0.5).pow(-2) },
        Case(name: "pow 1.5", shapes: [[11]], transposeFirst: false) { ($0[0] * $0[0] + 0.5).pow(1.5) },
        Case(name: "pow 0.7", shapes: [[11]], transposeFirst: false) { ($0[0] * $0[0] + 0.5).pow(0.7) },
        Case(name: "sqrt of a view", shapes: [[4, 3]], transposeFirst: true) { ($0[0] * $0[0] + 1).sqrt() },
        Case(name: "tanh", shapes: [[17]], transposeFirst: false) { $0[0].tanh() },
        Case(name: "sigmoid", shapes: [[17]], transposeFirst: false) { $0[0].sigmoid() },
        Case(name: "relu", shapes: [[17]], transposeFirst: false) { $0[0].relu() },
        Case(name: "gelu", shapes: [[19]], transposeFirst: false) { $0[0].gelu() },
        Case(name: "exact gelu", shapes: [[19]], transposeFirst: false) { ($0[0] * 2).exactGELU() },
        Case(name: "clamp", shapes: [[19]], transposeFirst: false) { $0[0].clamped(to: -0.5, 0.5) },
        Case(name: "select", shapes: [[3, 4], [3, 4], [4]], transposeFirst: false) {
            Tensor.select($0[0].detached(), $0[1], $0[2])
        },
        Case(name: "matmul", shapes: [[3, 4], [4, 5]], transposeFirst: false) { $0[0].matmul($0[1]) },
        Case(name: "matmul transposed view", shapes: [[4, 3], [4, 5]], transposeFirst: true) { $0[0].matmul($0[1]) },
        Case(name: "batched matmul", shapes: [[2, 3, 4], [2, 4, 5]], transposeFirst: false) { $0[0].matmul($0[1]) },
        Case(name: "batched times matrix", shapes: [[2, 3, 4], [4, 5]], transposeFirst: false) { $0[0].matmul($0[1]) },
        Case(name: "broadcast batch matmul", shapes: [[2, 1, 3, 4], [3, 4, 2]], transposeFirst: false) { $0[0].matmul($0[1]) },
        Case(name: "add rank 0 to matrix", shapes: [[], [2, 3]], transposeFirst: false) { $0[0] + $0[1] },
        Case(name: "mul rank 0 by rank 0", shapes: [[], []], transposeFirst: false) { $0[0] * $0[1] },
        Case(name: "mul size-1 axes only", shapes: [[1, 1], [1]], transposeFirst: false) { $0[0] * $0[1] },
        Case(name: "sub size-1 axes both sides", shapes: [[2, 1, 3], [4, 1]], transposeFirst: false) { $0[0] - $0[1] },
        Case(name: "div by stride-0 view", shapes: [[2, 3], [3]], transposeFirst: false) {
            $0[0] / ($0[1].broadcast(to: [2, 3]).exp() + 1)
        },
        Case(name: "add two non-contiguous slices", shapes: [[3, 4], [3, 5]], transposeFirst: false) {
            $0[0].sliced(axis: 1, range: 0..<3) + $0[1].transposed().sliced(axis: 0, range: 1..<4).transposed()
        },
        Case(name: "mul tensor by its own transpose", shapes: [[3, 3]], transposeFirst: false) { $0[0] * $0[0].transposed() },
        Case(name: "exp of permuted view", shapes: [[2, 3, 4]], transposeFirst: false) { $0[0].permuted([2, 0, 1]).exp() },
        Case(name: "tanh of stride-0 view", shapes: [[3, 1]], transposeFirst: false) { $0[0].broadcast(to: [2, 3, 4]).tanh() },
        Case(name: "broadcast against non-contiguous view", shapes: [[4, 3], [4]], transposeFirst: true) {
            $0[0] * $0[1].sigmoid()
        },
        Case(name: "matmul with sliced view", shapes: [[3, 5], [4, 2]], transposeFirst: false) {
            $0[0].sliced(axis: 1, range: 1..<5).matmul($0[1])
        },
        Case(name: "batched matmul with stride-0 batch", shapes: [[3, 4], [2, 4, 5]], transposeFirst: false) {
            $0[0].broadcast(to: [2, 3, 4]).matmul($0[1])
        },
        Case(name: "matmul with permuted batch", shapes: [[3, 2, 4], [4, 5]], transposeFirst: false) {
            $0[0].transposed(0, 1).matmul($0[1])
        },
        Case(name: "matmul with selected rows", shapes: [[2, 3, 4], [4, 2]], transposeFirst: false) {
            $0[0].selecting(1, axis: 0).matmul($0[1])
        },
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

    @Test func broadcastEdgeValues() {
        #expect((Tensor(scalar: 2) * Tensor([1, 2, 3])).toArray() == [2, 4, 6])
        let outer = Tensor([1, 2], shape: [2, 1]) + Tensor([10, 20, 30], shape: [1, 3])
        #expect(outer.shape == [2, 3])
        #expect(outer.toArray() == [11, 21, 31, 12, 22, 32])
        let empty = Tensor.zeros([0, 3]) + Tensor([1, 2, 3])
        #expect(empty.shape == [0, 3])
        #expect(empty.count == 0)
        let sized1 = Tensor([5], shape: [1, 1, 1]) - Tensor([1, 2], shape: [2, 1])
        #expect(sized1.shape == [1, 2, 1])
        #expect(sized1.toArray() == [4, 3])
    }

    @Test func opsOnViewsReadThroughStrides() {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        #expect((x.transposed() * 2).toArray() == [2, 8, 4, 10, 6, 12])
        #expect((x.transposed() + x.transposed()).toArray() == [2, 8, 4, 10, 6, 12])
        #expect(allClose(x.sliced(axis: 1, range: 1..<3).exp().toArray(), [2, 3, 5, 6].map { Float(_exp(Double($0))) }))
        let column = Tensor([1, 2], shape: [2, 1]).broadcast(to: [2, 3])
        #expect((column * x).toArray() == [1, 2, 3, 8, 10, 12])
        #expect(x.transposed().matmul(x).toArray() == [17, 22, 27, 22, 29, 36, 27, 36, 45])
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
