import QuillTensor

/// A trainable building block: it owns parameters and may contain other modules.
///
/// Parameters are listed with stable, dotted names (`encoder.weight_ih`), the names used in
/// checkpoints, so saving and loading never depend on declaration order.
public protocol Module: AnyObject {
    /// This module's parameters and its submodules' parameters, with dotted names.
    func namedParameters() -> [(name: String, tensor: Tensor)]
    /// Switches dropout and similar behaviour between training and inference.
    func setTraining(_ training: Bool)
}

extension Module {
    /// The parameters, in `namedParameters()` order.
    public var parameters: [Tensor] { namedParameters().map(\.tensor) }

    /// The total number of scalars training learns: running statistics, which are saved with
    /// the parameters but not trained, are left out (as PyTorch leaves out buffers).
    public var parameterCount: Int {
        namedParameters().reduce(0) { MeanBatchNorm.isRunningStatistic($1.name) ? $0 : $0 + $1.tensor.count }
    }

    /// Default: nothing changes between training and inference.
    public func setTraining(_ training: Bool) {}

    /// Clears every parameter's gradient.
    public func zeroGradients() { for p in parameters { p.zeroGradient() } }

    /// Copies values from `tensors` (by name) into the parameters, checking every name and shape.
    public func load(_ tensors: [String: Tensor]) throws {
        for (name, parameter) in namedParameters() {
            guard let source = tensors[name] else { throw ModuleError.missingParameter(name) }
            guard source.shape == parameter.shape else {
                throw ModuleError.shapeMismatch(name, expected: parameter.shape, found: source.shape)
            }
            let dense = source.copy()
            parameter.data.update(from: dense.data, count: parameter.count)
        }
    }
}

/// Prefixes each name in `parameters` with `prefix.`.
public func prefixed(_ prefix: String, _ parameters: [(name: String, tensor: Tensor)]) -> [(name: String, tensor: Tensor)] {
    parameters.map { (name: "\(prefix).\($0.name)", tensor: $0.tensor) }
}

/// Errors raised when parameters do not fit a module.
public enum ModuleError: Error, CustomStringConvertible {
    case missingParameter(String)
    case shapeMismatch(String, expected: [Int], found: [Int])

    public var description: String {
        switch self {
        case .missingParameter(let name):
            "The checkpoint has no tensor named \(name); it was saved by a different model or configuration."
        case .shapeMismatch(let name, let expected, let found):
            "Tensor \(name) has shape \(found) in the checkpoint but the model expects \(expected); the configuration differs from the one it was trained with."
        }
    }
}
