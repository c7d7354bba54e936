@testable import QuillModels
import QuillTensor
import QuillText
import Testing

/// Decoding, reconstruction and interpolation.
@Suite struct VAEGenerationTests {
    static let sentenceA = "w4 w7 w5 w12", sentenceB = "w6 w4 w11"

    static func greedy(maxTokens: Int = 8) -> SamplingOptions {
        var options = SamplingOptions()
        options.decoding = .greedy
        options.maxTokens = maxTokens
        return options
    }

    @Test(arguments: [false, true])
    func interpolationEndpointsAreTheReconstructions(spherical: Bool) throws {
        for kind in [ModelKind.vae, .hvae] {
            let model = VAETestSupport.model(kind, VAETestSupport.configuration(levels: kind == .vae ? 1 : 2))
                as! any LatentSentenceModel
            var generator = RandomGenerator(seed: 0)
            let points = try model.interpolate(from: Self.sentenceA, to: Self.sentenceB, steps: 4, spherical: spherical,
                                               options: Self.greedy(), generator: &generator)
            #expect(points.map(\.position) == [0, 0.25, 0.5, 0.75, 1])
            #expect(points.first?.sentence == (try model.reconstruct(Self.sentenceA, options: Self.greedy(), generator: &generator)))
            #expect(points.last?.sentence == (try model.reconstruct(Self.sentenceB, options: Self.greedy(), generator: &generator)))
        }
    }

    @Test func slerpKeepsEndpointsAndFollowsTheArc() {
        let a: [Float] = [1, 0], b: [Float] = [0, 2]
        let middle = slerp(a, b, 0.5)
        #expect(abs(middle[0] - 0.7071068) < 1e-5 && abs(middle[1] - 1.4142135) < 1e-5)
        #expect(slerp(a, b, 0) == a)
        #expect(lerp(a, b, 0.5) == [0.5, 1])
    }

    @Test func beamOfOneAndTopKOfOneAreGreedy() {
        let model = VAETestSupport.model(.vae, VAETestSupport.configuration(conditioning: .concat)) as! SentenceVAE
        var generator = RandomGenerator(seed: 3)
        let latents = model.drawPrior(count: 5, generator: &generator)
        let greedy = model.decode(latents: latents, options: Self.greedy(), generator: &generator)
        var beam = Self.greedy()
        beam.decoding = .beam
        beam.beamWidth = 1
        #expect(model.decode(latents: latents, options: beam, generator: &generator) == greedy)
        var topK = Self.greedy()
        topK.decoding = .sample
        topK.topK = 1
        #expect(model.decode(latents: latents, options: topK, generator: &generator) == greedy)
        #expect(greedy.allSatisfy { $0.count <= 8 && !$0.contains { Vocabulary.isSpecial($0) && $0 != 1 } })
    }

    @Test func wideBeamNeverScoresBelowGreedy() {
        let model = VAETestSupport.model(.vae, VAETestSupport.configuration()) as! SentenceVAE
        var generator = RandomGenerator(seed: 8)
        let latent = model.drawPrior(count: 1, generator: &generator)
        var beam = Self.greedy(maxTokens: 30)
        beam.decoding = .beam
        beam.beamWidth = 6
        let greedy = model.decode(latents: latent, options: Self.greedy(maxTokens: 30), generator: &generator)[0]
        let best = model.decode(latents: latent, options: beam, generator: &generator)[0]
        func perToken(_ ids: [Int]) -> Double {
            model.logLikelihoods(of: SentenceBatch(sentences: [ids]), latents: latent)[0] / Double(ids.count + 1)
        }
        if !greedy.isEmpty && !best.isEmpty && greedy.count < 29 && best.count < 29 {
            #expect(perToken(best) >= perToken(greedy) - 1e-4)
        }
    }

    @Test func languageModelContinuesAPrompt() throws {
        let lm = VAETestSupport.model(.lm, VAETestSupport.configuration(latentSize: 0, levels: 0)) as! SentenceLM
        var generator = RandomGenerator(seed: 1)
        var pieces: [String] = []
        try lm.generate(prompt: "w4 w5", options: Self.greedy(maxTokens: 5), generator: &generator) { pieces.append($0); return true }
        #expect(pieces.count <= 5)
        #expect(pieces.allSatisfy { $0.hasPrefix(" w") || $0 == " <unk>" })
    }
}
