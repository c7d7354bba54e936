import Testing
import QuillTensor
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite struct ReductionTests {
    static let gradientCases: [GradientCase] = [
        GradientCase(name: "sum rank 1", shapes: [[5]]) { $0[0].sum(axis: 0) },
        GradientCase(name: "sum axis 0", shapes: [[3, 4]]) { $0[0].sum(axis: 0) },
        GradientCase(name: "sum last axis, long rows", shapes: [[2, 37]]) { $0[0].sum(axis: -1) },
        GradientCase(name: "sum middle axis, wide inner", shapes: [[2, 3, 11]]) { $0[0].sum(axis: 1) },
        GradientCase(name: "sum keeping dimensions broadcasts back", shapes: [[3, 4]]) {
            $0[0] * $0[0].sum(axis: 1, keepingDimensions: true)
        },
        GradientCase(name: "sum size-1 axis", shapes: [[3, 1, 4]]) { $0[0].sum(axis: 1) },
        GradientCase(name: "sum transposed leaf", shapes: [[3, 9]], layout: .transposed) { $0[0].sum(axis: -1) },
        GradientCase(name: "sum broadcast view", shapes: [[3]]) { $0[0].broadcast(to: [4, 3]).sum(axis: 0) },
        GradientCase(name: "mean axis 0", shapes: [[4, 3]]) { $0[0].mean(axis: 0) },
        GradientCase(name: "mean last axis of sliced leaf", shapes: [[3, 10]], layout: .sliced) {
            $0[0].mean(axis: -1, keepingDimensions: true)
        },
        GradientCase(name: "log-sum-exp last axis", shapes: [[3, 5]]) { $0[0].logSumExp(axis: -1) },
        GradientCase(name: "log-sum-exp long rows", shapes: [[2, 21]]) { $0[0].logSumExp(axis: 1) },
        GradientCase(name: "log-sum-exp axis 0, wide inner", shapes: [[4, 10]]) { $0[0].logSumExp(axis: 0) },
        GradientCase(name: "log-softmax via log-sum-exp", shapes: [[2, 3, 4]]) {
            $0[0] - $0[0].logSumExp(axis: -1, keepingDimensions: true)
        },
        GradientCase(name: "log-sum-exp of transposed leaf", shapes: [[3, 4]], layout: .transposed) {
            $0[0].logSumExp(axis: 0, keepingDimensions: true)
        },
        GradientCase(name: "log-sum-exp size-1 axis", shapes: [[3, 1]]) { $0[0].logSumExp(axis: 1) },
        GradientCase(name: "full sum", shapes: [[3, 4]]) { $0[0].sum() },
        GradientCase(name: "full sum of rank 0", shapes: [[]]) { $0[0].sum() },
        GradientCase(name: "full mean of transposed leaf", shapes: [[3, 5]], layout: .transposed) { ($0[0] * $0[0]).mean() },
        GradientCase(name: "full mean of broadcast view", shapes: [[2, 1]]) { $0[0].broadcast(to: [3, 2, 4]).exp().mean() },
    ]

    @Test(arguments: gradientCases)
    func gradientMatchesFiniteDifferences(_ c: GradientCase) {
        let result = c.check()
        #expect(result.passed, "\(result)")
    }

    struct MaxCase: CustomTestStringConvertible, Sendable {
        let name: String
        let shape: [Int]
        let axis: Int
        var keepingDimensions = false
        var transposedLeaf = false
        var testDescription: String { name }
    }

    static let maxCases: [MaxCase] = [
        MaxCase(name: "rank 1", shape: [7], axis: 0),
        MaxCase(name: "last axis, long rows", shape: [3, 19], axis: -1),
        MaxCase(name: "axis 0, wide inner", shape: [4, 11], axis: 0, keepingDimensions: true),
        MaxCase(name: "middle axis", shape: [2, 3, 4], axis: 1),
        MaxCase(name: "size-1 axis", shape: [3, 1, 2], axis: 1),
        MaxCase(name: "transposed leaf", shape: [3, 5], axis: 0, transposedLeaf: true),
    ]

    /// Max is not differentiable where two elements tie, so the inputs are a shuffle of values
    /// 0.1 apart: the finite-difference step (0.01) never changes which element is largest.
    @Test(arguments: maxCases)
    func maxGradientMatchesFiniteDifferences(_ c: MaxCase) {
        var generator = RandomGenerator(seed: 11)
        let count = c.shape.reduce(1, *)
        var values = (0..<count).map { Float($0) * 0.1 - 1 }
        values.shuffle(using: &generator)
        var input = Tensor(values, shape: c.shape)
        if c.transposedLeaf {
            input = Tensor(values, shape: [c.shape[1], c.shape[0]]).transposed()
        }
        let result = checkGradients([input]) { $0[0].max(axis: c.axis, keepingDimensions: c.keepingDimensions) }
        #expect(result.passed, "\(result)")
    }

    struct ValueCase: CustomTestStringConvertible, Sendable {
        let name: String
        let reduce: @Sendable (Tensor) -> Tensor
        let shape: [Int]
        let values: [Float]
        var testDescription: String { name }
    }

    /// The input: [[1, 5, 3], [4, 2, 6]].
    static let valueCases: [ValueCase] = [
        ValueCase(name: "sum axis 0", reduce: { $0.sum(axis: 0) }, shape: [3], values: [5, 7, 9]),
        ValueCase(name: "sum axis -1 keeping", reduce: { $0.sum(axis: -1, keepingDimensions: true) }, shape: [2, 1],
                  values: [9, 12]),
        ValueCase(name: "mean axis 1", reduce: { $0.mean(axis: 1) }, shape: [2], values: [3, 4]),
        ValueCase(name: "mean axis 0 keeping", reduce: { $0.mean(axis: 0, keepingDimensions: true) }, shape: [1, 3],
                  values: [2.5, 3.5, 4.5]),
        ValueCase(name: "max axis 0", reduce: { $0.max(axis: 0) }, shape: [3], values: [4, 5, 6]),
        ValueCase(name: "max axis 1", reduce: { $0.max(axis: 1) }, shape: [2], values: [5, 6]),
        ValueCase(name: "max of transposed view", reduce: { $0.transposed().max(axis: -1) }, shape: [3], values: [4, 5, 6]),
        ValueCase(name: "sum of transposed view", reduce: { $0.transposed().sum(axis: 0) }, shape: [2], values: [9, 12]),
        ValueCase(name: "full sum", reduce: { $0.sum() }, shape: [], values: [21]),
        ValueCase(name: "full mean", reduce: { $0.mean() }, shape: [], values: [3.5]),
        ValueCase(name: "sum of broadcast view", reduce: { $0.broadcast(to: [4, 2, 3]).sum(axis: 0) }, shape: [2, 3],
                  values: [4, 20, 12, 16, 8, 24]),
    ]

    @Test(arguments: valueCases)
    func reducedValues(_ c: ValueCase) {
        let x = Tensor([1, 5, 3, 4, 2, 6], shape: [2, 3])
        let y = c.reduce(x)
        #expect(y.shape == c.shape)
        #expect(allClose(y.toArray(), c.values))
    }

    @Test func logSumExpValues() {
        let x = Tensor([0, 0, 1, 2, 3, 4], shape: [2, 3])
        let lse = x.logSumExp(axis: 1).toArray()
        #expect(isClose(lse[0], Float(Glibc.log(2 + Glibc.exp(1.0)))))
        #expect(isClose(lse[1], Float(Glibc.log(Glibc.exp(2.0) + Glibc.exp(3.0) + Glibc.exp(4.0)))))
        // Shifting by the maximum keeps huge inputs finite.
        let big = Tensor([1000, 1000, -1000], shape: [3]).logSumExp(axis: 0)
        #expect(isClose(big.scalar, 1000 + Float(Glibc.log(2.0))))
        // Rows of -∞ give -∞ (eight-lane and scalar paths) instead of NaN.
        let empty = Tensor(repeating: -.infinity, shape: [3, 9]).logSumExp(axis: 0).toArray()
        #expect(empty.allSatisfy { $0 == -.infinity })
        let masked = Tensor([-.infinity, 0, -.infinity, -.infinity], shape: [2, 2]).logSumExp(axis: -1).toArray()
        #expect(masked[0] == 0 && masked[1] == -.infinity)
    }

    @Test func emptyExtents() {
        let rows = Tensor.zeros([2, 0])
        #expect(rows.sum(axis: 1).toArray() == [0, 0])
        #expect(rows.logSumExp(axis: -1).toArray() == [-.infinity, -.infinity])
        #expect(rows.sum().scalar == 0)
        let none = Tensor.zeros([0, 3])
        #expect(none.max(axis: 1).shape == [0])
        #expect(none.argmax(axis: 1).isEmpty)
        #expect(none.sum(axis: 0).toArray() == [0, 0, 0])
    }

    @Test func maxTiesSendGradientToFirst() {
        let x = Tensor([2, 7, 7, 1, 3, 3, 3, 0], shape: [2, 4], requiresGrad: true)
        #expect(x.argmax(axis: 1) == [1, 0])
        x.max(axis: 1).sum().backward()
        #expect(x.grad?.toArray() == [0, 1, 0, 0, 1, 0, 0, 0])
        // The gradient adds to what other uses of the input contribute.
        x.zeroGradient()
        (x.max(axis: 1).sum() + x.sum()).backward()
        #expect(x.grad?.toArray() == [1, 2, 1, 1, 2, 1, 1, 1])
        let columns = Tensor([1, 4, 4, 4, 4, 1, 4, 0, 2, 4, 9, 4], shape: [3, 4], requiresGrad: true)
        #expect(columns.argmax(axis: 0) == [1, 0, 2, 0])
        columns.max(axis: 0).sum().backward()
        #expect(columns.grad?.toArray() == [0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0])
        // Nine columns: eight reduce in SIMD lanes, one in the scalar tail. Rows 0 and 1 tie;
        // row 2 wins in the even columns.
        let wide = Tensor((0..<27).map { k in k < 18 ? 5 : (k % 2 == 0 ? 6 : 0) }, shape: [3, 9])
        #expect(wide.argmax(axis: 0) == (0..<9).map { $0 % 2 == 0 ? 2 : 0 })
    }

    struct LargeCase: CustomTestStringConvertible, Sendable {
        let name: String
        let shape: [Int]
        let axis: Int
        var testDescription: String { name }
    }

    static let largeCases: [LargeCase] = [
        LargeCase(name: "last axis over many rows", shape: [600, 130], axis: 1),
        LargeCase(name: "first axis over wide rows", shape: [130, 600], axis: 0),
        LargeCase(name: "middle axis, few outer rows", shape: [2, 60, 700], axis: 1),
    ]

    /// Shapes big enough to split across threads, against a plain Double loop.
    @Test(arguments: largeCases)
    func largeReductionsMatchReference(_ c: LargeCase) {
        var generator = RandomGenerator(seed: 5)
        let x = Tensor.uniform(c.shape, low: -2, high: 2, using: &generator)
        let values = x.toArray()
        let outer = c.shape[..<c.axis].reduce(1, *), n = c.shape[c.axis], inner = c.shape[(c.axis + 1)...].reduce(1, *)
        var sums = [Float](), maxima = [Float](), lses = [Float]()
        for o in 0..<outer {
            for i in 0..<inner {
                let column = (0..<n).map { Double(values[(o * n + $0) * inner + i]) }
                let m = column.max()!
                sums.append(Float(column.reduce(0, +)))
                maxima.append(Float(m))
                lses.append(Float(m + Glibc.log(column.reduce(0) { $0 + Glibc.exp($1 - m) })))
            }
        }
        #expect(worstRatio(x.sum(axis: c.axis).toArray(), sums, rtol: 1e-4, atol: 1e-4) <= 1)
        #expect(x.max(axis: c.axis).toArray() == maxima)
        #expect(worstRatio(x.logSumExp(axis: c.axis).toArray(), lses, rtol: 1e-5, atol: 1e-5) <= 1)
        let total = values.reduce(0.0) { $0 + Double($1) }
        #expect(isClose(x.sum().scalar, Float(total), rtol: 1e-5, atol: 1e-3))
    }

    @Test func largeBackwardMatchesReference() {
        var generator = RandomGenerator(seed: 9)
        let x = Tensor.uniform([2, 300, 200], low: -2, high: 2, using: &generator, requiresGrad: true)
        let g = Tensor.uniform([2, 200], low: -1, high: 1, using: &generator)
        x.sum(axis: 1).backward(gradient: g)
        let dx = x.grad!.toArray(), gv = g.toArray()
        var mismatches = 0
        for o in 0..<2 { for j in 0..<300 { for i in 0..<200 where dx[(o * 300 + j) * 200 + i] != gv[o * 200 + i] { mismatches += 1 } } }
        #expect(mismatches == 0)
    }
}
