import QuillTensor

/// A fully connected layer: y = x · Wᵀ + b, with W [outputSize, inputSize] as PyTorch stores it.
public final class Linear: Module {
    /// [outputSize, inputSize]
    public let weight: Tensor
    /// [outputSize], or nil without bias.
    public let bias: Tensor?

    /// Creates a layer initialized as PyTorch's `nn.Linear`: U(-1/√in, 1/√in).
    public init(inputSize: Int, outputSize: Int, bias: Bool = true, generator: inout RandomGenerator) {
        let bound = 1 / Float(inputSize).squareRoot()
        weight = Tensor.uniform([outputSize, inputSize], low: -bound, high: bound, using: &generator, requiresGrad: true)
        self.bias = bias ? Tensor.uniform([outputSize], low: -bound, high: bound, using: &generator, requiresGrad: true) : nil
    }

    /// Creates a layer around existing tensors.
    public init(weight: Tensor, bias: Tensor?) {
        self.weight = weight
        self.bias = bias
    }

    /// Applies the layer to `input` [..., inputSize] → [..., outputSize].
    public func callAsFunction(_ input: Tensor) -> Tensor {
        // Wᵀ is a strided view; matmul hands it to BLAS as a transpose flag.
        let product = input.matmul(weight.transposed())
        guard let bias else { return product }
        return product + bias
    }

    public func namedParameters() -> [(name: String, tensor: Tensor)] {
        var result: [(name: String, tensor: Tensor)] = [("weight", weight)]
        if let bias { result.append(("bias", bias)) }
        return result
    }
}
