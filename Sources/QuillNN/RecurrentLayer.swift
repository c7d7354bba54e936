import QuillTensor

/// A stack of recurrent layers, ``LSTM`` or ``GRU``, so models can choose the cell at run time.
public protocol RecurrentLayer: Module {
    /// The number of input features, I.
    var inputSize: Int { get }
    /// The number of hidden units per direction, H.
    var hiddenSize: Int { get }
    /// The number of stacked layers.
    var layerCount: Int { get }
    /// 2 for a bidirectional stack, else 1.
    var directionCount: Int { get }
    /// The generator that draws the dropout masks between layers.
    var generator: RandomGenerator { get set }

    /// Runs the stack over `input` [B, T, I] from `state` (zeros when nil), optionally padded
    /// after `lengths[b]` tokens, returning the outputs [B, T, directionCount·H] and the final state.
    func callAsFunction(_ input: Tensor, state: RecurrentState?, lengths: [Int]?) -> (output: Tensor, state: RecurrentState)

    /// Advances every layer by one timestep for `input` [B, I], without recording, returning
    /// the top layer's hidden state [B, H] and the new state.
    func step(_ input: Tensor, state: RecurrentState?) -> (output: Tensor, state: RecurrentState)
}

extension LSTM: RecurrentLayer {}
extension GRU: RecurrentLayer {}
