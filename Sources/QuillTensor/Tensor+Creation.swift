extension Tensor {
    /// A tensor of `shape` filled with `value`.
    public convenience init(repeating value: Float, shape: [Int], requiresGrad: Bool = false) {
        self.init(uninitializedShape: shape)
        data.initialize(repeating: value, count: count)
        self.requiresGrad = requiresGrad
    }

    /// A tensor of `shape` holding `values` in row-major order.
    public convenience init(_ values: [Float], shape: [Int], requiresGrad: Bool = false) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values do not fill shape \(shape)")
        self.init(uninitializedShape: shape)
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: values.count) }
        self.requiresGrad = requiresGrad
    }

    /// A one-dimensional tensor holding `values`.
    public convenience init(_ values: [Float], requiresGrad: Bool = false) {
        self.init(values, shape: [values.count], requiresGrad: requiresGrad)
    }

    /// A zero-dimensional tensor holding `value`.
    public convenience init(scalar value: Float, requiresGrad: Bool = false) {
        self.init([value], shape: [], requiresGrad: requiresGrad)
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(repeating: 0, shape: shape, requiresGrad: requiresGrad)
    }

    /// A tensor of ones.
    public static func ones(_ shape: [Int], requiresGrad: Bool = false) -> Tensor {
        Tensor(repeating: 1, shape: shape, requiresGrad: requiresGrad)
    }

    /// A tensor of samples uniform in [low, high), drawn in row-major order from `generator`.
    public static func uniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                               using generator: inout RandomGenerator, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        let p = t.data
        for i in 0..<t.count { p[i] = generator.nextFloat(in: low, high) }
        t.requiresGrad = requiresGrad
        return t
    }

    /// A tensor of normal samples with `mean` and `standardDeviation`, drawn in row-major order.
    public static func normal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                              using generator: inout RandomGenerator, requiresGrad: Bool = false) -> Tensor {
        let t = Tensor(uninitializedShape: shape)
        let p = t.data
        for i in 0..<t.count { p[i] = mean + standardDeviation * generator.nextNormal() }
        t.requiresGrad = requiresGrad
        return t
    }

    /// A dense copy with fresh storage, recording nothing.
    public func copy() -> Tensor {
        let result = Tensor(uninitializedShape: shape)
        copyStrided(from: self, to: result.data)
        return result
    }
}
