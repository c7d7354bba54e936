import QuillNN
import QuillTensor
import QuillText

/// The generative half of the sentence models: an LSTM or GRU language model over the shared
/// embedding, optionally conditioned on a latent vector, and the output layer over the
/// vocabulary. Without a latent it is the LSTM-LM baseline.
///
/// With `.initialState` conditioning one Linear maps z to the initial state (h₀, and c₀ for an
/// LSTM, side by side); with `.concat` z joins the embedding at every step.
final class SentenceDecoder {
    let configuration: SentenceModelConfiguration
    /// The width of the latent vector read, 0 for none.
    let latentSize: Int
    /// `decoder.*`: the recurrent layer.
    let rnn: RecurrentLayer
    /// `latent_to_state.*`: z [B, Z] → initial state [B, H] (GRU) or [B, 2H] (LSTM: h₀ then c₀).
    let latentToState: Linear?
    /// `output.weight` [V, H], or the embedding itself when tied.
    let outputWeight: Tensor
    /// `output.bias` [V].
    let outputBias: Tensor
    /// Ids decoding never produces: padding, `<bos>`, and tokens holding a line break.
    var neverGeneratedIDs = SentenceDecoder.neverGenerated

    /// Creates the layers with PyTorch's initialization; with `configuration.tiesEmbeddings` the
    /// output layer's weight is `embedding` [V, E].
    init(configuration c: SentenceModelConfiguration, latentSize: Int, embedding: Tensor, tokenizer: any Tokenizer,
         generator: inout RandomGenerator) {
        neverGeneratedIDs.formUnion(Self.lineBreakIDs(of: tokenizer))
        configuration = c
        self.latentSize = latentSize
        let concatenates = latentSize > 0 && c.conditioning == .concat
        let inputSize = c.embeddingSize + (concatenates ? latentSize : 0)
        switch c.cell {
        case .lstm: rnn = LSTM(inputSize: inputSize, hiddenSize: c.hiddenSize, generator: &generator)
        case .gru: rnn = GRU(inputSize: inputSize, hiddenSize: c.hiddenSize, generator: &generator)
        }
        if latentSize > 0 && c.conditioning == .initialState {
            latentToState = Linear(inputSize: latentSize, outputSize: c.hiddenSize * (c.cell == .lstm ? 2 : 1),
                                   generator: &generator)
        } else {
            latentToState = nil
        }
        let output = Linear(inputSize: c.hiddenSize, outputSize: c.vocabularySize, generator: &generator)
        outputWeight = c.tiesEmbeddings ? embedding : output.weight
        outputBias = output.bias!
    }

    /// The parameters under the PyTorch peer's names, in its order: `latent_to_state.*`,
    /// `decoder.*`, `output.*`.
    func namedParameters() -> [(name: String, tensor: Tensor)] {
        (latentToState.map { prefixed("latent_to_state", $0.namedParameters()) } ?? [])
            + prefixed("decoder", rnn.namedParameters())
            + (configuration.tiesEmbeddings ? [] : [("output.weight", outputWeight)]) + [("output.bias", outputBias)]
    }

    /// The initial state for `latent` [B, Z]; nil (zeros) without a latent or with `.concat`.
    func initialState(_ latent: Tensor?) -> RecurrentState? {
        guard let latent, let latentToState else { return nil }
        let state = latentToState(latent)
        let H = configuration.hiddenSize
        guard configuration.cell == .lstm else { return RecurrentState(hidden: state.expandingShape(at: 0)) }
        return RecurrentState(hidden: state.sliced(axis: 1, range: 0..<H).expandingShape(at: 0),
                              cell: state.sliced(axis: 1, range: H..<(2 * H)).expandingShape(at: 0))
    }

    /// The recurrent input [B, T, E(+Z)]: the embedded tokens, with z appended to every step under `.concat`.
    func recurrentInput(_ embedded: Tensor, latent: Tensor?) -> Tensor {
        guard let latent, latentToState == nil, latentSize > 0 else { return embedded }
        let B = embedded.shape[0], T = embedded.shape[1]
        return Tensor.concatenate([embedded, latent.expandingShape(at: 1).broadcast(to: [B, T, latentSize])], axis: 2)
    }

    /// The decoder's hidden state at every real step, sentence by sentence [N, H], for
    /// `embedded` [B, T, E] (the embedded decoder input) and `latent` [B, Z].
    ///
    /// With `repeatedRows` n > 1, `embedded` holds runs of n identical rows (one sentence under
    /// n latent samples) and the recurrent layer projects each run's input once; under `.concat`
    /// the rows differ by their z, so every row is projected.
    func hiddenRows(_ embedded: Tensor, latent: Tensor?, batch: SentenceBatch, repeatedRows: Int = 1) -> Tensor {
        precondition(latent == nil || latent!.shape == [batch.batchSize, latentSize],
                     "decoder latent has shape \(latent?.shape ?? []), expected [\(batch.batchSize), \(latentSize)]")
        let input = recurrentInput(embedded, latent: latent)
        let (output, _) = rnn(input, state: initialState(latent), lengths: batch.lengths,
                              repeatedRows: input === embedded ? repeatedRows : 1)
        let B = batch.batchSize, T = batch.steps
        return output.reshaped(to: [B * T, configuration.hiddenSize]).gathering(batch.tokenRows, alongAxis: 0)
    }

    /// Σ over the batch's tokens of −log p(token | earlier tokens, z), as a scalar [] on the tape.
    ///
    /// `embedded` [B, T, E] is the embedded decoder input (after word and embedding dropout);
    /// `outputDropout` zeroes hidden rows before the output layer while training.
    func reconstructionLoss(_ embedded: Tensor, latent: Tensor?, batch: SentenceBatch, outputDropout: Float,
                            isTraining: Bool, generator: inout RandomGenerator) -> Tensor {
        let rows = hiddenRows(embedded, latent: latent, batch: batch)
            .dropout(probability: outputDropout, isTraining: isTraining, using: &generator)
        return VocabularyProjection.summedCrossEntropy(rows, weight: outputWeight, bias: outputBias,
                                                       targets: batch.rowTargets)
    }

    /// log p(sentence | z) for every sentence of `batch` [B], without recording or dropout.
    /// `embedded` must be the embedded `batch.decoderInput`, whose rows repeat as `batch.rowRepeats` says.
    func logLikelihoods(_ embedded: Tensor, latent: Tensor?, batch: SentenceBatch) -> [Double] {
        withoutGradients {
            let rows = hiddenRows(embedded, latent: latent, batch: batch, repeatedRows: batch.rowRepeats)
            let perToken = VocabularyProjection.logLikelihoods(rows, weight: outputWeight, bias: outputBias,
                                                                targets: batch.rowTargets)
            return batch.sumBySentence(perToken)
        }
    }

    /// Switches the recurrent layer between training and inference.
    func setTraining(_ training: Bool) { rnn.setTraining(training) }
}
