import QuillTensor

/// A stack of recurrent layers, ``LSTM`` or ``GRU``, so models can choose the cell at run time.
///
/// Each layer and direction runs as fused kernels: one GEMM for x·W_ihᵀ over the whole
/// sequence, then per timestep one GEMM for h·W_hhᵀ and one vectorized pointwise kernel. The
/// whole stack is one tape op, whose backward runs backpropagation through time by hand.
public class RecurrentLayer: Module {
    let stack: RecurrentStack

    init(kind: RecurrentCell, inputSize: Int, hiddenSize: Int, layerCount: Int, dropout: Float,
         isBidirectional: Bool, generator: inout RandomGenerator) {
        stack = RecurrentStack(kind: kind, inputSize: inputSize, hiddenSize: hiddenSize, layerCount: layerCount,
                               dropout: dropout, isBidirectional: isBidirectional, generator: &generator)
    }

    /// The number of input features, I.
    public var inputSize: Int { stack.inputSize }
    /// The number of hidden units per direction, H.
    public var hiddenSize: Int { stack.hiddenSize }
    /// The number of stacked layers.
    public var layerCount: Int { stack.layerCount }
    /// 2 for a bidirectional stack, else 1.
    public var directionCount: Int { stack.directionCount }
    /// The dropout probability between layers.
    public var dropout: Float { stack.dropout }
    /// Whether dropout is active (``setTraining(_:)``); true after creation, as in PyTorch.
    public var isTraining: Bool { stack.isTraining }
    /// The parameters of each layer and direction, indexed by layer · directionCount + direction.
    public var weights: [RecurrentWeights] { stack.weights }
    /// The generator that draws dropout masks; save and restore it to resume training exactly.
    public var generator: RandomGenerator {
        get { stack.generator }
        set { stack.generator = newValue }
    }

    /// Runs the stack over `input` [B, T, inputSize], starting from `state` (zeros when nil).
    ///
    /// Returns the top layer's hidden state at every timestep, [B, T, directionCount·H] with
    /// the reverse direction in the second half, and the final state h [layers·directions, B, H] (and c for an LSTM).
    /// With `lengths` [B], sequence b is padded after `lengths[b]` tokens: its outputs there are
    /// zero, its final state is the one at its last real token, and the reverse direction
    /// starts at that token. Gradients flow into `input`, `state` and the weights; pass
    /// `state.detached()` to truncate backpropagation at the batch boundary.
    ///
    /// With `repeatedRows` n > 1 the caller promises that the batch's input rows come in runs of
    /// n identical rows (one sentence under n latent samples, as in importance sampling): the
    /// first layer's input projection x·W_ihᵀ is then computed once per run and copied.
    public func callAsFunction(_ input: Tensor, state: RecurrentState? = nil, lengths: [Int]? = nil,
                               repeatedRows: Int = 1) -> (output: Tensor, state: RecurrentState) {
        stack(input, state: state, lengths: lengths, repeatedRows: repeatedRows)
    }

    /// Advances every layer by one timestep for `input` [B, inputSize], returning the top
    /// layer's new hidden state [B, H] and the new state.
    ///
    /// Meant for generation: it records nothing on the tape and never applies dropout.
    /// Unidirectional stacks only.
    public func step(_ input: Tensor, state: RecurrentState? = nil) -> (output: Tensor, state: RecurrentState) {
        stack.step(input, state: state)
    }

    /// The parameters with PyTorch's names: `weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`,
    /// `bias_hh_l0`, then `..._l0_reverse` when bidirectional, then layer 1 and so on.
    public func namedParameters() -> [(name: String, tensor: Tensor)] { stack.namedParameters() }

    /// Turns dropout between layers on (training) or off (inference).
    public func setTraining(_ training: Bool) { stack.isTraining = training }
}
